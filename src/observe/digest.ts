/**
 * Pure: digests of owned resources, to tell whether two states are the
 * same without keeping them (a saved plan's, a namespace's after an apply).
 */
import { createHash } from 'node:crypto';
import type { ObservedState, Resource } from '../model/resource.js';
import { byCodeUnit } from '../util/order.js';

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Per namespace the resources are in (the host's too), the digest of the
 * kernel resources netrecon owns there (no files), grouped in one pass:
 * what a read of it found, or what the record builds for it (see vouch.ts).
 * Two resources under one key give a digest no read can.
 */
export function namespaceDigests(resources: Iterable<Resource>): Map<string, string> {
  const byNs = new Map<string, Resource[]>();
  for (const r of resources) {
    if (r.type === 'file') continue;
    const inside = byNs.get(r.ns);
    if (inside === undefined) byNs.set(r.ns, [r]);
    else inside.push(r);
  }
  return new Map([...byNs].map(([ns, inside]) => [ns, digestOf(inside)]));
}

/** sha256 (hex) of the resources sorted by key, as canonical JSON (sorts `resources` in place). */
const digestOf = (resources: Resource[]): string =>
  createHash('sha256').update(canonicalJson(resources.sort((a, b) => byCodeUnit(a.key, b.key)))).digest('hex');

/** sha256 (hex) of the owned resources sorted by key, as canonical JSON; a saved plan records it. */
export const digestObserved = (state: ObservedState): string => digestOf([...state.resources.values()]);
