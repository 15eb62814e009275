import type { AttachmentSpec, ManifestSet, NetworkSpec, SandboxSpec } from '../model/manifest.js';
import type { Assignment } from '../reconcile/desired.js';
import { sandboxNetns } from '../reconcile/desired-files.js';
import type { StateDir } from '../state/index.js';
import type { ObservedState } from '../model/resource.js';
import { namespaceDigests } from '../observe/index.js';

/**
 * The manifests of the last successful apply, with their addresses. `delete`
 * removes only some objects; what all networks share (the firewall table,
 * forwarding) is then recomputed from what remains.
 */
export const APPLIED_FILE = 'applied.json';

export interface AppliedRecord {
  readonly version: 1;
  readonly networks: readonly NetworkSpec[];
  readonly sandboxes: readonly SandboxSpec[];
  readonly attachments: readonly AttachmentSpec[];
  readonly assignments: Readonly<Record<string, Assignment>>;
  /** Per sandbox, namespaces it had before an apply --no-prune gave it another one (kept, so still its own). */
  readonly leftBehind?: Readonly<Record<string, readonly string[]>>;
  /**
   * Per owned namespace, the digest of its kernel resources as observed
   * after the last apply that changed or verified it (see namespaceDigests):
   * delete --no-refresh takes a namespace from the record only when what
   * the record builds hashes to this.
   */
  readonly digests?: Readonly<Record<string, string>>;
}

const isApplied = (x: unknown): x is AppliedRecord =>
  typeof x === 'object' && x !== null && (x as { version?: unknown }).version === 1 &&
  ['networks', 'sandboxes', 'attachments'].every((k) => Array.isArray((x as Record<string, unknown>)[k]));

export interface AppliedSet {
  readonly manifests: Pick<ManifestSet, 'networks' | 'sandboxes' | 'attachments'>;
  readonly assignments: ReadonlyMap<string, Assignment>;
  /** See AppliedRecord.leftBehind; absent when no sandbox left a namespace behind. */
  readonly leftBehind?: ReadonlyMap<string, readonly string[]>;
  /** See AppliedRecord.digests. */
  readonly digests?: ReadonlyMap<string, string>;
}

const byName = <T extends { name: string }>(xs: readonly T[]): Map<string, T> => new Map(xs.map((x) => [x.name, x]));

/** The record of the last apply; undefined when there is none or it cannot be read. */
export async function readApplied(state: StateDir | undefined): Promise<AppliedSet | undefined> {
  const r = state ? await state.readJson(APPLIED_FILE, isApplied) : { status: 'missing' as const };
  if (r.status !== 'ok') return undefined;
  const v = r.value;
  return {
    manifests: { networks: byName(v.networks), sandboxes: byName(v.sandboxes), attachments: byName(v.attachments) },
    assignments: new Map(Object.entries(v.assignments)),
    ...leftBehindOf(v.leftBehind),
    ...digestsOf(v.digests),
  };
}

function digestsOf(recorded: unknown): Pick<AppliedSet, 'digests'> {
  if (typeof recorded !== 'object' || recorded === null) return {};
  return { digests: new Map(Object.entries(recorded).filter((e): e is [string, string] => typeof e[1] === 'string')) };
}

const isNameList = (x: unknown): x is string[] => Array.isArray(x) && x.every((n) => typeof n === 'string');

function leftBehindOf(recorded: unknown): Pick<AppliedSet, 'leftBehind'> {
  if (typeof recorded !== 'object' || recorded === null) return {};
  const entries = Object.entries(recorded).filter((e): e is [string, string[]] => isNameList(e[1]) && e[1].length > 0);
  return entries.length === 0 ? {} : { leftBehind: new Map(entries) };
}

export const emptyApplied = (): AppliedSet => ({ manifests: { networks: new Map(), sandboxes: new Map(), attachments: new Map() }, assignments: new Map() });

/**
 * What remains once the objects named in `removed` are deleted; an
 * attachment goes with its sandbox (deleting the namespace removes its veth),
 * so its published ports and hosts lines go too.
 */
