/**
 * Pure: raw `ip -j -d` entries → the few typed fields observe compares.
 * Tolerant with the kernel: unknown fields are ignored, missing optional
 * fields stay undefined, entries without the identifying field are skipped.
 */
import { canonicalIp, isIp, parseCidr, cidrToString, type Family } from '../util/cidr.js';
import { isObject, type JsonObject } from './ipjson.js';

export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly up: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  readonly alias?: string;
  readonly master?: string;
  /** linkinfo.info_kind: "bridge", "veth", "macvlan", … (undefined for plain devices). */
  readonly kind?: string;
  /** linkinfo.info_data.mode (macvlan). */
  readonly mode?: string;
  /** linkinfo.info_data.id (802.1Q VLAN id). */
  readonly vlanId?: number;
  /** bridge port isolation (info_slave_data.isolated), for ports of a bridge. */
  readonly isolated?: boolean;
  /** bridge port hairpin (info_slave_data.hairpin). */
  readonly hairpin?: boolean;
  /** bridge port number (info_slave_data.no, printed in hex): the bridge gives each new port the lowest free one. */
  readonly portNo?: number;
  /** The peer/parent by name when it is in the same namespace. */
  readonly link?: string;
  readonly linkIndex?: number;
  /** Present when the peer/parent is in another namespace. */
  readonly linkNetnsid?: number;
}

export interface IpAddr {
  readonly dev: string;
  readonly family: Family;
  /** "ip/len" with the address in canonical text form. */
  readonly cidr: string;
  readonly scope: string;
}

export interface IpRoute {
  /** "default" or a canonical CIDR. */
  readonly dst: string;
  readonly family: Family;
  readonly dev?: string;
  readonly via?: string;
  readonly protocol?: string;
  readonly table: string;
  readonly type: string;
}

const str = (o: JsonObject, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
const bool = (o: JsonObject, k: string): boolean | undefined => (typeof o[k] === 'boolean' ? (o[k] as boolean) : undefined);
const num = (o: JsonObject, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
/** A number ip prints as a hex string ("0x2"), or as a plain number. */
const hexNum = (o: JsonObject, k: string): number | undefined => {
  const v = o[k];
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v.slice(2), 16) : undefined;
};
const obj = (o: JsonObject, k: string): JsonObject => {
  const v = o[k];
  return isObject(v) ? v : {};
};

export function linkFromIpJson(o: JsonObject): IpLink | undefined {
  const ifname = str(o, 'ifname');
  const ifindex = num(o, 'ifindex');
  if (ifname === undefined || ifindex === undefined) return undefined;
  const flags = Array.isArray(o['flags']) ? o['flags'] : [];
  const info = obj(o, 'linkinfo');
  return {
    ifindex,
    ifname,
    up: flags.includes('UP'),
    mtu: num(o, 'mtu'),
    mac: str(o, 'address')?.toLowerCase(),
    alias: str(o, 'ifalias'),
    master: str(o, 'master'),
    kind: str(info, 'info_kind'),
    mode: str(obj(info, 'info_data'), 'mode'),
    vlanId: num(obj(info, 'info_data'), 'id'),
    isolated: bool(obj(info, 'info_slave_data'), 'isolated'),
    hairpin: bool(obj(info, 'info_slave_data'), 'hairpin'),
    portNo: hexNum(obj(info, 'info_slave_data'), 'no'),
    link: str(o, 'link'),
    linkIndex: num(o, 'link_index'),
    linkNetnsid: num(o, 'link_netnsid'),
  };
}

export const linksFromIpJson = (entries: readonly JsonObject[]): IpLink[] =>
  entries.flatMap((o) => linkFromIpJson(o) ?? []);

/**
 * `addr show` entries (links with addr_info) → one IpAddr per inet/inet6
 * address for which `keep(dev, scope)` holds, decided before the address is
 * parsed (most of a sandbox's are lo's and link-local ones nobody asks for).
 */
export function addrsFromIpJson(entries: readonly JsonObject[], keep: (dev: string, scope: string) => boolean = () => true): IpAddr[] {
  return entries.flatMap((link) => {
    const dev = str(link, 'ifname');
    const infos = Array.isArray(link['addr_info']) ? link['addr_info'] : [];
    return infos.flatMap((info: unknown): IpAddr[] => {
      if (dev === undefined || !isObject(info)) return [];
      const scope = str(info, 'scope') ?? 'global';
      if (!keep(dev, scope)) return [];
      const family = str(info, 'family');
      const local = str(info, 'local');
      const len = num(info, 'prefixlen');
      if ((family !== 'inet' && family !== 'inet6') || local === undefined || !isIp(local) || len === undefined) return [];
      return [{ dev, family: family === 'inet' ? 4 : 6, cidr: `${canonicalIp(local)}/${len}`, scope }];
    });
  });
}

/** "default" stays; "10.1.2.3" becomes "10.1.2.3/32"; host bits are cleared. Undefined when not an address. */
export function canonicalDst(dst: string, family: Family): string | undefined {
  if (dst === 'default') return dst;
  const withLen = dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`;
  const c = parseCidr(withLen);
  return c === undefined ? undefined : cidrToString(c);
}

/** IPv6 routes always carry "pref"; otherwise the addresses tell. */
const routeFamily = (o: JsonObject): Family =>
  (str(o, 'dst') ?? '').includes(':') || (str(o, 'gateway') ?? '').includes(':') || 'pref' in o ? 6 : 4;

/** The fields a route is selected by, read before its destination is parsed. */
export interface RouteHead {
  readonly dev?: string;
  readonly protocol?: string;
  readonly table: string;
  readonly type: string;
}

export function routeFromIpJson(o: JsonObject, keep: (head: RouteHead) => boolean = () => true): IpRoute | undefined {
  const raw = str(o, 'dst');
  if (raw === undefined) return undefined;
  const head: RouteHead = { dev: str(o, 'dev'), protocol: str(o, 'protocol'), table: str(o, 'table') ?? 'main', type: str(o, 'type') ?? 'unicast' };
  if (!keep(head)) return undefined;
  const family = routeFamily(o);
  const dst = canonicalDst(raw, family);
  if (dst === undefined) return undefined;
  return { dst, family, dev: head.dev, via: str(o, 'gateway'), protocol: head.protocol, table: head.table, type: head.type };
}

/** `route show` entries → IpRoutes, those `keep` selects (by their head, before the destination is parsed). */
export const routesFromIpJson = (entries: readonly JsonObject[], keep?: (head: RouteHead) => boolean): IpRoute[] =>
  entries.flatMap((o) => routeFromIpJson(o, keep) ?? []);
