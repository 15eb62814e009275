import equal from 'fast-deep-equal';
import { HOST_NS, linkKey, type Owner, type Resource } from '../model/resource.js';
import { diffStates, type DiffOptions } from './diff.js';

/** Differences that remain between desired and observed state after an apply; empty means converged. */
export function verifyApplied(
  desired: ReadonlyMap<string, Resource>,
  observed: ReadonlyMap<string, Resource>,
  options: DiffOptions,
): string[] {
  return diffStates(desired, observed, options).map(describeChange);
}

/**
 * The check for host ends of the veths a plan removes that are still there.
 * Deleting a namespace removes its veths, but the kernel does it in the
 * background: until then the host end keeps its name (an apply right after
 * would find it taken), and for good when something holds the namespace
 * that netrecon could not see (it removes the links of namespaces
 * processes are in first). A read of some namespaces sees such an end only
 * as unpaired: `unpaired` are the owners of those ends.
 */
export function lingeringHostEnds(
  before: ReadonlyMap<string, Resource>,
  desired: ReadonlyMap<string, Resource>,
  prune: (r: Resource) => boolean,
): (unpaired: readonly Owner[]) => string[] {
  const removed = new Map<Owner, string>();
  for (const r of before.values()) if (r.type === 'veth' && !desired.has(r.key) && prune(r)) removed.set(r.owner, r.hostName);
  return (unpaired) => unpaired.flatMap((owner) => {
    const hostName = removed.get(owner);
    return hostName === undefined ? []
      : [`${linkKey(HOST_NS, hostName)}: still present (host end of ${owner}'s veth: its namespace was deleted but something still holds it, a process or a mount)`];
  });
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
