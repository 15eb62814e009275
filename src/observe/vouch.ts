/**
 * Pure: which namespaces `delete` leaves unread with `ip` because the host
 * vouches for them (and, for a plain delete, a glance inside confirms them:
 * confirmedByGlance), and what they hold.
 *
 * Reading a namespace with `ip` costs a process: at 500 sandboxes that read
 * takes about as long as the kernel's whole teardown. The host
 * shows, for each veth into a named namespace, the host end's name, its
 * mark, and the id the host gives the namespace of the other end. A
 * namespace is vouched for when the record of the last apply puts a sandbox
 * there whose every link is a veth, and the host's links into it are
 * exactly those veths' host ends, marked for those attachments and with the
 * recorded names. A namespace made by someone else under that name does not
 * hold those ends' peers unless they were moved there by hand; one whose
 * veth was deleted by hand has no host end left and is read; a user's veth
 * from the host into it is seen and stops the vouching. (The engine also
 * requires what the record builds to hash to what was observed after the
 * last apply: see engine/vouch.ts.)
 *
 * What a vouched namespace holds is taken from the record — the netns, the
 * veths (their host side as observed), addresses, routes — built exactly as
 * a read builds them, so a rollback recreates the same state. What the host
 * cannot see, and why --no-refresh (no glance) is not the default: links a
 * user made inside the namespace (a pair with both ends in it, a device
 * moved in, a veth to another namespace, whose other end goes too), which a
 * plain delete refuses to destroy, and changes made by hand inside it,
 * which a rollback would not bring back.
 */
import { HOST_NS, ownerFromAlias, type Resource, type VethResource } from '../model/resource.js';
import type { IpLink } from './parse.js';
import type { NamespaceSnapshot } from './ipjson.js';
import { namespaceDigests } from './digest.js';
import { namespaceToResources } from './resources.js';
import { vethResource, vethsFromEnds, type VethEnd } from './veth.js';

export interface Vouched {
  /** Namespaces not to read. */
  readonly namespaces: ReadonlySet<string>;
  /** Their resources, as a read would find them. */
  readonly resources: readonly Resource[];
}

const INSIDE: ReadonlySet<Resource['type']> = new Set(['netns', 'veth', 'addr', 'route']);

/** Every host link whose other end is in a named namespace, netrecon's or not, by the id the host gives that namespace. */
function linksByNsid(hostLinks: readonly IpLink[]): Map<number, IpLink[]> {
  const out = new Map<number, IpLink[]>();
  for (const link of hostLinks) {
    if (link.linkNetnsid === undefined) continue;
    const links = out.get(link.linkNetnsid);
    if (links === undefined) out.set(link.linkNetnsid, [link]);
    else links.push(link);
  }
  return out;
}

/**
 * `hostLinks`: the host's links; `nsids`: name → id (see nsids.ts);
 * `expected`: what the record puts in the candidate namespaces (see
 * sandboxKernelResources). Namespaces with anything else expected in them
 * (a macvlan, which the host cannot see) are not vouched for.
 */
export function vouchedNamespaces(hostLinks: readonly IpLink[], nsids: ReadonlyMap<string, number>, expected: readonly Resource[]): Vouched {
  const endsByNsid = linksByNsid(hostLinks);
  const byNs = new Map<string, Resource[]>();
  for (const r of expected) byNs.set(r.ns, [...(byNs.get(r.ns) ?? []), r]);
  const namespaces = new Set<string>();
  const resources: Resource[] = [];
  for (const [ns, inside] of byNs) {
    const id = nsids.get(ns);
    if (id === undefined || ns === HOST_NS) continue;
    const made = madeInside(ns, inside, endsByNsid.get(id) ?? []);
    if (made === undefined) continue;
    namespaces.add(ns);
    resources.push(...made);
  }
  return { namespaces, resources };
}

/** The namespace's resources when the host's links into it are exactly the record's veths; else undefined. */
function madeInside(ns: string, inside: readonly Resource[], ends: readonly IpLink[]): Resource[] | undefined {
  if (!inside.some((r) => r.type === 'netns') || inside.some((r) => !INSIDE.has(r.type))) return undefined;
  const veths = inside.filter((r): r is VethResource => r.type === 'veth');
  if (veths.length === 0 || ends.length !== veths.length) return undefined;
  const out: Resource[] = [];
  for (const r of inside) {
    if (r.type !== 'veth') {
      out.push(r);
      continue;
    }
    const matching = ends.filter((l) => l.kind === 'veth' && l.ifname === r.hostName && ownerFromAlias(l.alias) === r.owner);
    const end = matching[0];
    if (matching.length !== 1 || end === undefined) return undefined;
    // The sandbox end as a read would parse it: veth pairs carry one MTU, netrecon sets both ends.
    const sandboxEnd: IpLink = { ifindex: 0, ifname: r.name, up: r.up, mac: r.mac, ...(end.mtu === undefined ? {} : { mtu: end.mtu }) };
    out.push(vethResource({ ns, link: sandboxEnd, owner: r.owner }, { ns: HOST_NS, link: end, owner: r.owner }));
  }
  return out;
}

/**
 * Of the namespaces vouched for, those a glance (see glance.ts) saw holding
 * exactly what the record builds: no link netrecon does not own, the same
 * sandbox ends (name, MAC, MTU, up, peer), addresses and routes. The rest
 * are left to be read with `ip`.
 */
export function confirmedByGlance(vouched: Vouched, glanced: ReadonlyMap<string, NamespaceSnapshot>, hostLinks: readonly IpLink[], nsids: ReadonlyMap<string, number>): Vouched {
  const hostIndex = new Map(hostLinks.map((l) => [l.ifindex, l.ifname]));
  const endsByNsid = linksByNsid(hostLinks);
  const expected = namespaceDigests(vouched.resources);
  const namespaces = new Set<string>();
  for (const ns of vouched.namespaces) {
    const snapshot = glanced.get(ns);
    const id = nsids.get(ns);
    if (snapshot === undefined || id === undefined) continue;
    const inside = namespaceToResources(snapshot, hostIndex);
    if (inside.foreign.length > 0) continue;
    const hostEnds = (endsByNsid.get(id) ?? []).flatMap((link): VethEnd[] => {
      const owner = ownerFromAlias(link.alias);
      return link.kind === 'veth' && owner !== undefined ? [{ ns: HOST_NS, link, owner }] : [];
    });
    const peers = new Set(hostEnds.map((h) => h.link.ifindex));
    // Each sandbox end's peer is one of the host ends into this namespace (by its index in the host).
    if (!inside.vethEnds.every((end) => end.link.linkNetnsid !== undefined && end.link.linkIndex !== undefined && peers.has(end.link.linkIndex))) continue;
    const seen = [...inside.resources, ...vethsFromEnds([...inside.vethEnds, ...hostEnds], { partial: false })];
    if (namespaceDigests(seen).get(ns) === expected.get(ns)) namespaces.add(ns);
  }
  return { namespaces, resources: vouched.resources.filter((r) => namespaces.has(r.ns)) };
}
