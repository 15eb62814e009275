import type { Assignment } from '../ipam/allocate.js';
import type { ManifestSet, NetworkSpec, PublishSpec } from '../model/manifest.js';
import { familyOf, type Family } from '../util/cidr.js';
import { byCodeUnit as byText } from '../util/order.js';
import { FirewallBugError } from './errors.js';
import { safeCidr, safeIp, safeName, safePort } from './names.js';

/** The rules of each chain of the table, in order, as nft text (one rule a line). */
export interface ChainRules {
  readonly prerouting: readonly string[];
  readonly output: readonly string[];
  readonly publish: readonly string[];
  readonly postrouting: readonly string[];
  readonly forward: readonly string[];
}

/** A bridge network reduced to what the rules use; names and CIDRs already checked. */
export interface BridgeNet {
  readonly network: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly subnet6?: string;
  readonly internal: boolean;
  readonly masquerade: boolean;
}

/** One published port, resolved to the attachment's address of the hostIP's family. */
export interface PortForward {
  readonly attachment: string;
  readonly bridge: string;
  readonly family: Family;
  /** undefined: any local address of the family (0.0.0.0 or ::). */
  readonly hostIP: string | undefined;
  readonly hostPort: number;
  readonly protocol: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}


function bridgeNet(spec: NetworkSpec): BridgeNet | undefined {
  if (spec.driver !== 'bridge' || spec.bridge === undefined) return undefined;
  const { name, internal, masquerade } = spec.bridge;
  return {
    network: spec.name,
    bridge: safeName(name, `network ${spec.name}: bridge name`),
    subnet: safeCidr(spec.subnet, `network ${spec.name}: subnet`),
    ...(spec.subnet6 === undefined ? {} : { subnet6: safeCidr(spec.subnet6, `network ${spec.name}: subnet6`) }),
    internal,
    masquerade: masquerade && !internal,
  };
}

/** The bridge networks, by network name. */
export function bridgeNetworks(manifests: ManifestSet): BridgeNet[] {
  const nets = [...manifests.networks.values()].map(bridgeNet).filter((n): n is BridgeNet => n !== undefined);
  return nets.sort((a, b) => byText(a.network, b.network));
}

function portForward(attachment: string, bridge: string, publish: PublishSpec, assignment: Assignment): PortForward {
  const what = `attachment ${attachment}: publish ${publish.hostIP}:${publish.hostPort}/${publish.protocol}`;
  if (publish.protocol !== 'tcp' && publish.protocol !== 'udp') throw new FirewallBugError(`${what}: unknown protocol`);
  const family = familyOf(safeIp(publish.hostIP, `${what}: hostIP`));
  const address = family === 4 ? assignment.ipv4 : assignment.ipv6;
  if (address === undefined) throw new FirewallBugError(`${what}: an IPv6 hostIP needs an IPv6 address on the attachment`);
  const wildcard = publish.hostIP === '0.0.0.0' || publish.hostIP === '::';
  return {
    attachment: safeName(attachment, 'attachment name'),
    bridge,
    family,
    hostIP: wildcard ? undefined : publish.hostIP,
    hostPort: safePort(publish.hostPort, `${what}: hostPort`),
    protocol: publish.protocol,
    address: safeIp(address, `${what}: address`),
    port: safePort(publish.port, `${what}: port`),
  };
}

const forwardKey = (f: PortForward): string[] =>
  [f.hostIP === undefined ? '1' : '0', String(f.family), f.attachment, f.protocol, String(f.hostPort).padStart(5, '0'), f.hostIP ?? '', String(f.port)];

function compareForwards(a: PortForward, b: PortForward): number {
  const ka = forwardKey(a);
  const kb = forwardKey(b);
  for (let i = 0; i < ka.length; i++) {
    const c = byText(ka[i] ?? '', kb[i] ?? '');
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Every published port of an attachment on a non-internal bridge network.
 * Specific host addresses come before the wildcard, so they win when both
 * name the same port.
 */
export function portForwards(manifests: ManifestSet, assignments: ReadonlyMap<string, Assignment>, nets: readonly BridgeNet[]): PortForward[] {
  const open = new Map(nets.filter((n) => !n.internal).map((n) => [n.network, n]));
  const out: PortForward[] = [];
  for (const att of manifests.attachments.values()) {
    const net = open.get(att.network);
    if (net === undefined || att.publish.length === 0) continue;
    const assignment = assignments.get(att.name);
    if (assignment === undefined) throw new FirewallBugError(`attachment ${att.name} publishes ports but has no address assignment`);
    for (const p of att.publish) out.push(portForward(att.name, net.bridge, p, assignment));
  }
  return out.sort(compareForwards);
}
