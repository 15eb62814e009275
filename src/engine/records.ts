import type { ManifestSet, SandboxMode } from '../model/manifest.js';
import type { StateDir } from '../state/index.js';
import { sandboxNetns } from '../reconcile/desired-files.js';

/**
 * What netrecon remembers about sandboxes that leave no mark in the kernel
 * (mode host, container:<other>), so `exec` works without the manifests.
 */
export const SANDBOXES_FILE = 'sandboxes.json';

export interface SandboxRecord {
  readonly mode: SandboxMode;
  readonly netns?: string;
  readonly shareWith?: string;
}

export interface SandboxRecords {
  readonly version: 1;
  readonly sandboxes: Readonly<Record<string, SandboxRecord>>;
}

const isRecords = (x: unknown): x is SandboxRecords =>
  typeof x === 'object' && x !== null && (x as { version?: unknown }).version === 1 &&
  typeof (x as { sandboxes?: unknown }).sandboxes === 'object' && (x as { sandboxes?: unknown }).sandboxes !== null;

export async function loadRecords(state: StateDir): Promise<Record<string, SandboxRecord>> {
  const r = await state.readJson(SANDBOXES_FILE, isRecords);
  return r.status === 'ok' ? { ...r.value.sandboxes } : {};
}

const recordsOf = (m: ManifestSet): Record<string, SandboxRecord> =>
  Object.fromEntries([...m.sandboxes.values()].map((s) => [s.name, { mode: s.mode, netns: sandboxNetns(s), shareWith: s.shareWith }]));

/** After a successful apply (keep: the records of sandboxes not in the manifests survive, as with --no-prune). */
export async function recordApplied(state: StateDir, m: ManifestSet, keep: boolean): Promise<void> {
  const previous = keep ? await loadRecords(state) : {};
  await state.writeJson(SANDBOXES_FILE, { version: 1, sandboxes: { ...previous, ...recordsOf(m) } });
}

export async function recordDeleted(state: StateDir, m: ManifestSet): Promise<void> {
  const records = await loadRecords(state);
  for (const name of m.sandboxes.keys()) delete records[name];
  await state.writeJson(SANDBOXES_FILE, { version: 1, sandboxes: records });
}
