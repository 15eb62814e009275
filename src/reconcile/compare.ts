import type { FieldChange } from '../model/plan.js';
import { linkKey, netnsKey, type Resource } from '../model/resource.js';

/**
 * Which fields each resource type owns, and how a difference is resolved.
 * Only fields the desired side declares are compared (an undefined MTU
 * means "kernel default, not managed").
 */
const UPDATABLE: Record<Resource['type'], readonly string[]> = {
  netns: ['loUp', 'owner'],
  bridge: ['mac', 'mtu', 'up', 'owner', 'routeLocalnet'],
  veth: ['mac', 'mtu', 'up', 'hostMaster', 'hostUp', 'hostIsolated', 'hostHairpin', 'owner'],
  macvlan: ['mac', 'mtu', 'up', 'owner'],
  addr: [],
  route: ['via', 'dev'],
  vlan: ['up', 'owner'],
  file: ['content', 'target', 'owner'],
  firewall: ['digest', 'chains', 'rules'],
  sysctl: ['value'],
  'stray-link': [],
};

const REPLACE_ON: Record<Resource['type'], readonly string[]> = {
  netns: [],
  bridge: [],
  veth: ['hostName'],
  macvlan: ['parent', 'mode'],
  addr: [],
  route: [],
  vlan: ['link', 'vid'],
  file: [],
  firewall: [],
  sysctl: [],
  'stray-link': [],
};

const field = (r: Resource, name: string): unknown => (r as unknown as Record<string, unknown>)[name];

function changedFields(desired: Resource, observed: Resource, names: readonly string[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const name of names) {
    const want = field(desired, name);
    if (want === undefined) continue;
    const have = field(observed, name);
    if (want !== have) out.push({ field: name, from: have, to: want });
  }
  return out;
}

export type Comparison =
  | { readonly kind: 'same' }
  | { readonly kind: 'update'; readonly fields: FieldChange[] }
  | { readonly kind: 'replace'; readonly fields: FieldChange[] };

export function compareResources(desired: Resource, observed: Resource): Comparison {
  if (desired.type !== observed.type) return { kind: 'replace', fields: [{ field: 'type', from: observed.type, to: desired.type }] };
  const replace = changedFields(desired, observed, REPLACE_ON[desired.type]);
  if (replace.length > 0) return { kind: 'replace', fields: [...replace, ...changedFields(desired, observed, UPDATABLE[desired.type])] };
  const update = changedFields(desired, observed, UPDATABLE[desired.type]);
  return update.length > 0 ? { kind: 'update', fields: update } : { kind: 'same' };
}

/** The resource whose removal also removes `r` (its link, or its namespace), if any. */
export function parentKey(r: Resource): string | undefined {
  switch (r.type) {
    case 'addr':
    case 'route': return linkKey(r.ns, r.dev);
    case 'veth':
    case 'macvlan':
    case 'stray-link':
    case 'bridge': return r.ns.startsWith('@') ? undefined : netnsKey(r.ns);
    case 'vlan':
    case 'file':
    case 'firewall':
    case 'sysctl':
    case 'netns': return undefined;
  }
}

/** Creation order: a resource's rank is larger than that of everything it depends on. */
export function rank(r: Resource): number {
  switch (r.type) {
    case 'netns': return 0;
    case 'file': return 1;
    case 'vlan':
    case 'bridge': return 1;
    case 'veth':
    case 'macvlan':
    case 'stray-link': return 3;
    case 'addr': return r.ns.startsWith('@') ? 2 : 4;
    case 'route': return 5;
    case 'firewall':
    case 'sysctl': return 6;
  }
}

export const byRankThenKey = (a: Resource, b: Resource): number => rank(a) - rank(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
