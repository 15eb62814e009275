import type { Stats } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorMessage, NetreconError } from '../model/errors.js';
import { errnoOf, type ReadResult, readJsonFile, type WriteOptions, writeJsonFile } from './json.js';

export type { ReadResult, WriteOptions } from './json.js';

/** A checked state directory: private to the current user. */
export interface StateDir {
  readonly path: string;
  /** Absolute path of a file in the directory; the name is a plain file name. */
  pathOf(name: string): string;
  readJson<T>(name: string, validate: (x: unknown) => x is T): Promise<ReadResult<T>>;
  writeJson(name: string, value: unknown, options?: WriteOptions): Promise<void>;
  /** Removes a file; a missing one is fine. */
  remove(name: string): Promise<void>;
}

export interface OpenOptions {
  /** Create the directory (and its parents) with mode 0700 when missing; otherwise a missing directory is an error. */
  readonly create: boolean;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const permissionError = (message: string): NetreconError => new NetreconError('state-dir-permissions', message);

/**
 * Opens the state directory, creating it when asked. Refuses one that
 * belongs to someone else, or that others could write to without the sticky
 * bit (they could replace the leases, the journal or the lock, which decide
 * what netrecon does to the host). A directory others can only read (0755,
 * what `mkdir` makes) is fine: every file in it is 0600. So is a sticky one
 * (1777, what a bare `mount -t tmpfs` makes): there each file is read only
 * when netrecon's own user owns it (see json.ts).
 */
export async function openStateDir(dir: string, options: OpenOptions): Promise<StateDir> {
  const path = resolve(dir);
  let info = await statIfExists(path);
  if (info === undefined) {
    if (!options.create) throw new NetreconError('state-dir-missing', `state directory ${path} does not exist (the first apply creates it)`);
    await createPrivateDir(path);
    info = await stat(path);
  }
  checkPrivate(path, info);
  return stateDirAt(path);
}

async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (e: unknown) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    if (errnoOf(e) === 'ENOTDIR') throw permissionError(`state directory ${path}: a parent is not a directory; choose another with --state-dir`);
    throw permissionError(`cannot inspect state directory ${path}: ${errorMessage(e)}`);
  }
}

async function createPrivateDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (e: unknown) {
    throw permissionError(`cannot create state directory ${path}: ${errorMessage(e)}; create it with: mkdir -p -m 700 ${path}, or choose another with --state-dir`);
  }
}

function checkPrivate(path: string, info: Stats): void {
  if (!info.isDirectory()) throw permissionError(`state directory ${path} exists and is not a directory; remove it or choose another with --state-dir`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw permissionError(`state directory ${path} is owned by uid ${info.uid}, not by the current user (uid ${uid}); fix with: chown ${uid} ${path}, or run as its owner`);
  }
  const mode = info.mode & 0o7777;
  const writableByOthers = (mode & 0o022) !== 0;
  if (writableByOthers && (mode & 0o1000) === 0) {
    const octal = mode.toString(8).padStart(4, '0');
    throw permissionError(`state directory ${path} can be written by group or others (mode ${octal}) without the sticky bit; fix with: chmod 700 ${path}`);
  }
}

function stateDirAt(path: string): StateDir {
  const pathOf = (name: string): string => {
    if (!FILE_NAME.test(name)) throw new Error(`bug: invalid state file name ${JSON.stringify(name)}`);
    return join(path, name);
  };
  return {
    path,
    pathOf,
    readJson: (name, validate) => readJsonFile(pathOf(name), validate),
    writeJson: (name, value, options) => writeJsonFile(pathOf(name), value, options),
    remove: async (name) => {
      try {
        await unlink(pathOf(name));
      } catch (e: unknown) {
        if (errnoOf(e) !== 'ENOENT') throw new NetreconError('state-io', `cannot remove ${pathOf(name)}: ${errorMessage(e)}`);
      }
    },
  };
}
