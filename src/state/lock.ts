import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage, LockHeldError, NetreconError } from '../model/errors.js';
import type { StateDir } from './dir.js';
import { errnoOf, FILE_MODE, readTextIfExists } from './json.js';
import { isPidAlive, processStartTime } from './proc.js';

export const LOCK_FILE = 'lock';

/** What the lock file says about its holder. */
export interface LockRecord {
  readonly pid: number;
  /** Wall-clock time the lock was taken (ISO 8601), for people reading the file. */
  readonly startedAt: string;
  readonly command: string;
  /** The holder's start time from /proc, to tell a reused pid from the holder. */
  readonly procStart?: string;
  /** Unique per acquisition: release() removes only the file it created. */
  readonly token: string;
}

export interface Lock {
  readonly path: string;
  readonly record: LockRecord;
  /** Removes the lock file if it is still ours; otherwise does nothing. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for a live holder, in ms (default 0: fail at once). */
  readonly wait?: number;
  /** Shown to whoever finds the lock held. */
  readonly command?: string;
}

const TAKEOVER_ATTEMPTS = 5;
const MAX_POLL_MS = 250;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const isLockRecord = (x: unknown): x is LockRecord =>
  isRecord(x) &&
  typeof x.pid === 'number' && Number.isSafeInteger(x.pid) && x.pid > 0 &&
  typeof x.startedAt === 'string' && typeof x.command === 'string' && typeof x.token === 'string' &&
  (x.procStart === undefined || typeof x.procStart === 'string');

type Seen = { readonly kind: 'missing' } | { readonly kind: 'held'; readonly text: string; readonly record?: LockRecord };

const lockError = (path: string, e: unknown): NetreconError => new NetreconError('state-io', `cannot take the lock ${path}: ${errorMessage(e)}`);

/**
 * Takes the state directory's lock. A live holder makes this fail with
 * LockHeldError (after polling for up to `wait` ms); a lock left by a dead
 * process, or an unreadable one, is taken over.
 */
export async function acquireLock(state: StateDir, options: LockOptions = {}): Promise<Lock> {
  const path = state.pathOf(LOCK_FILE);
  const record: LockRecord = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    command: options.command ?? process.argv.slice(2).join(' '),
    ...(await startTimeField(process.pid)),
    token: randomBytes(8).toString('hex'),
  };
  const deadline = performance.now() + (options.wait ?? 0);
  for (let poll = 25; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
    const holder = await tryAcquire(path, record);
    if (holder === undefined) return { path, record, release: () => releaseLock(path, record) };
    const left = deadline - performance.now();
    if (left <= 0) throw new LockHeldError(path, holder);
    await delay(Math.min(poll, left));
  }
}

const startTimeField = async (pid: number): Promise<{ procStart?: string }> => {
  const procStart = await processStartTime(pid);
  return procStart === undefined ? {} : { procStart };
};

/** Undefined when we now hold the lock; otherwise the live holder's pid. */
async function tryAcquire(path: string, record: LockRecord): Promise<number | undefined> {
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    if (await createExclusive(path, record)) return undefined;
    const seen = await readLock(path);
    if (seen.kind === 'missing') continue;
    if (seen.record !== undefined && (await isHolderAlive(seen.record))) return seen.record.pid;
    await setAsideStale(path, seen.text);
  }
  throw new NetreconError('lock-contended', `could not take over the stale lock ${path}; if no netrecon is running, remove it`);
}

/**
 * Creates the lock file only if none exists. The content is written to a
 * private temp file first and then hard-linked into place (link(2) fails
 * with EEXIST like O_EXCL), so no other process can ever read a lock file
 * that is still empty and mistake it for a corrupt one.
 */
async function createExclusive(path: string, record: LockRecord): Promise<boolean> {
  const tmp = `${path}.${record.pid}.${record.token}.tmp`;
  try {
    const handle = await open(tmp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify(record)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(tmp, path);
    return true;
  } catch (e: unknown) {
    if (errnoOf(e) === 'EEXIST') return false;
    throw lockError(path, e);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function readLock(path: string): Promise<Seen> {
  const text = await readTextIfExists(path);
  if (text === undefined) return { kind: 'missing' };
  try {
    const value: unknown = JSON.parse(text);
    return isLockRecord(value) ? { kind: 'held', text, record: value } : { kind: 'held', text };
  } catch {
    return { kind: 'held', text };
  }
}

async function isHolderAlive(record: LockRecord): Promise<boolean> {
  if (!isPidAlive(record.pid)) return false;
  if (record.procStart === undefined) return true;
  const now = await processStartTime(record.pid);
  return now === undefined || now === record.procStart;
}

/**
 * Moves a stale lock out of the way. The rename is atomic, so of several
 * processes taking over the same stale lock only one moves it; if what was
 * moved is not the stale lock we judged (another process replaced it in
 * between), it is put back.
 */
async function setAsideStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (e: unknown) {
    if (errnoOf(e) === 'ENOENT') return;
    throw lockError(path, e);
  }
  try {
    const moved = await readFile(aside, 'utf8');
    if (moved !== staleText) await link(aside, path);
  } catch (e: unknown) {
    if (errnoOf(e) !== 'EEXIST') throw lockError(path, e);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

async function releaseLock(path: string, record: LockRecord): Promise<void> {
  const seen = await readLock(path);
  if (seen.kind !== 'held' || seen.record?.pid !== record.pid || seen.record.token !== record.token) return;
  try {
    await unlink(path);
  } catch (e: unknown) {
    if (errnoOf(e) !== 'ENOENT') throw new NetreconError('state-io', `cannot release the lock ${path}: ${errorMessage(e)}`);
  }
}
