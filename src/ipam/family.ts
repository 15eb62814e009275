import { bigintToIp, type Family, ipToBigint } from '../util/cidr.js';
import type { AddressPool } from './pool.js';

/** One address family of one network, ready to allocate. */
export interface FamilyInput {
  readonly family: Family;
  readonly pool: AddressPool;
  /** Attachments on the network, sorted by name. */
  readonly members: readonly string[];
  /** Members with a static address of this family. */
  readonly statics: ReadonlyMap<string, string>;
  /** Address of this family each attachment held before (members and released ones). */
  readonly previous: ReadonlyMap<string, string>;
  /** Attachments no longer on the network, with the counter value of their release. */
  readonly released: ReadonlyMap<string, number>;
}

export interface FamilyResult {
  /** Address per member that got one. */
  readonly assigned: Map<string, string>;
  /** Released attachments that still hold their address. */
  readonly kept: Map<string, string>;
  /** Members left without an address, in name order. */
  readonly exhausted: string[];
  /**
   * Dynamic members whose address another member now claims as its static
   * one (it did not hold it before): the claim would renumber a live
   * attachment, so it is an error, as Docker's "address already in use";
   * the holder keeps the address and the claimant gets none.
   */
  readonly displaced: { readonly name: string; readonly ip: string; readonly by: string }[];
}

interface ReleasedHold {
  readonly name: string;
  readonly value: bigint;
}

/**
 * Static addresses first, then each member's previous address (if still
 * usable), then released leases are held back, then the rest get the lowest
 * free address; only a full pool hands out released leases, oldest first.
 */
export function allocateFamily(input: FamilyInput): FamilyResult {
  const { pool, family } = input;
  const assigned = new Map<string, string>();
  const staticHolder = new Map<bigint, string>();
  for (const [name, ip] of input.statics) {
    pool.take(ipToBigint(ip));
    assigned.set(name, ip);
    staticHolder.set(ipToBigint(ip), name);
  }
  const displaced: FamilyResult['displaced'] = [];
  const refused = new Set<string>();
  for (const name of input.members) {
    const ip = input.previous.get(name);
    if (assigned.has(name) || ip === undefined) continue;
    const value = ipToBigint(ip);
    const by = staticHolder.get(value);
    if (by !== undefined && input.previous.get(by) !== ip) {
      // The live holder keeps its address; the new static claim is the error (no address for it).
      displaced.push({ name, ip, by });
      refused.add(by);
      staticHolder.delete(value);
      assigned.delete(by);
      assigned.set(name, ip);
      continue;
    }
    if (!pool.isFree(value)) continue;
    pool.take(value);
    assigned.set(name, ip);
  }
  const { kept, queue } = holdReleased(input);
  const exhausted: string[] = [];
  let next = 0;
  for (const name of input.members) {
    if (assigned.has(name) || refused.has(name)) continue;
    let value = pool.takeLowestFree();
    if (value === undefined && next < queue.length) {
      const oldest = queue[next++] as ReleasedHold;
      kept.delete(oldest.name);
      value = oldest.value;
    }
    if (value === undefined) exhausted.push(name);
    else assigned.set(name, bigintToIp(value, family));
  }
  return { assigned, kept, exhausted, displaced };
}

/**
 * Released leases keep their address unless someone now uses it. Those inside
 * the pool are taken (so dynamic allocation skips them) and queued, oldest
 * release first, for when the pool runs out.
 */
function holdReleased(input: FamilyInput): { kept: Map<string, string>; queue: ReleasedHold[] } {
  const { pool } = input;
  const candidates: (ReleasedHold & { readonly at: number })[] = [];
  for (const [name, at] of input.released) {
    const ip = input.previous.get(name);
    if (ip !== undefined) candidates.push({ name, at, value: ipToBigint(ip) });
  }
  candidates.sort((a, b) => a.at - b.at || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const kept = new Map<string, string>();
  const queue: ReleasedHold[] = [];
  for (const c of candidates) {
    if (pool.isTaken(c.value)) continue;
    kept.set(c.name, bigintToIp(c.value, input.family));
    pool.take(c.value);
    if (pool.usable(c.value)) queue.push(c);
  }
  return { kept, queue };
}
