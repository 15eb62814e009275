import type { AttachmentSpec, ManifestSet } from '../model/manifest.js';
import type { Resource } from '../model/resource.js';
import { byCodeUnit } from '../util/order.js';
import { sandboxNetns } from './desired-files.js';

const byName = (a: AttachmentSpec, b: AttachmentSpec): number => byCodeUnit(a.name, b.name);

/** What the kernel says each attachment has now: its interface (in which namespace), and which one holds a default route. */
function current(observed: ReadonlyMap<string, Resource>): { ifname: Map<string, { ns: string; name: string }>; defaultRoute: Map<string, string> } {
  const ifname = new Map<string, { ns: string; name: string }>();
  const defaultRoute = new Map<string, string>();
  for (const r of observed.values()) {
    if (!r.owner.startsWith('attachment/')) continue;
    const attachment = r.owner.slice('attachment/'.length);
    if (r.type === 'veth' || r.type === 'macvlan') ifname.set(attachment, { ns: r.ns, name: r.name });
    if (r.type === 'route' && r.dst === 'default' && r.family === 4) defaultRoute.set(r.ns, attachment);
  }
  return { ifname, defaultRoute };
}

/**
 * Defaults are decided once. An attachment whose manifest names no
 * interface gets eth0, eth1, … in name order, and the first by name gets the
 * default route — when its sandbox is created. Later, an attachment that
 * exists keeps the interface and the default route it has (read from the
 * kernel, like its owner mark), as `docker network connect` and
 * `disconnect` leave a container's other interfaces alone: adding or
 * removing one attachment never renames, renumbers or re-routes the others.
 * Newcomers take the lowest free names. Pure.
 */
export function keepDefaults(manifests: ManifestSet, observed: ReadonlyMap<string, Resource>): ManifestSet {
  const now = current(observed);
  const groups = new Map<string, AttachmentSpec[]>();
  for (const a of [...manifests.attachments.values()].sort(byName)) groups.set(a.sandbox, [...(groups.get(a.sandbox) ?? []), a]);
  const out = new Map(manifests.attachments);
  for (const [sandbox, group] of groups) {
    const spec = manifests.sandboxes.get(sandbox);
    const ns = spec === undefined ? undefined : sandboxNetns(spec);
    if (ns === undefined) continue;
    for (const a of keptInterfaces(group, ns, now.ifname)) out.set(a.name, a);
    const holder = now.defaultRoute.get(ns);
    for (const a of keptDefaultRoute(group.map((g) => out.get(g.name) ?? g), holder)) out.set(a.name, a);
  }
  return { ...manifests, attachments: out };
}

function keptInterfaces(group: readonly AttachmentSpec[], ns: string, ifname: ReadonlyMap<string, { ns: string; name: string }>): AttachmentSpec[] {
  const defaulted = group.filter((a) => a.interfaceGiven === false);
  if (defaulted.length === 0) return [];
  const taken = new Set(group.filter((a) => a.interfaceGiven !== false).map((a) => a.interface));
  const names = new Map<string, string>();
  for (const a of defaulted) {
    const had = ifname.get(a.name);
    if (had !== undefined && had.ns === ns && !taken.has(had.name)) {
      names.set(a.name, had.name);
      taken.add(had.name);
    }
  }
  let next = 0;
  for (const a of defaulted) {
    if (names.has(a.name)) continue;
    while (taken.has(`eth${next}`)) next++;
    names.set(a.name, `eth${next}`);
    taken.add(`eth${next}`);
  }
  return defaulted.map((a) => ({ ...a, interface: names.get(a.name) ?? a.interface }));
}

/** The attachment holding the default route keeps it while no manifest of the sandbox says otherwise. */
function keptDefaultRoute(group: readonly AttachmentSpec[], holder: string | undefined): AttachmentSpec[] {
  if (holder === undefined || group.some((a) => a.defaultRouteGiven === true && a.defaultRoute)) return [];
  const keeper = group.find((a) => a.name === holder);
  if (keeper === undefined || keeper.defaultRouteGiven === true) return [];
  return group.filter((a) => a.defaultRouteGiven === false).map((a) => ({ ...a, defaultRoute: a.name === holder }));
}
