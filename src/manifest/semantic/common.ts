import { diagnosticAt } from '../../model/diagnostic.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import type { SourceRef } from '../../model/manifest.js';
import { bigintToIp, canonicalIp, cidrToString, contains, familyOf, ipToBigint, isIp, isReservedInSubnet } from '../../util/cidr.js';
import type { Cidr } from '../../util/cidr.js';
import { fieldPath, shortRef } from '../positions.js';
import type { FieldPath, Locate } from '../positions.js';

/** Collects diagnostics of the semantic checks. */
export class Findings {
  readonly list: Diagnostic[] = [];

  add(at: SourceRef, code: string, message: string): void {
    this.list.push(diagnosticAt(at, code, message));
  }

  /** A diagnostic about a field: positioned at it, message prefixed with its path. */
  field(loc: Locate, path: FieldPath, code: string, message: string): void {
    this.add(loc(path), code, `${fieldPath(path)}: ${message}`);
  }
}

export { shortRef };

/**
 * Pairs of items that share a key (first one wins; each later one is paired
 * with the first that had the key). Keys that are undefined are skipped.
 */
export function collisions<T>(items: readonly T[], keyOf: (item: T) => string | undefined): [later: T, first: T][] {
  const seen = new Map<string, T>();
  const pairs: [T, T][] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, item);
    else pairs.push([item, first]);
  }
  return pairs;
}

/** Why `ip` cannot be a host address in `subnet`, or undefined when it can. */
export function hostAddressProblem(subnet: Cidr, ip: string): string | undefined {
  const net = cidrToString(subnet);
  if (!contains(subnet, ip)) return `${ip} is outside subnet ${net}`;
  if (!isReservedInSubnet(subnet, ip)) return undefined;
  return ipToBigint(ip) === subnet.base ? `${ip} is the network address of ${net}` : `${ip} is the broadcast address of ${net}`;
}

/** The usual text of an address ("FD00:0::1" -> "fd00::1"); text that is no address stays as it is. */
export const normalizeIp = (ip: string): string => (isIp(ip) ? canonicalIp(ip) : ip);
