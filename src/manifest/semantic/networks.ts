import type { BridgeOptions, MacvlanOptions, NetworkSpec } from '../../model/manifest.js';
import { cidrToString, containsCidr, familyOf, firstHost, isCanonical, isIp, overlaps, parseCidr } from '../../util/cidr.js';
import type { Cidr } from '../../util/cidr.js';
import type { Item } from '../documents.js';
import { collisions, hostAddressProblem, normalizeIp, shortRef } from './common.js';
import type { Findings } from './common.js';

/** A network after its checks, with the parsed prefixes later checks need. */
export interface NetworkEntry {
  readonly spec: NetworkSpec;
  readonly item: Item<'Network'>;
  readonly cidr: Cidr;
  readonly cidr6?: Cidr;
}

/** What attachments need of a network: also built from a recorded spec (see KnownObjects). */
export type NetworkView = Pick<NetworkEntry, 'spec' | 'cidr' | 'cidr6'>;

type NetItem = Item<'Network'>;

/** IFNAMSIZ - 1: the longest Linux interface name. */
export const IFNAME_MAX = 15;

export const defaultBridgeName = (network: string): string => `nr-${network}`.slice(0, IFNAME_MAX);

function subnetOf(item: NetItem, f: Findings): Cidr {
  const text = item.spec.subnet;
  const cidr = parseCidr(text) ?? { family: 4, base: 0n, prefix: 32 };
  if (!isCanonical(text)) {
    f.field(item.at, ['spec', 'subnet'], 'cidr', `${text} has host bits set; use the network address: ${cidrToString(cidr)}`);
  }
  return cidr;
}

function subnet6Of(item: NetItem, f: Findings): Cidr | undefined {
  const text = item.spec.subnet6;
  if (text === undefined) return undefined;
  const cidr = parseCidr(text);
  if (cidr === undefined || cidr.family !== 6) {
    f.field(item.at, ['spec', 'subnet6'], 'cidr', 'must be an IPv6 CIDR like fd00:30::/64');
    return undefined;
  }
  if (!isCanonical(text)) {
    f.field(item.at, ['spec', 'subnet6'], 'cidr', `${text} has host bits set; use the network address: ${cidrToString(cidr)}`);
  }
  return cidr;
}

function checkGateways(item: NetItem, cidr: Cidr, cidr6: Cidr | undefined, f: Findings): void {
  const { gateway, gateway6, subnet6 } = item.spec;
  const problem = gateway === undefined ? undefined : hostAddressProblem(cidr, gateway);
  if (problem !== undefined) f.field(item.at, ['spec', 'gateway'], 'address', problem);
  if (gateway6 === undefined) return;
  if (!isIp(gateway6) || familyOf(gateway6) !== 6) {
    f.field(item.at, ['spec', 'gateway6'], 'address', 'must be an IPv6 address like fd00:30::1');
  } else if (subnet6 === undefined) {
    f.field(item.at, ['spec', 'gateway6'], 'address', 'needs spec.subnet6');
  } else if (cidr6 !== undefined) {
    const problem6 = hostAddressProblem(cidr6, gateway6);
    if (problem6 !== undefined) f.field(item.at, ['spec', 'gateway6'], 'address', problem6);
  }
}

function checkIpRange(item: NetItem, cidr: Cidr, f: Findings): string {
  const text = item.spec.ipRange;
  if (text === undefined) return cidrToString(cidr);
  const range = parseCidr(text);
  if (range === undefined) return cidrToString(cidr);
  if (!isCanonical(text)) {
    f.field(item.at, ['spec', 'ipRange'], 'cidr', `${text} has host bits set; use the network address: ${cidrToString(range)}`);
  } else if (!containsCidr(cidr, range)) {
    f.field(item.at, ['spec', 'ipRange'], 'cidr', `${text} is not inside subnet ${cidrToString(cidr)}`);
  }
  return cidrToString(range);
}

function bridgeOf(item: NetItem, f: Findings): BridgeOptions | undefined {
  const { driver = 'bridge', bridge = {} } = item.spec;
  if (driver !== 'bridge') {
    if (item.spec.bridge !== undefined) f.field(item.at, ['spec', 'bridge'], 'driver', 'only allowed with driver bridge');
    return undefined;
  }
  const internal = bridge.internal ?? false;
  if (internal && bridge.masquerade === true) {
    f.field(item.at, ['spec', 'bridge', 'masquerade'], 'bridge', 'cannot be true on an internal network (internal means no outbound NAT)');
  }
  const name = bridge.name ?? defaultBridgeName(item.name);
  return { name, internal, masquerade: bridge.masquerade ?? !internal, icc: bridge.icc ?? true };
}

