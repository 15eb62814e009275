import type { FieldChange } from '../model/plan.js';
import type { Resource } from '../model/resource.js';
import { byRankThenKey, compareResources, parentKey, rank } from './compare.js';

/** One resource's difference between desired and observed state. */
export type Change =
  | { readonly action: 'create'; readonly desired: Resource }
  | { readonly action: 'update'; readonly desired: Resource; readonly observed: Resource; readonly fields: readonly FieldChange[] }
  | { readonly action: 'replace'; readonly desired: Resource; readonly observed: Resource; readonly fields: readonly FieldChange[]; readonly covers: readonly Resource[] }
  | { readonly action: 'delete'; readonly observed: Resource; readonly covers: readonly Resource[] };

export interface DiffOptions {
  /** Which observed resources that nothing desires may be deleted. */
  readonly prune: (r: Resource) => boolean;
}

/**
 * Pure diff over desired keys and observed keys. A removed netns or link
 * removes its children with it: they get no step of their own (they are
 * "covered"), and desired children of a replaced parent are created again.
 */
export function diffStates(
  desired: ReadonlyMap<string, Resource>,
  observed: ReadonlyMap<string, Resource>,
  options: DiffOptions,
): Change[] {
  const children = childrenIndex(observed);
  const removedRoots = new Map<string, Resource>();
  const comparisons = new Map<string, ReturnType<typeof compareResources>>();
  for (const d of desired.values()) {
    const o = observed.get(d.key);
    if (!o) continue;
    const c = compareResources(d, o);
    comparisons.set(d.key, c);
    if (c.kind === 'replace') removedRoots.set(o.key, o);
  }
  for (const o of observed.values()) if (!desired.has(o.key) && options.prune(o)) removedRoots.set(o.key, o);

  const covered = coveredBy(removedRoots, children);
  const endangered = routesLosingAnAddress(removedRoots, observed);
  const changes: Change[] = [];
  const deletes: { observed: Resource; covers: Resource[]; rank: number }[] = [];
  for (const o of removedRoots.values()) {
    if (covered.has(o.key) || desired.has(o.key)) continue;
    const covers = o.type === 'addr' ? (endangered.get(devOf(o)) ?? []) : descendants(o.key, children);
    deletes.push({ observed: o, covers, rank: Math.max(rank(o), ...covers.map(rank)) });
  }
  // Reverse creation order, where a delete ranks with everything it covers:
  // its inverse recreates them all, so a namespace whose veths sit on a
  // bridge (or whose macvlans sit on a VLAN link) goes before that bridge,
  // and a rollback recreates the bridge before the namespace.
  deletes.sort((a, b) => b.rank - a.rank || byRankThenKey(b.observed, a.observed));
  for (const { observed: o, covers } of deletes) changes.push({ action: 'delete', observed: o, covers });
  for (const d of [...desired.values()].sort(byRankThenKey)) {
    const o = observed.get(d.key);
    if (o && d.type === 'route' && !covered.has(o.key) && endangered.has(devOf(d))) {
      changes.push({ action: 'create', desired: d }); // the kernel drops it with the address; route replace puts it back
      continue;
    }
    const change = desiredChange(d, o, comparisons.get(d.key), { covered, children });
    if (change) changes.push(change);
  }
  return changes;
}

interface CoverInfo {
  readonly covered: ReadonlySet<string>;
  readonly children: ReadonlyMap<string, Resource[]>;
}

function desiredChange(d: Resource, o: Resource | undefined, c: ReturnType<typeof compareResources> | undefined, info: CoverInfo): Change | undefined {
  if (!o || !c || info.covered.has(o.key)) return { action: 'create', desired: d };
  if (c.kind === 'replace') return { action: 'replace', desired: d, observed: o, fields: c.fields, covers: descendants(o.key, info.children) };
  if (c.kind === 'update') return { action: 'update', desired: d, observed: o, fields: c.fields };
  return undefined;
}

const devOf = (r: { ns: string; dev: string }): string => `${r.ns}/${r.dev}`;

/**
 * Removing an address makes the kernel drop routes through gateways it made
 * reachable: routes on a device losing an address are re-created, and the
 * address's delete step restores them when it is undone.
 */
function routesLosingAnAddress(removed: ReadonlyMap<string, Resource>, observed: ReadonlyMap<string, Resource>): Map<string, Resource[]> {
  const devs = new Set([...removed.values()].flatMap((r) => (r.type === 'addr' ? [devOf(r)] : [])));
  const out = new Map<string, Resource[]>();
  if (devs.size === 0) return out;
  for (const r of observed.values()) {
    if (r.type !== 'route' || !devs.has(devOf(r))) continue;
    const list = out.get(devOf(r));
    if (list) list.push(r);
    else out.set(devOf(r), [r]);
  }
  return out;
}

function childrenIndex(observed: ReadonlyMap<string, Resource>): Map<string, Resource[]> {
  const index = new Map<string, Resource[]>();
  for (const r of observed.values()) {
    const parent = parentKey(r);
    if (parent === undefined) continue;
    const list = index.get(parent);
    if (list) list.push(r);
    else index.set(parent, [r]);
  }
  return index;
}

/** Every descendant of `key`, in creation order. */
function descendants(key: string, children: ReadonlyMap<string, Resource[]>): Resource[] {
  const out: Resource[] = [];
  const stack = [...(children.get(key) ?? [])];
  while (stack.length > 0) {
    const r = stack.pop() as Resource;
    out.push(r);
    stack.push(...(children.get(r.key) ?? []));
  }
  return out.sort(byRankThenKey);
}

function coveredBy(roots: ReadonlyMap<string, Resource>, children: ReadonlyMap<string, Resource[]>): Set<string> {
  const covered = new Set<string>();
  for (const key of roots.keys()) for (const r of descendants(key, children)) covered.add(r.key);
  return covered;
}
