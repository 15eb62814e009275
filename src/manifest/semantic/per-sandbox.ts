import type { AttachmentSpec } from '../../model/manifest.js';
import type { AttachmentEntry } from './attachments.js';
import { collisions, shortRef } from './common.js';
import type { Findings } from './common.js';

const byName = (a: AttachmentEntry, b: AttachmentEntry): number => (a.base.name < b.base.name ? -1 : a.base.name > b.base.name ? 1 : 0);

function groupBySandbox(entries: readonly AttachmentEntry[]): Map<string, AttachmentEntry[]> {
  const groups = new Map<string, AttachmentEntry[]>();
  for (const e of [...entries].sort(byName)) {
    const list = groups.get(e.base.sandbox) ?? [];
    list.push(e);
    groups.set(e.base.sandbox, list);
  }
  return groups;
}

/** eth0, eth1, ... in name order, skipping names other attachments of the sandbox give explicitly. */
function interfaces(group: readonly AttachmentEntry[]): Map<AttachmentEntry, string> {
  const taken = new Set(group.flatMap((e) => (e.item.spec.interface === undefined ? [] : [e.item.spec.interface])));
  const out = new Map<AttachmentEntry, string>();
  let next = 0;
  for (const e of group) {
    let name = e.item.spec.interface;
    if (name === undefined) {
      while (taken.has(`eth${next}`)) next++;
      name = `eth${next++}`;
    }
    out.set(e, name);
  }
  return out;
}

/**
 * defaultRoute: when no attachment of the sandbox sets it true, the first by
 * name gets it (unless it says false itself); at most one may have it.
 */
function defaultRoutes(group: readonly AttachmentEntry[], f: Findings): Map<AttachmentEntry, boolean> {
  const explicit = group.filter((e) => e.item.spec.defaultRoute === true);
  const out = new Map(group.map((e, i) => [e, e.item.spec.defaultRoute ?? (explicit.length === 0 && i === 0)]));
  for (const e of explicit.slice(1)) {
    const first = explicit[0];
    const where = first === undefined ? '' : ` (${first.base.name} at ${shortRef(first.base.source)})`;
    f.field(e.item.at, ['spec', 'defaultRoute'], 'route', `sandbox ${e.base.sandbox} already has its default route${where}`);
  }
  return out;
}

function checkGroup(group: readonly AttachmentEntry[], ifnames: ReadonlyMap<AttachmentEntry, string>, f: Findings): void {
  for (const [later, first] of collisions(group, (e) => ifnames.get(e))) {
    const msg = `interface ${ifnames.get(later) ?? ''} of sandbox ${later.base.sandbox} is also used by ${first.base.name} (${shortRef(first.base.source)})`;
    f.add(later.item.spec.interface === undefined ? later.base.source : later.item.at(['spec', 'interface']), 'collision', `spec.interface: ${msg}`);
  }
  for (const [later, first] of collisions(group, (e) => e.base.network)) {
    const msg = `sandbox ${later.base.sandbox} is already on network ${later.base.network} through ${first.base.name} (${shortRef(first.base.source)})`;
    f.field(later.item.at, ['spec', 'network'], 'collision', msg);
  }
  for (const e of group) {
    if (ifnames.get(e) === 'lo') f.field(e.item.at, ['spec', 'interface'], 'name', 'lo is the loopback interface of every sandbox');
  }
}

/** Fills interface and defaultRoute per sandbox and checks their uniqueness. */
export function assignPerSandbox(entries: readonly AttachmentEntry[], f: Findings): AttachmentSpec[] {
  const specs = new Map<AttachmentEntry, AttachmentSpec>();
  for (const group of groupBySandbox(entries).values()) {
    const ifnames = interfaces(group);
    const routes = defaultRoutes(group, f);
    checkGroup(group, ifnames, f);
    for (const e of group) {
      specs.set(e, {
        ...e.base, interface: ifnames.get(e) ?? 'eth0', defaultRoute: routes.get(e) ?? false,
        interfaceGiven: e.item.spec.interface !== undefined, defaultRouteGiven: e.item.spec.defaultRoute !== undefined,
      });
    }
  }
  return entries.map((e) => specs.get(e)).filter((s): s is AttachmentSpec => s !== undefined);
}
