/**
 * Pure: rtnetlink dumps, as glance.ts prints them, → the same raw entries
 * `ip -j -d` prints for `link show`, `addr show` and `route show table all
 * type unicast` (see ipjson.ts), restricted to the fields parse.ts reads.
 * The input is line-based text:
 *
 *   N NAME      a namespace begins
 *   M HEX       one netlink message (header included), little-endian
 *   D TYPE      the dump of request TYPE (18 link, 22 addr, 26 route) ended
 *               cleanly: the program checks the end message's error and the
 *               interrupted flag of every message, printed or not
 *
 * A namespace counts only when its three dumps ended cleanly and every
 * message is as the kernel sends it: anything else is left out, and its
 * caller reads it with `ip`.
 */
import type { JsonObject, NamespaceSnapshot } from './ipjson.js';

const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
/** The request types whose dumps a namespace needs. */
export const DUMPS = [18, 22, 26] as const;

const NLMSG_ERROR = 2;
const NLM_F_DUMP_INTR = 0x10;
const NLMSG_HDRLEN = 16;

const AF_INET = 2;
const AF_INET6 = 10;
const IFF_UP = 0x1;
const RTN_UNICAST = 1;

const IFLA = { address: 1, ifname: 3, mtu: 4, link: 5, master: 10, linkinfo: 18, ifalias: 20, linkNetnsid: 37 } as const;
const IFLA_INFO_KIND = 1;
const IFA = { address: 1, local: 2 } as const;
const RTA = { dst: 1, oif: 4, gateway: 5, table: 15 } as const;

/** What ip prints for these numbers (linux/rtnetlink.h, iproute2's rt_tables and rt_protos). */
const TABLES: Readonly<Record<number, string>> = { 253: 'default', 254: 'main', 255: 'local' };
const PROTOCOLS: Readonly<Record<number, string>> = { 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 9: 'ra', 16: 'dhcp' };
const SCOPES: Readonly<Record<number, string>> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

export class NetlinkParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetlinkParseError';
  }
}

/** Attributes (type → payload) of the TLV area from `start`; nested flags stripped. */
function attributes(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = start; off + 4 <= end;) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) throw new NetlinkParseError(`attribute at ${off} runs past its message`);
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** A NUL-terminated string attribute. */
const text = (b: Buffer | undefined): string | undefined => {
  if (b === undefined) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
};
const u32 = (b: Buffer | undefined): number | undefined => (b !== undefined && b.length >= 4 ? b.readUInt32LE(0) : undefined);
const s32 = (b: Buffer | undefined): number | undefined => (b !== undefined && b.length >= 4 ? b.readInt32LE(0) : undefined);
const mac = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** An IPv4 or IPv6 address in ip's text form (IPv6 compressed as ip prints it). */
export function addressText(b: Buffer): string | undefined {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) return undefined;
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // The longest run of two or more zero groups becomes "::" (the first such run on a tie: RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (best.at < 0) return hex(groups);
  return `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`;
}

interface Parsed {
  readonly links: JsonObject[];
  readonly addrs: { index: number; info: JsonObject }[];
  readonly routes: { oif?: number; entry: Record<string, unknown> }[];
}

