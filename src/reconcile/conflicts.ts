import type { Step } from '../model/plan.js';
import { HOST_NS, linkKey, type ObservedState, type Resource, type VethResource } from '../model/resource.js';

/**
 * Names the desired state needs that are taken by objects netrecon does not
 * own, and macvlan parents that do not exist. Checked before anything changes:
 * netrecon never adopts what it did not create.
 */
export function findConflicts(desired: ReadonlyMap<string, Resource>, observed: ObservedState): string[] {
  const out: string[] = [];
  for (const r of desired.values()) {
    // Parents first, for links that exist too: a changed parent replaces the link.
    if (r.type === 'macvlan' && !linkExists(r.parent, desired, observed)) {
      out.push(`${r.key} (${r.owner}): macvlan parent ${r.parent} does not exist on the host`);
    }
    if (r.type === 'vlan' && !linkExists(r.link, desired, observed)) {
      out.push(`${r.key} (${r.owner}): ${r.link}, the link under VLAN ${r.name}, does not exist on the host`);
    }
    if (observed.resources.has(r.key)) continue;
    for (const key of namesNeeded(r)) {
      const foreign = observed.foreign.get(key);
      if (foreign) out.push(`${r.key} (${r.owner}): ${key} is taken by ${foreign.what}, which netrecon does not own`);
    }
  }
  return out;
}

/**
 * A new veth whose host end name (derived from its sandbox and interface)
 * is still the host end of an owned veth this apply keeps: an apply
 * --no-prune that moves a sandbox to another namespace keeps the old one.
 * Creating it would fail ("File exists"), and undoing that create would
 * delete the kept one by name. `prunes`: this apply deletes what it does
 * not desire (then the old veth goes first).
 */
export function keptHostNameClashes(desired: ReadonlyMap<string, Resource>, observed: ObservedState, prunes: boolean): string[] {
  const held = new Map<string, VethResource>();
  for (const o of observed.resources.values()) if (o.type === 'veth') held.set(o.hostName, o);
  const out: string[] = [];
  for (const r of desired.values()) {
    if (r.type !== 'veth' || observed.resources.has(r.key)) continue;
    const o = held.get(r.hostName);
    if (o === undefined || o.key === r.key || (prunes && !desired.has(o.key))) continue;
    out.push(`${r.key} (${r.owner}): its host end ${r.hostName} is still the host end of ${o.key}, which this apply keeps: apply without --no-prune to move it, or delete the old one first`);
  }
  return out;
}

/**
 * Deleting a namespace deletes everything in it: refuse when it holds links
 * netrecon does not own (someone added them by hand), before anything changes.
 */
export function findDeleteConflicts(steps: readonly Step[], observed: ObservedState): string[] {
  const out: string[] = [];
  for (const s of steps) {
    if ((s.action !== 'delete' && s.action !== 'replace') || !s.address.startsWith('netns/')) continue;
    const ns = s.address.slice('netns/'.length);
    const foreign = [...observed.foreign.values()].filter((f) => f.key.startsWith(`link/${ns}/`)).map((f) => f.what);
    if (foreign.length > 0) {
      out.push(`${s.address} (${s.owner}): holds ${foreign.join(', ')}, which netrecon does not own; deleting the namespace would destroy them — remove them first, or keep the sandbox in the manifests`);
    }
  }
  return out;
}

function namesNeeded(r: Resource): string[] {
  switch (r.type) {
    case 'netns': return [r.key];
    case 'bridge': return [r.key];
    case 'veth': return [r.key, linkKey(HOST_NS, r.hostName)];
    case 'macvlan': return [r.key];
    case 'file': return [r.key];
    default: return [];
  }
}

const linkExists = (name: string, desired: ReadonlyMap<string, Resource>, observed: ObservedState): boolean =>
  [observed.foreign, observed.resources, desired].some((m) => m.has(linkKey(HOST_NS, name)));

/**
 * A macvlan parent "IF.VID" that already exists (the user's own VLAN
 * subinterface) is used as it is, not created: drop it from the desired state.
 */
export function useExistingVlans(desired: ReadonlyMap<string, Resource>, observed: ObservedState): Map<string, Resource> {
  return new Map([...desired].filter(([key, r]) => r.type !== 'vlan' || !observed.foreign.has(key)));
}
