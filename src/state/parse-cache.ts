import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isCacheRecord, ParseCache } from '../manifest/index.js';
import { openStateDir, type StateDir } from './dir.js';

/**
 * Parsed YAML kept between runs (manifest/cache.ts), in the state directory.
 * Only a cache: a missing, unreadable, corrupt or foreign one is ignored and
 * rewritten, and failing to write it fails nothing. apply, delete and watch
 * write it (under the lock); plan, status and validate only read it.
 */
export const PARSE_CACHE_FILE = 'parse-cache.json';

/** The files whose code decides what a text parses to, and yaml's version: any change makes earlier entries unusable. */
const PARSER_FILES = ['../manifest/parse.js', '../manifest/depth.js', '../manifest/positions.js', '../manifest/cache.js'];

let fingerprint: Promise<string | undefined> | undefined;

/** undefined when those files cannot be read: then nothing is cached. */
function parserFingerprint(): Promise<string | undefined> {
  fingerprint ??= (async () => {
    const hash = createHash('sha256');
    const yamlPackage = fileURLToPath(new URL('../package.json', import.meta.resolve('yaml')));
    for (const file of [...PARSER_FILES.map((f) => fileURLToPath(new URL(f, import.meta.url))), yamlPackage]) {
      hash.update(file).update('\0').update(await readFile(file)).update('\0');
    }
    return hash.digest('hex');
  })().catch(() => undefined);
  return fingerprint;
}

/**
 * The cache of the state directory at `dir`: empty when there is none to
 * read (a directory that does not exist is not created); undefined when
 * this installation cannot cache.
 */
export async function readParseCache(dir: string): Promise<ParseCache | undefined> {
  const version = await parserFingerprint();
  if (version === undefined) return undefined;
  try {
    const state = await openStateDir(dir, { create: false });
    const read = await state.readJson(PARSE_CACHE_FILE, isCacheRecord);
    return new ParseCache(version, read.status === 'ok' ? read.value : undefined);
  } catch {
    return new ParseCache(version);
  }
}

/** Writes what is new; an error is returned for the log, never thrown. */
export async function saveParseCache(state: StateDir, cache: ParseCache | undefined): Promise<Error | undefined> {
  if (cache === undefined || !cache.changed) return undefined;
  try {
    await state.writeJson(PARSE_CACHE_FILE, cache.toRecord(), { backup: false });
    return undefined;
  } catch (e: unknown) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
