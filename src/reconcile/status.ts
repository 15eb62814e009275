import { SHARED_OWNER, type ObservedState, type Resource } from '../model/resource.js';
import { isPrunableShared } from './desired-shared.js';
import { compareResources } from './compare.js';
import { findConflicts } from './conflicts.js';

export type ResourceState = 'in-sync' | 'drifted' | 'missing' | 'conflict' | 'not-declared' | 'owned';

export interface StatusRow {
  readonly address: string;
  readonly owner: string;
  readonly state: ResourceState;
  readonly detail?: string;
}

/** Pure: every desired and every owned resource with its state. Without desired state, owned resources are just listed. */
export function statusRows(desired: ReadonlyMap<string, Resource> | undefined, observed: ObservedState): StatusRow[] {
  const rows: StatusRow[] = [];
  if (!desired) {
    for (const r of observed.resources.values()) if (r.owner !== SHARED_OWNER || isPrunableShared(r)) rows.push({ address: r.key, owner: r.owner, state: 'owned' });
    return sortRows(rows);
  }
  const conflicts = new Map(findConflicts(desired, observed).map((c) => [c.slice(0, c.indexOf(' ')), c]));
  for (const d of desired.values()) {
    const o = observed.resources.get(d.key);
    const conflict = conflicts.get(d.key);
    if (conflict) rows.push({ address: d.key, owner: d.owner, state: 'conflict', detail: conflict.slice(conflict.indexOf(': ') + 2) });
    else if (!o) rows.push({ address: d.key, owner: d.owner, state: 'missing' });
    else rows.push(compared(d, o));
  }
  for (const o of observed.resources.values()) {
    if (!desired.has(o.key) && (o.owner !== SHARED_OWNER || isPrunableShared(o))) rows.push({ address: o.key, owner: o.owner, state: 'not-declared', detail: notDeclared(o) });
  }
  return sortRows(rows);
}

function compared(d: Resource, o: Resource): StatusRow {
  const c = compareResources(d, o);
  if (c.kind === 'same') return { address: d.key, owner: d.owner, state: 'in-sync' };
  const detail = c.fields.map((f) => `${f.field}: ${String(f.from)}, want ${String(f.to)}`).join('; ');
  return { address: d.key, owner: d.owner, state: 'drifted', detail };
}

const sortRows = (rows: StatusRow[]): StatusRow[] => rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));

export const isInSync = (rows: readonly StatusRow[]): boolean => rows.every((r) => r.state === 'in-sync' || r.state === 'owned');

/**
 * Addresses and routes have no mark of their own: they count as netrecon's
 * because their link is (one added by hand included), so say that.
 */
const notDeclared = (r: Resource): string => (r.type === 'addr' || r.type === 'route'
  ? 'on a link netrecon owns, in no manifest: apply prunes it'
  : 'owned by netrecon, in no manifest: apply prunes it');
