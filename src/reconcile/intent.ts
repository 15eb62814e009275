import { SHARED_OWNER, type FileResource, type Owner, type Resource } from '../model/resource.js';
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
 * it); the shared firewall and forwarding recomputed from what remains, and
 * so are the files of the remaining owners the record knows (`refresh`: the
 * files an apply of what remains would write): an existing one is rewritten,
 * or removed when none is written any more; a missing one is not created.
 * With the record, a bridge that stays keeps route_localnet only while IPv4
 * ports remain published to it (`refresh.localnet`).
 */
export function deleteTarget(observed: ReadonlyMap<string, Resource>, owners: ReadonlySet<Owner>, remainingShared: readonly Resource[],
  refresh?: { readonly files: readonly FileResource[]; readonly owners: ReadonlySet<Owner>; readonly localnet: ReadonlySet<string> }): Target {
  const selected = (r: Resource): boolean => owners.has(r.owner);
  const desired = withShared(desiredAfterDelete(observed, selected), remainingShared);
  const produced = new Map((refresh?.files ?? []).map((f) => [f.key, f]));
  const dropped = new Set<string>();
  for (const [key, r] of desired) {
    if (r.type === 'bridge' && refresh !== undefined) desired.set(key, { ...r, routeLocalnet: refresh.localnet.has(r.name) });
    if (r.type !== 'file' || refresh?.owners.has(r.owner) !== true) continue;
    const now = produced.get(key);
    if (now !== undefined) desired.set(key, now);
    else {
      desired.delete(key);
      dropped.add(key);
    }
  }
  return { desired, prune: (r) => selected(r) || isPrunableShared(r) || dropped.has(r.key) };
}