/** Each parser: false when the message is not what the kernel sends (the namespace is then not seen whole). */
function parseLink(buf: Buffer, out: Parsed): boolean {
  if (buf.length < NLMSG_HDRLEN + 16) return false;
  const index = buf.readInt32LE(NLMSG_HDRLEN + 4);
  const flags = buf.readUInt32LE(NLMSG_HDRLEN + 8);
  const attrs = attributes(buf, NLMSG_HDRLEN + 16, buf.length);
  const ifname = text(attrs.get(IFLA.ifname));
  if (ifname === undefined) return false;
  const entry: Record<string, unknown> = { ifindex: index, ifname, flags: flags & IFF_UP ? ['UP'] : [] };
  const mtu = u32(attrs.get(IFLA.mtu));
  if (mtu !== undefined) entry['mtu'] = mtu;
  const address = attrs.get(IFLA.address);
  if (address !== undefined && address.length > 0) entry['address'] = mac(address);
  const alias = text(attrs.get(IFLA.ifalias));
  if (alias !== undefined && alias !== '') entry['ifalias'] = alias;
  const info = attrs.get(IFLA.linkinfo);
  if (info !== undefined) {
    const kind = text(attributes(info, 0, info.length).get(IFLA_INFO_KIND));
    if (kind !== undefined) entry['linkinfo'] = { info_kind: kind };
  }
  // ip prints a peer in another namespace by index and namespace id, one in this namespace by name.
  const peer = s32(attrs.get(IFLA.link));
  const netnsid = s32(attrs.get(IFLA.linkNetnsid));
  if (peer !== undefined && peer !== index) {
    if (netnsid !== undefined) {
      entry['link_index'] = peer;
      if (netnsid >= 0) entry['link_netnsid'] = netnsid;
    } else entry['peer_index'] = peer;
  }
  const master = u32(attrs.get(IFLA.master));
  if (master !== undefined) entry['master_index'] = master;
  out.links.push(entry);
  return true;
}

function parseAddr(buf: Buffer, out: Parsed): boolean {
  if (buf.length < NLMSG_HDRLEN + 8) return false;
  const family = buf.readUInt8(NLMSG_HDRLEN);
  if (family !== AF_INET && family !== AF_INET6) return true;
  const prefixlen = buf.readUInt8(NLMSG_HDRLEN + 1);
  const scope = buf.readUInt8(NLMSG_HDRLEN + 3);
  const index = buf.readUInt32LE(NLMSG_HDRLEN + 4);
  const attrs = attributes(buf, NLMSG_HDRLEN + 8, buf.length);
  const raw = attrs.get(IFA.local) ?? attrs.get(IFA.address);
  const local = raw === undefined ? undefined : addressText(raw);
  if (local === undefined) return false;
  out.addrs.push({ index, info: { family: family === AF_INET ? 'inet' : 'inet6', local, prefixlen, scope: SCOPES[scope] ?? String(scope) } });
  return true;
}

function parseRoute(buf: Buffer, out: Parsed): boolean {
  if (buf.length < NLMSG_HDRLEN + 12) return false;
  const family = buf.readUInt8(NLMSG_HDRLEN);
  if (family !== AF_INET && family !== AF_INET6) return true;
  const dstLen = buf.readUInt8(NLMSG_HDRLEN + 1);
  const protocol = buf.readUInt8(NLMSG_HDRLEN + 5);
  const type = buf.readUInt8(NLMSG_HDRLEN + 7);
  // `route show type unicast`: the local, broadcast, multicast … routes are not listed.
  if (type !== RTN_UNICAST) return true;
  const attrs = attributes(buf, NLMSG_HDRLEN + 12, buf.length);
  const table = u32(attrs.get(RTA.table)) ?? buf.readUInt8(NLMSG_HDRLEN + 4);
  const dstRaw = attrs.get(RTA.dst);
  const dstAddr = dstRaw === undefined ? undefined : addressText(dstRaw);
  const entry: Record<string, unknown> = {
    dst: dstLen === 0 ? 'default' : `${dstAddr ?? ''}/${dstLen}`,
    table: TABLES[table] ?? String(table),
    protocol: PROTOCOLS[protocol] ?? String(protocol),
    type: 'unicast',
  };
  if (dstLen !== 0 && dstAddr === undefined) return false;
  const gatewayRaw = attrs.get(RTA.gateway);
  const gateway = gatewayRaw === undefined ? undefined : addressText(gatewayRaw);
  if (gatewayRaw !== undefined && gateway === undefined) return false;
  if (gateway !== undefined) entry['gateway'] = gateway;
  // ip prints "pref" on every IPv6 route (parse.ts tells the family by it).
  if (family === AF_INET6) entry['pref'] = 'medium';
  const oif = u32(attrs.get(RTA.oif));
  out.routes.push({ ...(oif === undefined ? {} : { oif }), entry });
  return true;
}

