import type { ManifestSet } from '../model/manifest.js';
import type { AddrResource, ObservedState, Resource } from '../model/resource.js';
import { type Cidr, contains, parseCidr } from '../util/cidr.js';
import { byName } from './allocate.js';
import type { Lease, LeaseTable } from './leases.js';

const ATTACHMENT_OWNER = 'attachment/';

interface NetworkSubnets {
  readonly name: string;
  readonly subnets: readonly Cidr[];
}

/**
 * Rebuilds the lease table from the kernel when the state file is lost: each
 * owned veth/macvlan of attachment X contributes the addresses on it, filed
 * under the network whose subnet (or subnet6) contains them. Feeding the
 * result to `allocateAddresses` keeps every live address where it is.
 */
export function leasesFromObserved(observed: ObservedState, manifests: ManifestSet): LeaseTable {
  const addrsByLink = addressesByLink(observed.resources);
  const subnets = networkSubnets(manifests);
  const networks: Record<string, Record<string, Lease>> = {};
  const links = [...observed.resources.values()].sort((a, b) => byName(a.key, b.key));
  for (const link of links) {
    if ((link.type !== 'veth' && link.type !== 'macvlan') || !link.owner.startsWith(ATTACHMENT_OWNER)) continue;
    const attachment = link.owner.slice(ATTACHMENT_OWNER.length);
    for (const addr of addrsByLink.get(`addr/${link.ns}/${link.name}/`) ?? []) {
      const ip = addr.cidr.slice(0, addr.cidr.indexOf('/'));
      const network = subnets.find((n) => n.subnets.some((s) => contains(s, ip)));
      if (network === undefined) continue;
      const leases = (networks[network.name] ??= {});
      const field = addr.family === 4 ? 'ipv4' : 'ipv6';
      // The first address of a family (in key order) wins; a second one is not ours to lease.
      if (leases[attachment]?.[field] === undefined) leases[attachment] = { ...leases[attachment], [field]: ip };
    }
  }
  return { version: 1, counter: 0, networks };
}

/** Addresses grouped by their link's key prefix "addr/<ns>/<dev>/", in key order. */
function addressesByLink(resources: ReadonlyMap<string, Resource>): Map<string, AddrResource[]> {
  const out = new Map<string, AddrResource[]>();
  const addrs = [...resources.values()].filter((r): r is AddrResource => r.type === 'addr').sort((a, b) => byName(a.key, b.key));
  for (const addr of addrs) {
    const prefix = `addr/${addr.ns}/${addr.dev}/`;
    const list = out.get(prefix);
    if (list === undefined) out.set(prefix, [addr]);
    else list.push(addr);
  }
  return out;
}

function networkSubnets(manifests: ManifestSet): NetworkSubnets[] {
  return [...manifests.networks.values()]
    .sort((a, b) => byName(a.name, b.name))
    .map((n) => ({
      name: n.name,
      subnets: [n.subnet, n.subnet6].flatMap((text) => {
        const cidr = text === undefined ? undefined : parseCidr(text);
        return cidr === undefined ? [] : [cidr];
      }),
    }));
}