export function appliedWithout(applied: AppliedSet, removed: ManifestSet): AppliedSet {
  const keep = <T>(m: ReadonlyMap<string, T>, drop: ReadonlyMap<string, unknown>): Map<string, T> => new Map([...m].filter(([k]) => !drop.has(k)));
  const { networks, sandboxes, attachments } = applied.manifests;
  const onRemovedSandbox = new Map([...attachments].filter(([, a]) => removed.sandboxes.has(a.sandbox)));
  return {
    manifests: {
      networks: keep(networks, removed.networks),
      sandboxes: keep(sandboxes, removed.sandboxes),
      attachments: keep(keep(attachments, removed.attachments), onRemovedSandbox),
    },
    assignments: applied.assignments,
    ...(applied.leftBehind === undefined ? {} : nonEmpty(keep(applied.leftBehind, removed.sandboxes))),
    ...(applied.digests === undefined ? {} : { digests: applied.digests }),
  };
}

const nonEmpty = (m: ReadonlyMap<string, readonly string[]>): Pick<AppliedSet, 'leftBehind'> => (m.size === 0 ? {} : { leftBehind: m });

export async function saveApplied(state: StateDir, set: AppliedSet): Promise<void> {
  const { networks, sandboxes, attachments } = set.manifests;
  const record: AppliedRecord = {
    version: 1, networks: [...networks.values()], sandboxes: [...sandboxes.values()], attachments: [...attachments.values()],
    assignments: Object.fromEntries(set.assignments),
    ...(set.leftBehind === undefined ? {} : { leftBehind: Object.fromEntries(set.leftBehind) }),
    ...(set.digests === undefined || set.digests.size === 0 ? {} : { digests: Object.fromEntries(set.digests) }),
  };
  await state.writeJson(APPLIED_FILE, record);
}

/**
 * Merge for --no-prune: objects applied before stay recorded unless
 * redefined. A redefined sandbox whose namespace changed keeps the old one
 * (nothing is pruned), so the record remembers it: a scoped delete of the
 * sandbox reads it too.
 */
export function mergeApplied(older: AppliedSet, newer: AppliedSet): AppliedSet {
  const merge = <T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>): Map<string, T> => new Map([...a, ...b]);
  const leftBehind = new Map(older.leftBehind);
  for (const [name, was] of older.manifests.sandboxes) {
    const now = newer.manifests.sandboxes.get(name);
    const [before, after] = [sandboxNetns(was), now === undefined ? undefined : sandboxNetns(now)];
    if (now === undefined || before === undefined || before === after) continue;
    leftBehind.set(name, [...new Set([...(leftBehind.get(name) ?? []), before])].filter((ns) => ns !== after).sort());
  }
  return {
    ...nonEmpty(leftBehind),
    manifests: {
      networks: merge(older.manifests.networks, newer.manifests.networks),
      sandboxes: merge(older.manifests.sandboxes, newer.manifests.sandboxes),
      attachments: merge(older.manifests.attachments, newer.manifests.attachments),
    },
    assignments: merge(older.assignments, newer.assignments),
    ...(older.digests === undefined ? {} : { digests: older.digests }),
  };
}

/**
 * The record after an apply: digests of the namespaces it did not touch
 * are carried over (their state is unchanged); `observed` (the state after
 * the apply, verified) gives those of every owned namespace it holds,
 * except ones taken from the record rather than read.
 */
export function withDigests(set: AppliedSet, touched: ReadonlySet<string>, observed?: ObservedState): AppliedSet {
  const digests = new Map([...(set.digests ?? [])].filter(([ns]) => !touched.has(ns)));
  if (observed !== undefined) {
    const vouched = new Set(observed.vouched ?? []);
    const all = namespaceDigests(observed.resources.values());
    for (const r of observed.resources.values()) {
      const digest = all.get(r.ns);
      if (r.type === 'netns' && !vouched.has(r.ns) && digest !== undefined) digests.set(r.ns, digest);
    }
  }
  return { ...set, digests };
}