/** One message (a Buffer holding it whole); false when it leaves the namespace not seen whole. */
function parseMessage(buf: Buffer, out: Parsed): boolean {
  if (buf.length < NLMSG_HDRLEN || buf.readUInt32LE(0) !== buf.length) throw new NetlinkParseError('a message whose length is not its header\'s');
  const type = buf.readUInt16LE(4);
  const flags = buf.readUInt16LE(6);
  if (type === NLMSG_ERROR || (flags & NLM_F_DUMP_INTR) !== 0) return false;
  try {
    if (type === RTM_NEWLINK) return parseLink(buf, out);
    if (type === RTM_NEWADDR) return parseAddr(buf, out);
    if (type === RTM_NEWROUTE) return parseRoute(buf, out);
  } catch (e: unknown) {
    if (e instanceof NetlinkParseError) return false;
    throw e;
  }
  return false;
}

/** The entries of one namespace in `ip -j` shape: names instead of the indexes ip resolves. */
function snapshotOf(ns: string, parsed: Parsed): NamespaceSnapshot {
  const names = new Map<number, string>();
  for (const l of parsed.links) names.set(l['ifindex'] as number, l['ifname'] as string);
  const links = parsed.links.map((l) => {
    const { master_index: master, peer_index: peer, ...rest } = l as Record<string, unknown>;
    const masterName = typeof master === 'number' ? names.get(master) : undefined;
    const peerName = typeof peer === 'number' ? names.get(peer) ?? `if${peer}` : undefined;
    return { ...rest, ...(masterName === undefined ? {} : { master: masterName }), ...(peerName === undefined ? {} : { link: peerName }) };
  });
  const byIndex = new Map<number, JsonObject[]>();
  for (const a of parsed.addrs) byIndex.set(a.index, [...(byIndex.get(a.index) ?? []), a.info]);
  const addrs = parsed.links.map((l) => ({ ifindex: l['ifindex'], ifname: l['ifname'], addr_info: byIndex.get(l['ifindex'] as number) ?? [] }));
  const routes = parsed.routes.map(({ oif, entry }) => {
    const dev = oif === undefined ? undefined : names.get(oif);
    return dev === undefined ? entry : { ...entry, dev };
  });
  return { ns, links, addrs, routes };
}

/**
 * The namespaces whose three dumps are whole, as `ip -j` would print them.
 * Malformed input (a bad line, a message cut short) throws NetlinkParseError.
 */
export function snapshotsFromDumps(output: string): Map<string, NamespaceSnapshot> {
  const out = new Map<string, NamespaceSnapshot>();
  let current: { ns: string; parsed: Parsed; done: Set<number>; ok: boolean } | undefined;
  const finish = (): void => {
    if (current !== undefined && current.ok && DUMPS.every((d) => current?.done.has(d))) out.set(current.ns, snapshotOf(current.ns, current.parsed));
  };
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    if (tag === 'N ') {
      finish();
      current = { ns: rest, parsed: { links: [], addrs: [], routes: [] }, done: new Set(), ok: true };
    } else if (current === undefined) {
      throw new NetlinkParseError(`"${line.slice(0, 20)}" before any namespace`);
    } else if (tag === 'M ') {
      const message = Buffer.from(rest, 'hex');
      if (message.length * 2 !== rest.length) throw new NetlinkParseError(`not a hex message in ${current.ns}`);
      if (current.ok) current.ok = parseMessage(message, current.parsed);
    } else if (tag === 'D ') {
      current.done.add(Number(rest));
    } else {
      throw new NetlinkParseError(`unknown line "${line.slice(0, 20)}" in ${current.ns}`);
    }
  }
  finish();
  return out;
}
