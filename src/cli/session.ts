import { ManifestError } from '../model/errors.js';
import type { ManifestSet } from '../model/manifest.js';
import { loadManifests, type KnownObjects, type ParseCache } from '../manifest/index.js';
import { readApplied } from '../engine/applied.js';
import type { EngineDeps } from '../engine/context.js';
import { recoverInterrupted } from '../engine/journal.js';
import { acquireLock, openStateDir, type StateDir } from '../state/index.js';
import { usage, type ParsedArgs } from './args.js';

export async function manifestsFrom(args: ParsedArgs, known?: KnownObjects, cache?: ParseCache): Promise<ManifestSet> {
  if (args.files.length === 0) throw usage(`${args.command} needs -f PATH (a manifest file or directory)`);
  const result = await loadManifests(args.files, { ...(known ? { known } : {}), ...(cache ? { cache } : {}) });
  if (!result.ok) throw new ManifestError(result.diagnostics);
  return result.set;
}

export const isEmptySet = (m: ManifestSet): boolean => m.networks.size + m.sandboxes.size + m.attachments.size === 0;

/**
 * Run `fn` holding the state directory's lock, after finishing the rollback
 * of any apply that was interrupted. The lock is released whatever happens.
 */
export async function withLockedState<T>(deps: EngineDeps, command: string, fn: (state: StateDir) => Promise<T>): Promise<T> {
  const state = await openStateDir(deps.stateDir, { create: true });
  const lock = await acquireLock(state, { command });
  try {
    await recoverInterrupted(deps, state);
    return await fn(state);
  } finally {
    await lock.release();
  }
}

/** The state directory held for a long-running command (watch); see holdLockedState. */
export interface HeldState {
  /** Run `fn` on the state directory, under the lock (taken again if it was lost). */
  run<T>(fn: (state: StateDir) => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

/**
 * Take the lock now and keep it until `release()`: a second apply, delete or
 * watch on this state directory fails fast naming the holder, instead of
 * changing what the long-running command reconciles. Fails fast itself when
 * the lock is held. If the lock file is removed or replaced meanwhile, the
 * next `run` takes it again, or fails naming the new holder.
 */
export async function holdLockedState(deps: EngineDeps, command: string): Promise<HeldState> {
  const first = await openStateDir(deps.stateDir, { create: true });
  let lock = await acquireLock(first, { command });
  return {
    async run(fn) {
      const state = await openStateDir(deps.stateDir, { create: true });
      if (!(await lock.stillHeld())) lock = await acquireLock(state, { command });
      await recoverInterrupted(deps, state);
      return fn(state);
    },
    release: () => lock.release(),
  };
}

/**
 * The networks and sandboxes of the last apply, for `delete` to resolve what
 * its manifests name but do not define (deleting a sandbox's file needs no
 * copy of its network's). Nothing when there is no readable record: then
 * every reference must be in the manifests, as for apply.
 */
export async function recordedObjects(stateDir: string): Promise<KnownObjects | undefined> {
  try {
    const applied = await readApplied(await openStateDir(stateDir, { create: false }));
    return applied && { networks: applied.manifests.networks, sandboxes: applied.manifests.sandboxes };
  } catch {
    return undefined; // no or unreadable state: the locked run reports it
  }
}

/** The state directory for reading only (plan): undefined when it does not exist yet. */
export async function readOnlyState(deps: EngineDeps): Promise<StateDir | undefined> {
  try {
    return await openStateDir(deps.stateDir, { create: false });
  } catch (e: unknown) {
    if (e instanceof Error && 'code' in e && e.code === 'state-dir-missing') return undefined;
    throw e;
  }
}
