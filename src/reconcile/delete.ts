import type { Resource } from '../model/resource.js';
import { parentKey } from './compare.js';

/**
 * The state `delete` aims for: everything observed except what the selected
 * owners own and everything inside it (a deleted netns takes its links along,
 * whoever owns them).
 */
export function desiredAfterDelete(observed: ReadonlyMap<string, Resource>, selected: (r: Resource) => boolean): Map<string, Resource> {
  const removed = (r: Resource | undefined): boolean => {
    if (r === undefined) return false;
    if (selected(r)) return true;
    const parent = parentKey(r);
    return parent !== undefined && removed(observed.get(parent));
  };
  return new Map([...observed].filter(([, r]) => !removed(r)));
}
