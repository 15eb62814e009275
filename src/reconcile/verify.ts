import equal from 'fast-deep-equal';
import type { Resource } from '../model/resource.js';
import { diffStates, type DiffOptions } from './diff.js';

/** Differences that remain between desired and observed state after an apply; empty means converged. */
export function verifyApplied(
  desired: ReadonlyMap<string, Resource>,
  observed: ReadonlyMap<string, Resource>,
  options: DiffOptions,
): string[] {
  return diffStates(desired, observed, options).map(describeChange);
}

const describeChange = (c: ReturnType<typeof diffStates>[number]): string => {
  switch (c.action) {
    case 'create': return `${c.desired.key}: missing`;
    case 'delete': return `${c.observed.key}: still present`;
    default: return `${c.desired.key}: ${c.fields.map((f) => `${f.field} is ${String(f.from)}, want ${String(f.to)}`).join(', ')}`;
  }
};

/**
 * How a resource compares across observations: a firewall's restore text is
 * a listing, not state; a bridge port number is the kernel's to hand out
 * (rollback asks for the old ones back by order, but cannot name them: a gap
 * left below by an unrelated port takes the number first).
 */
const comparable = (r: Resource): Resource => {
  if (r.type === 'firewall') return { ...r, restore: undefined, script: undefined };
  if (r.type === 'veth' && r.hostPort !== undefined) return { ...r, hostPort: undefined };
  return r;
};

/** Differences between two observed owned states (rollback must restore `before` exactly). */
export function compareOwnedStates(before: ReadonlyMap<string, Resource>, after: ReadonlyMap<string, Resource>): string[] {
  const out: string[] = [];
  for (const [key, r] of before) {
    const now = after.get(key);
    if (!now) out.push(`${key}: gone (was ${r.owner})`);
    else if (!equal(comparable(r), comparable(now))) out.push(`${key}: differs`);
  }
  for (const key of after.keys()) if (!before.has(key)) out.push(`${key}: appeared`);
  return out.sort();
}
