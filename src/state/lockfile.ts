import { createHash } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import { errorMessage, NetreconError } from '../model/errors.js';
import { errnoOf, FILE_MODE, requireOwnFile } from './json.js';
import { isPidAlive, processStartTime } from './proc.js';

/** What a lock (or takeover claim) file says about its holder. */
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

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const isLockRecord = (x: unknown): x is LockRecord =>
  isRecord(x) &&
  typeof x.pid === 'number' && Number.isSafeInteger(x.pid) && x.pid > 0 &&
  typeof x.startedAt === 'string' && typeof x.command === 'string' && typeof x.token === 'string' &&
  (x.procStart === undefined || typeof x.procStart === 'string');

/** A lock-like file as found: its record (undefined when unreadable) and an identity of this very file. */
export interface HeldFile {
  readonly record?: LockRecord;
  /** Hash of inode, mtime and content: a replaced or rewritten file has another identity. */
  readonly id: string;
}

export const lockIoError = (path: string, e: unknown): NetreconError =>
  new NetreconError('state-io', `lock file ${path}: ${errorMessage(e)}`);

export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e: unknown) {
    if (errnoOf(e) !== 'ENOENT') throw lockIoError(path, e);
  }
}

/** Reads the file through one descriptor, so record and identity describe the same file. */
export async function readHeld(path: string): Promise<HeldFile | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e: unknown) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw lockIoError(path, e);
  }
  try {
    const info = await handle.stat({ bigint: true });
    requireOwnFile(path, Number(info.uid));
    const text = await handle.readFile('utf8');
    const id = createHash('sha256').update(`${info.ino}:${info.mtimeNs}:${text}`).digest('hex').slice(0, 16);
    return { id, ...parseRecord(text) };
  } finally {
    await handle.close();
  }
}

function parseRecord(text: string): { record?: LockRecord } {
  try {
    const value: unknown = JSON.parse(text);
    return isLockRecord(value) ? { record: value } : {};
  } catch {
    return {};
  }
}

/** A holder is alive when its pid exists and, where /proc tells, started when the record says. */
export async function isHolderAlive(record: LockRecord): Promise<boolean> {
  if (!isPidAlive(record.pid)) return false;
  if (record.procStart === undefined) return true;
  const now = await processStartTime(record.pid);
  return now === undefined || now === record.procStart;
}

/**
 * Creates the file only if none exists. The content is written to a private
 * temp file (O_EXCL) and then hard-linked into place — link(2) fails with
 * EEXIST exactly like O_EXCL — so no process can ever read a lock file that
 * is still empty and mistake it for a corrupt one.
 */
export async function createExclusive(path: string, record: LockRecord): Promise<boolean> {
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
    throw lockIoError(path, e);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