function macvlanOf(item: NetItem, f: Findings): MacvlanOptions | undefined {
  const { driver = 'bridge', macvlan } = item.spec;
  if (driver !== 'macvlan') {
    if (macvlan !== undefined) f.field(item.at, ['spec', 'macvlan'], 'driver', 'only allowed with driver macvlan');
    return undefined;
  }
  if (macvlan === undefined) {
    f.field(item.at, ['spec', 'macvlan', 'parent'], 'driver', 'required for driver macvlan');
    return undefined;
  }
  // "IF.VID" is an 802.1Q subinterface (reconcile/desired-files.ts): its VLAN ID must be one 802.1Q allows.
  const vid = /^.+\.(\d{1,4})$/.exec(macvlan.parent)?.[1];
  if (vid !== undefined && (Number(vid) < 1 || Number(vid) > 4094)) {
    f.field(item.at, ['spec', 'macvlan', 'parent'], 'driver', `${macvlan.parent}: VLAN ID ${Number(vid)} is out of range (1-4094)`);
  }
  return { parent: macvlan.parent, mode: macvlan.mode ?? 'bridge' };
}

function networkEntry(item: NetItem, f: Findings): NetworkEntry {
  const cidr = subnetOf(item, f);
  const cidr6 = subnet6Of(item, f);
  checkGateways(item, cidr, cidr6, f);
  const ipRange = checkIpRange(item, cidr, f);
  const { driver = 'bridge', mtu, gateway, gateway6 } = item.spec;
  const bridge = bridgeOf(item, f);
  const macvlan = macvlanOf(item, f);
  const spec: NetworkSpec = {
    name: item.name,
    labels: item.labels,
    driver,
    subnet: cidrToString(cidr),
    gateway: gateway ?? firstHost(cidr),
    ipRange,
    ...(cidr6 === undefined ? {} : { subnet6: cidrToString(cidr6), gateway6: gateway6 === undefined ? firstHost(cidr6) : normalizeIp(gateway6) }),
    ...(mtu === undefined ? {} : { mtu }),
    ...(bridge === undefined ? {} : { bridge }),
    ...(macvlan === undefined ? {} : { macvlan }),
    source: item.source,
  };
  return { spec, item, cidr, ...(cidr6 === undefined ? {} : { cidr6 }) };
}

function checkOverlaps(entries: readonly NetworkEntry[], f: Findings): void {
  entries.forEach((b, i) => {
    for (const a of entries.slice(0, i)) {
      if (overlaps(a.cidr, b.cidr)) {
        const msg = `${b.spec.subnet} overlaps network ${a.spec.name}'s subnet ${a.spec.subnet} (${shortRef(a.spec.source)})`;
        f.field(b.item.at, ['spec', 'subnet'], 'overlap', msg);
      }
      if (a.cidr6 !== undefined && b.cidr6 !== undefined && overlaps(a.cidr6, b.cidr6)) {
        const msg = `${b.spec.subnet6} overlaps network ${a.spec.name}'s subnet6 ${a.spec.subnet6} (${shortRef(a.spec.source)})`;
        f.field(b.item.at, ['spec', 'subnet6'], 'overlap', msg);
      }
    }
  });
}

function checkBridgeNames(entries: readonly NetworkEntry[], f: Findings): void {
  for (const [later, first] of collisions(entries, (e) => e.spec.bridge?.name)) {
    const name = later.spec.bridge?.name ?? '';
    const given = later.item.spec.bridge?.name !== undefined;
    const msg =
      `bridge name ${name}${given ? '' : ' (default)'} is also the bridge of network ${first.spec.name} ` +
      `(${shortRef(first.spec.source)}); set spec.bridge.name to tell them apart`;
    f.add(given ? later.item.at(['spec', 'bridge', 'name']) : later.item.source, 'collision', `spec.bridge.name: ${msg}`);
  }
}

/** Networks with every default filled in, plus their own and cross-network checks. */
export function resolveNetworks(items: readonly NetItem[], f: Findings): Map<string, NetworkEntry> {
  const entries = items.map((item) => networkEntry(item, f));
  checkOverlaps(entries, f);
  checkBridgeNames(entries, f);
  return new Map(entries.map((e) => [e.spec.name, e]));
}
