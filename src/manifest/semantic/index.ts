import type { Diagnostic } from '../../model/diagnostic.js';
import type { ManifestSet, NetworkSpec, ResourceKind, SandboxSpec } from '../../model/manifest.js';
import { parseCidr } from '../../util/cidr.js';
import type { Item, ItemsByKind } from '../documents.js';
import { resolveAttachments } from './attachments.js';
import { Findings, collisions, shortRef } from './common.js';
import { resolveNetworks, type NetworkView } from './networks.js';
import { resolveSandboxes } from './sandboxes.js';

/** Keeps the first document of each name; every later one is an error naming the first. */
function uniqueByName<K extends ResourceKind>(items: readonly Item<K>[], f: Findings): Item<K>[] {
  const dups = new Set<Item<K>>();
  for (const [later, first] of collisions(items, (i) => i.name)) {
    dups.add(later);
    const msg = `metadata.name: ${later.kind.toLowerCase()} ${later.name} already defined at ${shortRef(first.source)}`;
    f.add(later.source, 'duplicate', msg);
  }
  return items.filter((i) => !dups.has(i));
}

/** Known networks as attachments see them (a recorded spec was valid when it was applied). */
function knownNetworks(known: KnownObjects | undefined): [string, NetworkView][] {
  return [...(known?.networks.values() ?? [])].flatMap((spec) => {
    const cidr = parseCidr(spec.subnet);
    const cidr6 = spec.subnet6 === undefined ? undefined : parseCidr(spec.subnet6);
    return cidr === undefined ? [] : [[spec.name, { spec, cidr, ...(cidr6 === undefined ? {} : { cidr6 }) }]];
  });
}

export type ResolveResult = { readonly ok: true; readonly set: ManifestSet } | { readonly ok: false; readonly diagnostics: Diagnostic[] };

/**
 * Networks and sandboxes defined elsewhere (by the last apply) that
 * references may name: `delete -f` of a sandbox's file needs no copy of its
 * network's. They are not part of the resulting set.
 */
export interface KnownObjects {
  readonly networks: ReadonlyMap<string, NetworkSpec>;
  readonly sandboxes: ReadonlyMap<string, SandboxSpec>;
}

export interface ResolveOptions {
  readonly files: readonly string[];
  /** "Kind/name" of documents that failed the schema: references to them are not errors here. */
  readonly invalid: ReadonlySet<string>;
  readonly known?: KnownObjects;
}

/** Schema-valid documents -> the normalized set, or every semantic error found. */
export function resolveManifests(items: ItemsByKind, opts: ResolveOptions): ResolveResult {
  const f = new Findings();
  const { files, invalid } = opts;
  const networks = resolveNetworks(uniqueByName(items.Network, f), f);
  const sandboxes = resolveSandboxes(uniqueByName(items.Sandbox, f), { invalid }, f);
  const attachments = resolveAttachments(uniqueByName(items.Attachment, f), {
    networks: new Map<string, NetworkView>([...knownNetworks(opts.known), ...networks]),
    sandboxes: new Map([...(opts.known?.sandboxes ?? []), ...sandboxes]),
    invalid,
  }, f);
  if (f.list.length > 0) return { ok: false, diagnostics: f.list };
  const set: ManifestSet = {
    networks: new Map([...networks].map(([name, e]) => [name, e.spec])),
    sandboxes,
    attachments,
    files: [...files],
  };
  return { ok: true, set };
}
