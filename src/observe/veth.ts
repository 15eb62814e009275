/**
 * Pure: join the two ends of netrecon's veth pairs. Both ends carry the
 * attachment's alias; the sandbox end (in an owned netns) names the
 * resource, the host end contributes hostName, hostMaster and hostUp.
 */
import { HOST_NS, linkKey, type Owner, type StrayLinkResource, type VethResource } from '../model/resource.js';
import type { IpLink } from './parse.js';

/** An owned veth end waiting for its other end. */
export interface VethEnd {
  readonly ns: string;
  readonly link: IpLink;
  readonly owner: Owner;
}

export const strayLink = (ns: string, link: IpLink, owner: Owner): StrayLinkResource =>
  ({ type: 'stray-link', key: linkKey(ns, link.ifname), ns, name: link.ifname, owner });

export function vethResource(sandbox: VethEnd, host: VethEnd): VethResource {
  const { link } = sandbox;
  return {
    type: 'veth',
    key: linkKey(sandbox.ns, link.ifname),
    ns: sandbox.ns,
    name: link.ifname,
    owner: sandbox.owner,
    mac: link.mac ?? '',
    ...(link.mtu === undefined ? {} : { mtu: link.mtu }),
    up: link.up,
    hostName: host.link.ifname,
    ...(host.link.mac === undefined ? {} : { hostMac: host.link.mac }),
    hostMaster: host.link.master ?? '',
    ...(host.link.portNo === undefined ? {} : { hostPort: host.link.portNo }),
    hostUp: host.link.up,
    hostIsolated: host.link.isolated ?? false,
    hostHairpin: host.link.hairpin ?? false,
  };
}

/** Same owner; among several, the one the sandbox end points at (its link_index). */
function pickHostEnd(sandbox: VethEnd, byOwner: ReadonlyMap<Owner, readonly VethEnd[]>, used: ReadonlySet<VethEnd>): VethEnd | undefined {
  const candidates = (byOwner.get(sandbox.owner) ?? []).filter((h) => !used.has(h));
  return candidates.find((h) => h.link.ifindex === sandbox.link.linkIndex) ?? candidates[0];
}

/** Joined pairs become VethResources; an end without its other end is a stray (host ends: unless `partial`). */
export function vethsFromEnds(ends: readonly VethEnd[], options: { readonly partial: boolean }): (VethResource | StrayLinkResource)[] {
  const hostEnds = ends.filter((e) => e.ns === HOST_NS);
  // By owner: N sandbox ends each looking through N host ends was O(N²) (18 ms at 500).
  const byOwner = new Map<Owner, VethEnd[]>();
  for (const h of hostEnds) byOwner.set(h.owner, [...(byOwner.get(h.owner) ?? []), h]);
  const used = new Set<VethEnd>();
  const out: (VethResource | StrayLinkResource)[] = [];
  for (const end of ends) {
    if (end.ns === HOST_NS) continue;
    const host = pickHostEnd(end, byOwner, used);
    if (host === undefined) {
      out.push(strayLink(end.ns, end.link, end.owner));
      continue;
    }
    used.add(host);
    out.push(vethResource(end, host));
  }
  if (!options.partial) out.push(...hostEnds.filter((h) => !used.has(h)).map((h) => strayLink(h.ns, h.link, h.owner)));
  return out;
}
