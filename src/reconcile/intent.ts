import { SHARED_OWNER, type Owner, type Resource } from '../model/resource.js';
import { desiredAfterDelete } from './delete.js';
import { isPrunableShared, withShared } from './desired-shared.js';

/** The state a reconcile aims for, and which observed resources it may delete to get there. */
export interface Target {
  readonly desired: ReadonlyMap<string, Resource>;
  readonly prune: (r: Resource) => boolean;
}

/** apply: the manifests' resources; prune removes every owned resource they do not declare (never a sysctl netrecon did not set). */
export function applyTarget(desired: ReadonlyMap<string, Resource>, prune: boolean): Target {
  return { desired, prune: (r) => prune && (r.owner !== SHARED_OWNER || isPrunableShared(r)) };
}

/**
 * delete: everything observed except what the owners own (and what is inside
 * it); the shared firewall and forwarding recomputed from what remains.
 */
export function deleteTarget(observed: ReadonlyMap<string, Resource>, owners: ReadonlySet<Owner>, remainingShared: readonly Resource[]): Target {
  const selected = (r: Resource): boolean => owners.has(r.owner);
  return {
    desired: withShared(desiredAfterDelete(observed, selected), remainingShared),
    prune: (r) => selected(r) || isPrunableShared(r),
  };
}
