import { readFile } from 'node:fs/promises';
import { canonicalIp } from '../util/cidr.js';

/** A socket of the host waiting for connections (tcp) or datagrams (udp, unconnected). */
export interface Listener {
  readonly protocol: 'tcp' | 'udp';
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
}

const TCP_LISTEN = '0A';
const TABLES = [
  { file: 'tcp', protocol: 'tcp', family: 4 },
  { file: 'tcp6', protocol: 'tcp', family: 6 },
  { file: 'udp', protocol: 'udp', family: 4 },
  { file: 'udp6', protocol: 'udp', family: 6 },
] as const;

/** The kernel prints each 32-bit word of an address in host byte order (little-endian here). */
function wordBytes(hex: string): number[] {
  const out: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) out.push(parseInt(word.slice(b, b + 2), 16));
  }
  return out;
}

function addressOf(hex: string, family: 4 | 6): string {
  const bytes = wordBytes(hex);
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalIp(groups.join(':'));
}

/**
 * Pure: the listening sockets in one /proc/net/{tcp,tcp6,udp,udp6} text.
 * tcp: state LISTEN; udp: bound and not connected (no remote port).
 */
export function parseListeners(text: string, protocol: 'tcp' | 'udp', family: 4 | 6): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (local === undefined || remote === undefined || state === undefined) continue;
    if (protocol === 'tcp' ? state !== TCP_LISTEN : !remote.endsWith(':0000')) continue;
    const [addr, port] = local.split(':');
    if (addr === undefined || port === undefined || addr.length !== (family === 4 ? 8 : 32)) continue;
    out.push({ protocol, family, address: addressOf(addr, family), port: parseInt(port, 16) });
  }
  return out;
}

/** The listening sockets of the network namespace netrecon runs in (the host's). A table that cannot be read lists none. */
export async function hostListeners(procNet = '/proc/net'): Promise<Listener[]> {
  const tables = await Promise.all(TABLES.map(async (t) => {
    const text = await readFile(`${procNet}/${t.file}`, 'utf8').catch(() => '');
    return parseListeners(text, t.protocol, t.family);
  }));
  return tables.flat();
}
