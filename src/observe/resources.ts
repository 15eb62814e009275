/**
 * Pure: parsed namespaces → owned resources and foreign names.
 * A link is owned when its ifalias is `netrecon:<kind>/<name>`; a named
 * netns is owned when its lo carries such a mark. Veth pairs are joined
 * across namespaces by their common owner (see `vethsFromEnds`).
 */
import {
  HOST_NS, addrKey, linkKey, netnsKey, ownerFromAlias, routeKey,
  type AddrResource, type ForeignObject, type ObservedState, type Owner, type Resource, type RouteResource,
} from '../model/resource.js';
import type { NamespaceSnapshot } from './ipjson.js';
import { addrsFromIpJson, linksFromIpJson, routesFromIpJson, type IpLink, type RouteHead } from './parse.js';
import { strayLink, vethsFromEnds, type VethEnd } from './veth.js';

/** What one namespace contributes before veth ends are joined. */
export interface NamespaceResources {
  readonly resources: readonly Resource[];
  readonly foreign: readonly ForeignObject[];
  readonly vethEnds: readonly VethEnd[];
}

/** The host's links by ifindex, to name a macvlan's parent seen from a netns. */
export type IfindexTable = ReadonlyMap<number, string>;

export const foreignLink = (ns: string, link: IpLink): ForeignObject => ({
  key: linkKey(ns, link.ifname),
  what: link.kind === undefined ? `link ${link.ifname} (device)` : `${link.kind} ${link.ifname}`,
});

const mtuOf = (link: IpLink): { mtu?: number } => (link.mtu === undefined ? {} : { mtu: link.mtu });

/** The parent's name: by name in the same netns, else by ifindex in the host (link_netnsid present). */
function macvlanParent(link: IpLink, hostIndex: IfindexTable): string {
  if (link.link !== undefined) return link.link;
  if (link.linkNetnsid !== undefined && link.linkIndex !== undefined) return hostIndex.get(link.linkIndex) ?? '';
  return '';
}

type Classified = { readonly resource: Resource } | { readonly end: VethEnd };

function classifyOwnedLink(ns: string, link: IpLink, owner: Owner, hostIndex: IfindexTable): Classified {
  const key = linkKey(ns, link.ifname);
  const attachment = owner.startsWith('attachment/');
  if (attachment && link.kind === 'veth') return { end: { ns, link, owner } };
  if (ns === HOST_NS && link.kind === 'bridge') {
    return { resource: { type: 'bridge', key, ns: HOST_NS, name: link.ifname, owner, mac: link.mac ?? '', ...mtuOf(link), up: link.up } };
  }
  if (ns === HOST_NS && link.kind === 'vlan' && owner.startsWith('network/') && link.link !== undefined && link.vlanId !== undefined) {
    return { resource: { type: 'vlan', key, ns: HOST_NS, name: link.ifname, owner, link: link.link, vid: link.vlanId, up: link.up } };
  }
  if (ns !== HOST_NS && attachment && link.kind === 'macvlan') {
    const parent = macvlanParent(link, hostIndex);
    const common = { type: 'macvlan', key, ns, name: link.ifname, owner, mac: link.mac ?? '' } as const;
    return { resource: { ...common, ...mtuOf(link), up: link.up, parent, mode: link.mode ?? '' } };
  }
  return { resource: strayLink(ns, link, owner) };
}

export function addrsToResources(ns: string, snapshot: NamespaceSnapshot, owners: ReadonlyMap<string, Owner>): AddrResource[] {
  return addrsFromIpJson(snapshot.addrs, (dev, scope) => scope === 'global' && owners.has(dev)).flatMap((a) => {
    const owner = owners.get(a.dev);
    if (owner === undefined) return [];
    return [{ type: 'addr', key: addrKey(ns, a.dev, a.cidr), ns, dev: a.dev, cidr: a.cidr, family: a.family, owner }];
  });
}

/** Kernel-made routes are skipped: connected subnets and IPv6 link-local (proto kernel), router adverts (proto ra). */
const KERNEL_PROTOCOLS = new Set(['kernel', 'ra']);

/** Routes netrecon may own: on an owned link, in the main table, unicast, not made by the kernel. */
const ownable = (owners: ReadonlyMap<string, Owner>) => (r: RouteHead): boolean =>
  r.dev !== undefined && owners.has(r.dev) && r.table === 'main' && r.type === 'unicast' && (r.protocol === undefined || !KERNEL_PROTOCOLS.has(r.protocol));

