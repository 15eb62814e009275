import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { LockHeldError, NetreconError } from '../model/errors.js';
import type { StateDir } from './dir.js';
import { createExclusive, isHolderAlive, type LockRecord, readHeld, unlinkIfExists } from './lockfile.js';
import { processStartTime } from './proc.js';
import { removeStale } from './takeover.js';

export { isLockRecord, type LockRecord } from './lockfile.js';

export const LOCK_FILE = 'lock';

export interface Lock {
  readonly path: string;
  readonly record: LockRecord;
  /** Removes the lock file if it is still ours; otherwise does nothing. */
  release(): Promise<void>;
  /** Whether the lock file is still this acquisition's (not removed by hand, not taken over). */
  stillHeld(): Promise<boolean>;
}

export interface LockOptions {
  /** How long to wait for a live holder, in ms (default 0: fail at once). */
  readonly wait?: number;
  /** Shown to whoever finds the lock held. */
  readonly command?: string;
}

const TAKEOVER_ATTEMPTS = 20;
const TAKEOVER_PAUSE_MS = 5;
const MAX_POLL_MS = 250;

/**
 * Takes the state directory's lock (one apply at a time). A live holder makes
 * this fail with LockHeldError naming its pid, after polling for up to `wait`
 * ms; a lock left by a dead process (or an unreadable one) is taken over.
 */
export async function acquireLock(state: StateDir, options: LockOptions = {}): Promise<Lock> {
  const path = state.pathOf(LOCK_FILE);
  const procStart = await processStartTime(process.pid);
  const record: LockRecord = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    command: options.command ?? process.argv.slice(2).join(' '),
    ...(procStart === undefined ? {} : { procStart }),
    token: randomBytes(8).toString('hex'),
  };
  const deadline = performance.now() + (options.wait ?? 0);
  for (let poll = 25; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
    const holder = await tryAcquire(path, record);
    if (holder === undefined) return { path, record, release: () => releaseLock(path, record), stillHeld: () => isOurs(path, record) };
    const left = deadline - performance.now();
    if (left <= 0) throw new LockHeldError(path, holder.pid, holder.command);
    await delay(Math.min(poll, left));
  }
}

/** Undefined when we now hold the lock; otherwise the live holder's record. */
async function tryAcquire(path: string, record: LockRecord): Promise<LockRecord | undefined> {
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    if (attempt > 0) await delay(TAKEOVER_PAUSE_MS);
    if (await createExclusive(path, record)) return undefined;
    const seen = await readHeld(path);
    if (seen === undefined) continue;
    if (seen.record !== undefined && (await isHolderAlive(seen.record))) return seen.record;
    await removeStale(path, seen.id, record);
  }
  throw new NetreconError('lock-contended', `could not take over the stale lock ${path}; if no netrecon is running, remove it`);
}

/** The pid holding the lock right now, if a live process does (read-only: nothing is taken over). */
export async function liveLockHolder(state: StateDir): Promise<number | undefined> {
  const seen = await readHeld(state.pathOf(LOCK_FILE));
  return seen?.record !== undefined && (await isHolderAlive(seen.record)) ? seen.record.pid : undefined;
}

async function isOurs(path: string, record: LockRecord): Promise<boolean> {
  const seen = await readHeld(path);
  return seen?.record?.pid === record.pid && seen.record.token === record.token;
}

async function releaseLock(path: string, record: LockRecord): Promise<void> {
  if (await isOurs(path, record)) await unlinkIfExists(path);
}
