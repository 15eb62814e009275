import { readFile } from 'node:fs/promises';
import { isIp, isLoopback } from '../util/cidr.js';

/** Pure: the nameservers of a resolv.conf text that only the host itself can reach (127.0.0.53 of systemd-resolved, ::1). */
export function loopbackNameservers(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const [key, value] = line.trim().split(/\s+/);
    return key === 'nameserver' && value !== undefined && isIp(value) && isLoopback(value) ? [value] : [];
  });
}

/** The host's loopback nameservers; none when its resolv.conf cannot be read. */
export async function hostLoopbackNameservers(path = '/etc/resolv.conf'): Promise<string[]> {
  return loopbackNameservers(await readFile(path, 'utf8').catch(() => ''));
}
