import ipaddr from 'ipaddr.js';

/**
 * Pure IPv4/IPv6 address and prefix arithmetic. Addresses are handled as
 * bigint so both families share one code path.
 */
export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** Network address as an integer. */
  readonly base: bigint;
  readonly prefix: number;
}

const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

/**
 * Dispatch on the colon first: ipaddr.js's IPv4 check throws and catches
 * internally on IPv6 text, ten times the cost of the IPv6 check itself (an
 * observation of N sandboxes parses about 3N IPv6 link-local addresses).
 */
export const isIp = (text: string): boolean => (text.includes(':') ? ipaddr.IPv6.isValid(text) : ipaddr.IPv4.isValidFourPartDecimal(text));

/** 127.0.0.0/8 or ::1 (a valid address). */
export const isLoopback = (ip: string): boolean => ipaddr.parse(ip).range() === 'loopback';

export const familyOf = (ip: string): Family => (ip.includes(':') ? 6 : 4);

/**
 * The one text form of an address: four-part decimal for IPv4, RFC 5952
 * (lower case, longest zero run compressed) for IPv6. A valid four-part
 * decimal address is already canonical; IPv6 goes through ipaddr.js's bytes
 * (which drop a zone index) without the bigint round trip.
 */
export const canonicalIp = (ip: string): string =>
  (ip.includes(':') ? ipaddr.fromByteArray(ipaddr.IPv6.parse(ip).toByteArray()).toString()
    : ipaddr.IPv4.isValidFourPartDecimal(ip) ? ip : bigintToIp(ipToBigint(ip), 4));

export function ipToBigint(ip: string): bigint {
  const bytes = ipaddr.parse(ip).toByteArray();
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function bigintToIp(value: bigint, family: Family): string {
  const n = bitsOf(family) / 8;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** Parse "a.b.c.d/len" (host bits allowed; see `isCanonical`). Returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!isIp(ip) || !/^\d{1,3}$/.test(lenText)) return undefined;
  const family = familyOf(ip);
  const prefix = Number(lenText);
  if (prefix > bitsOf(family)) return undefined;
  return { family, base: ipToBigint(ip) & maskOf(family, prefix), prefix };
}

export const maskOf = (family: Family, prefix: number): bigint => {
  const bits = BigInt(bitsOf(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
};

export const cidrToString = (c: Cidr): string => `${bigintToIp(c.base, c.family)}/${c.prefix}`;

/** True when the text has no host bits set ("10.0.0.0/8", not "10.0.0.1/8"). */
export const isCanonical = (text: string): boolean => {
  const c = parseCidr(text);
  return c !== undefined && ipToBigint(text.slice(0, text.indexOf('/'))) === c.base;
};

export const size = (c: Cidr): bigint => 1n << BigInt(bitsOf(c.family) - c.prefix);
export const lastAddress = (c: Cidr): bigint => c.base + size(c) - 1n;

export const contains = (c: Cidr, ip: string): boolean =>
  familyOf(ip) === c.family && ((ipToBigint(ip) & maskOf(c.family, c.prefix)) === c.base);

export const containsCidr = (outer: Cidr, inner: Cidr): boolean =>
  outer.family === inner.family && inner.prefix >= outer.prefix && (inner.base & maskOf(outer.family, outer.prefix)) === outer.base;

export const overlaps = (a: Cidr, b: Cidr): boolean => containsCidr(a, b) || containsCidr(b, a);

/** First usable host: network + 1 (for /31 and /32, and IPv6 /127 and /128, the base itself). */
export const firstHost = (c: Cidr): string =>
  bigintToIp(c.prefix >= bitsOf(c.family) - 1 ? c.base : c.base + 1n, c.family);

/** Addresses that are never handed out in an IPv4 subnet: network and broadcast (none for /31, /32). */
export const isReservedInSubnet = (c: Cidr, ip: string): boolean => {
  if (c.family === 6) return ipToBigint(ip) === c.base && c.prefix < 127;
  if (c.prefix >= 31) return false;
  const v = ipToBigint(ip);
  return v === c.base || v === lastAddress(c);
};

/** Docker's MAC for an IPv4 address: 02:42 followed by the four octets. */
export const macFromIpv4 = (ip: string): string =>
  ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