export function routesToResources(ns: string, snapshot: NamespaceSnapshot, owners: ReadonlyMap<string, Owner>): RouteResource[] {
  return routesFromIpJson(snapshot.routes, ownable(owners)).flatMap((r) => {
    const owner = r.dev === undefined ? undefined : owners.get(r.dev);
    if (owner === undefined || r.dev === undefined) return [];
    const via = r.via === undefined ? {} : { via: r.via };
    return [{ type: 'route', key: routeKey(ns, r.dst, r.family), ns, dst: r.dst, family: r.family, ...via, dev: r.dev, owner }];
  });
}

/** Links of one owned namespace (or the host) → resources, veth ends, foreign names; then its addrs and routes. */
function linksToResources(ns: string, snapshot: NamespaceSnapshot, hostIndex: IfindexTable): NamespaceResources {
  const resources: Resource[] = [];
  const foreign: ForeignObject[] = [];
  const vethEnds: VethEnd[] = [];
  const owners = new Map<string, Owner>();
  for (const link of linksFromIpJson(snapshot.links)) {
    const owner = ownerFromAlias(link.alias);
    if (ns !== HOST_NS && link.ifname === 'lo') continue;
    if (owner === undefined) {
      foreign.push(foreignLink(ns, link));
      continue;
    }
    owners.set(link.ifname, owner);
    const c = classifyOwnedLink(ns, link, owner, hostIndex);
    if ('end' in c) vethEnds.push(c.end);
    else resources.push(c.resource);
  }
  resources.push(...addrsToResources(ns, snapshot, owners), ...routesToResources(ns, snapshot, owners));
  return { resources, foreign, vethEnds };
}

export const hostIfindexTable = (host: NamespaceSnapshot): IfindexTable =>
  new Map(linksFromIpJson(host.links).map((l) => [l.ifindex, l.ifname]));

/** The host namespace: every link not owned is foreign (lo included). */
export const hostToResources = (host: NamespaceSnapshot): NamespaceResources =>
  linksToResources(HOST_NS, host, hostIfindexTable(host));

/** A named namespace: owned when its lo is marked, else only its name is recorded (contents ignored). */
export function namespaceToResources(snapshot: NamespaceSnapshot, hostIndex: IfindexTable): NamespaceResources {
  const { ns } = snapshot;
  const lo = linksFromIpJson(snapshot.links).find((l) => l.ifname === 'lo');
  const owner = ownerFromAlias(lo?.alias);
  if (owner === undefined) return { resources: [], foreign: [{ key: netnsKey(ns), what: `netns ${ns}` }], vethEnds: [] };
  const inner = linksToResources(ns, snapshot, hostIndex);
  const netns: Resource = { type: 'netns', key: netnsKey(ns), ns, owner, loUp: lo?.up ?? false };
  return { ...inner, resources: [netns, ...inner.resources] };
}

export interface AssembleOptions {
  /**
   * Only some namespaces were read: a host veth end whose other end is not
   * found may sit in an unread namespace, so it is left out instead of being
   * reported as a stray.
   */
  readonly partial?: boolean;
}

const byKey = <T extends { key: string }>(items: readonly T[]): Map<string, T> =>
  new Map([...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((i) => [i.key, i]));

/** Host + named namespaces → ObservedState (maps in key order). */
export function observedFromSnapshots(host: NamespaceSnapshot, namespaces: readonly NamespaceSnapshot[], options: AssembleOptions = {}): ObservedState {
  const hostIndex = hostIfindexTable(host);
  const parts = [linksToResources(HOST_NS, host, hostIndex), ...namespaces.map((s) => namespaceToResources(s, hostIndex))];
  const ends = parts.flatMap((p) => p.vethEnds);
  const veths = vethsFromEnds(ends, { partial: options.partial ?? false });
  const resources = [...parts.flatMap((p) => p.resources), ...veths];
  const observed = { resources: byKey(resources), foreign: byKey(parts.flatMap((p) => p.foreign)) };
  if (!options.partial) return observed;
  const paired = new Set(veths.flatMap((v) => (v.type === 'veth' ? [v.hostName] : [])));
  const unpaired = ends.filter((e) => e.ns === HOST_NS && !paired.has(e.link.ifname)).map((e) => e.owner);
  return { ...observed, unpaired: [...new Set(unpaired)].sort() };
}
