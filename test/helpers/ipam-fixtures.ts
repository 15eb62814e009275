import type { AttachmentSpec, ManifestSet, NetworkSpec, SourceRef } from '../../src/model/manifest.js';
import type { AddrResource, ObservedState, Resource, VethResource } from '../../src/model/resource.js';
import { addrKey, linkKey } from '../../src/model/resource.js';
import type { Assignment } from '../../src/ipam/index.js';
import { firstHost, parseCidr } from '../../src/util/cidr.js';

/** Builders for IPAM tests: manifests as the loader would hand them over, defaults filled in. */
export const at = (file: string, line = 1): SourceRef => ({ file, line, col: 1 });

export interface NetworkOptions {
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly subnet6?: string;
  readonly gateway6?: string;
}

export function network(name: string, subnet: string, options: NetworkOptions = {}): NetworkSpec {
  const cidr = parseCidr(subnet);
  if (cidr === undefined) throw new Error(`bad subnet ${subnet}`);
  const cidr6 = options.subnet6 === undefined ? undefined : parseCidr(options.subnet6);
  return {
    name,
    labels: {},
    driver: 'bridge',
    subnet,
    gateway: options.gateway ?? firstHost(cidr),
    ipRange: options.ipRange ?? subnet,
    ...(options.subnet6 === undefined ? {} : { subnet6: options.subnet6 }),
    ...(cidr6 === undefined ? {} : { gateway6: options.gateway6 ?? firstHost(cidr6) }),
    source: at(`networks/${name}.yaml`),
  };
}

export interface AttachmentOptions {
  readonly address?: string;
  readonly address6?: string;
}

export function attachment(name: string, net: string, options: AttachmentOptions = {}): AttachmentSpec {
  return {
    name,
    labels: {},
    sandbox: name,
    network: net,
    interface: 'eth0',
    ...options,
    defaultRoute: true,
    routes: [],
    publish: [],
    source: at(`attachments/${name}.yaml`, 3),
  };
}

export function manifests(networks: readonly NetworkSpec[], attachments: readonly AttachmentSpec[]): ManifestSet {
  return {
    networks: new Map(networks.map((n) => [n.name, n])),
    sandboxes: new Map(),
    attachments: new Map(attachments.map((a) => [a.name, a])),
    files: [],
  };
}

/** What the kernel would show after applying the assignments: one veth per attachment in its own netns. */
export function observedFrom(assignments: ReadonlyMap<string, Assignment>): ObservedState {
  const resources = new Map<string, Resource>();
  for (const [name, a] of assignments) {
    const owner = `attachment/${name}` as const;
    const veth: VethResource = {
      type: 'veth', key: linkKey(name, 'eth0'), ns: name, name: 'eth0', owner, mac: '02:42:00:00:00:00',
      up: true, hostName: `nrv-${name}`, hostMaster: 'nr-br', hostUp: true, hostIsolated: false, hostHairpin: false,
    };
    resources.set(veth.key, veth);
    const addrs: [string, 4 | 6][] = [[`${a.ipv4}/${a.prefix}`, 4]];
    if (a.ipv6 !== undefined) addrs.push([`${a.ipv6}/${a.prefix6 ?? 64}`, 6]);
    for (const [cidr, family] of addrs) {
      const addr: AddrResource = { type: 'addr', key: addrKey(name, 'eth0', cidr), ns: name, dev: 'eth0', cidr, family, owner };
      resources.set(addr.key, addr);
    }
  }
  return { resources, foreign: new Map() };
}
