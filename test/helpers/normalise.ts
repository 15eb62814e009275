import { deleteKeys, isObject, stripNft, type Json, type JsonObject, type NamespaceSnapshot, type Snapshot } from './snapshot.js';

/**
 * Reduce a snapshot to what must match when state is "restored exactly" —
 * compared by name, not by kernel instance, and independent of timing.
 *
 * Dropped, and why:
 * - ifindex, link_index, link_netnsid: a link deleted and recreated (rollback)
 *   gets a new ifindex; netns ids are handed out lazily. Identity is the name.
 * - operstate, and the carrier flags LOWER_UP / NO-CARRIER / M-DOWN / DORMANT,
 *   bridge-port `state`, route flag `linkdown`: follow carrier, which the
 *   kernel propagates asynchronously (linkwatch) after `ip link set up`. The
 *   administrative flag UP is kept.
 * - IPv6 link-local addresses (scope link) and their `fe80::/64` kernel
 *   routes: added by the kernel on its own once carrier is up, derived from
 *   the MAC; the address flag `tentative` (DAD in progress, ~1 s).
 * - address lifetimes; link attributes repeated in `ip addr` (kept in links).
 * - nft `handle`s: renumbered when a table is recreated. Top-level nft
 *   objects are sorted by (kind, family, table, name); rule order within a
 *   chain is kept, since it is meaningful.
 * - arrays the kernel orders by ifindex or insertion (links, addresses,
 *   routes) are sorted.
 * With `ignoreMacs`, also MAC addresses and the bridge ids derived from them
 *   (a recreated veth gets a random MAC unless the manifest pins one).
 */
export interface NormaliseOptions {
  readonly ignoreMacs?: boolean;
}

const IDENTITY = ['ifindex', 'link_index', 'link_netnsid', 'operstate'];
const CARRIER_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN', 'DORMANT']);
const MAC_KEYS = ['address', 'permaddr', 'bridge_id', 'root_id', 'designated_root'];

function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

function byKey(key: (o: JsonObject) => string): (a: JsonObject, b: JsonObject) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

const byName = byKey((o) => String(o['ifname']));
const byJson = byKey((o) => JSON.stringify(o));

function withoutFlags(value: Json | undefined, drop: (flag: string) => boolean): Json[] | undefined {
  return Array.isArray(value) ? value.filter((flag) => !(typeof flag === 'string' && drop(flag))) : undefined;
}

function normaliseLink(input: JsonObject, options: NormaliseOptions): JsonObject {
  const link = clone(input);
  deleteKeys(link, IDENTITY);
  const flags = withoutFlags(link['flags'], (flag) => CARRIER_FLAGS.has(flag));
  if (flags) link['flags'] = flags;
  const info = link['linkinfo'];
  if (isObject(info)) deleteKeys(info['info_slave_data'], ['state']);
  if (options.ignoreMacs && link['link_type'] !== 'loopback') {
    deleteKeys(link, MAC_KEYS);
    if (isObject(info)) {
      deleteKeys(info['info_data'], MAC_KEYS);
      deleteKeys(info['info_slave_data'], MAC_KEYS);
    }
  }
  return link;
}

function normaliseAddressEntry(entry: JsonObject): JsonObject {
  const infos = Array.isArray(entry['addr_info']) ? entry['addr_info'].filter(isObject) : [];
  const kept = infos
    .filter((info) => !(info['family'] === 'inet6' && info['scope'] === 'link'))
    .map((info) => {
      const copy = clone(info);
      deleteKeys(copy, ['tentative', 'valid_life_time', 'preferred_life_time']);
      return copy;
    })
    .sort(byJson);
  return { ifname: entry['ifname'] ?? null, addr_info: kept };
}

function normaliseRoutes(routes: readonly JsonObject[]): JsonObject[] {
  return routes
    .filter((route) => !(String(route['dst']).startsWith('fe80::') && route['protocol'] === 'kernel'))
    .map((input) => {
      const route = clone(input);
      const flags = withoutFlags(route['flags'], (flag) => flag === 'linkdown');
      if (flags) route['flags'] = flags;
      return route;
    })
    .sort(byJson);
}

function withoutHandles(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutHandles);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'handle').map(([k, v]) => [k, withoutHandles(v)]));
}

function nftSortKey(entry: JsonObject): string {
  const [kind = '', body] = Object.entries(entry)[0] ?? [];
  if (!isObject(body)) return kind;
  const name = kind === 'rule' ? body['chain'] : body['name'];
  return [kind === 'table' ? '' : kind, body['family'], body['table'] ?? body['name'], name].map(String).join('\u0000');
}

function normaliseNft(ruleset: readonly JsonObject[] | null): JsonObject[] | null {
  if (ruleset === null) return null;
  const entries = ruleset.map((entry) => withoutHandles(stripNft(entry)) as JsonObject);
  return entries.sort(byKey(nftSortKey));
}

function normaliseNamespace(ns: NamespaceSnapshot, options: NormaliseOptions): NamespaceSnapshot {
  return {
    links: ns.links.map((link) => normaliseLink(link, options)).sort(byName),
    addresses: ns.addresses.map(normaliseAddressEntry).sort(byName),
    routes4: normaliseRoutes(ns.routes4),
    routes6: normaliseRoutes(ns.routes6),
    nftables: normaliseNft(ns.nftables),
  };
}

export function normalise(snapshot: Snapshot, options: NormaliseOptions = {}): Snapshot {
  const names = Object.keys(snapshot.namespaces).sort();
  return {
    namespaces: Object.fromEntries(
      names.map((name) => [name, normaliseNamespace(snapshot.namespaces[name] as NamespaceSnapshot, options)]),
    ),
  };
}
