import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { errorMessage, NetreconError } from '../model/errors.js';

/** The outcome of reading a state file. Corruption is reported, never thrown and never read as empty. */
export type ReadResult<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'missing' }
  | { readonly status: 'corrupt'; readonly reason: string };

export interface WriteOptions {
  /** Copy the previous version, if it parses, to NAME.bak first (default true). */
  readonly backup?: boolean;
}

export const FILE_MODE = 0o600;

export const errnoOf = (e: unknown): string | undefined =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

const ioError = (action: string, path: string, e: unknown): NetreconError =>
  new NetreconError('state-io', `cannot ${action} ${path}: ${errorMessage(e)}`);

/**
 * The file's text, or undefined when it does not exist. Other failures
 * (EACCES, EISDIR) are errors, and so is a file another user owns: in a
 * sticky shared directory (1777) anyone may create a file netrecon would
 * otherwise trust.
 */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e: unknown) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw ioError('read', path, e);
  }
  try {
    requireOwnFile(path, (await handle.stat()).uid);
    return await handle.readFile('utf8');
  } catch (e: unknown) {
    throw e instanceof NetreconError ? e : ioError('read', path, e);
  } finally {
    await handle.close();
  }
}

/** A state file must belong to the user netrecon runs as. */
export function requireOwnFile(path: string, owner: number): void {
  const uid = process.getuid?.();
  if (uid === undefined || owner === uid) return;
  throw new NetreconError('state-dir-permissions',
    `state file ${path} belongs to uid ${owner}, not to the current user (uid ${uid}): it was not written by netrecon; remove it after checking it`);
}

export function parseJson<T>(path: string, text: string, validate: (x: unknown) => x is T): ReadResult<T> {
  const corrupt = (why: string): ReadResult<T> => ({ status: 'corrupt', reason: `${path}: ${why}` });
  if (text.trim() === '') return corrupt('empty file (a truncated write?)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e: unknown) {
    return corrupt(`not valid JSON (truncated?): ${errorMessage(e)}`);
  }
  return validate(value) ? { status: 'ok', value } : corrupt('content does not have the expected shape');
}

export async function readJsonFile<T>(path: string, validate: (x: unknown) => x is T): Promise<ReadResult<T>> {
  const text = await readTextIfExists(path);
  return text === undefined ? { status: 'missing' } : parseJson(path, text, validate);
}

const isParsable = (text: string): boolean => parseJson('', text, (x: unknown): x is unknown => x !== undefined).status === 'ok';

/**
 * Replaces the file atomically (temp file, fsync, rename, fsync of the
 * directory), mode 0600. A crash leaves either the old or the new version.
 */
export async function writeJsonFile(path: string, value: unknown, options: WriteOptions = {}): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new Error(`bug: ${path}: value is not JSON-serialisable`);
  if (options.backup ?? true) {
    const previous = await readTextIfExists(path);
    if (previous !== undefined && isParsable(previous)) await atomicWrite(`${path}.bak`, previous);
  }
  await atomicWrite(path, `${text}\n`);
}

async function atomicWrite(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, { mode: FILE_MODE, fsync: true });
    await syncDirectory(dirname(path));
  } catch (e: unknown) {
    throw ioError('write', path, e);
  }
}

/** Makes the rename durable: without it a power cut can bring back the old directory entry. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
