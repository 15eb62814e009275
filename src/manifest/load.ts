import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnosticAt } from '../model/diagnostic.js';
import { byCodeUnit } from '../util/order.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { manifestsFromTexts, sizeBudget } from './texts.js';
import type { LoadOptions, LoadResult, ManifestText } from './texts.js';

const isManifestName = (name: string): boolean => name.endsWith('.yaml') || name.endsWith('.yml');

const reason = (e: unknown): string => {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    if (e.code === 'ENOENT') return 'no such file or directory';
    if (e.code === 'EACCES') return 'permission denied';
    return e.code;
  }
  return e instanceof Error ? e.message : String(e);
};

const problem = (file: string, message: string): Diagnostic => diagnosticAt({ file, line: 1, col: 1 }, 'io', message);

/** Every *.yaml / *.yml below a directory, recursively, sorted by path. */
async function manifestFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isManifestName(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort(byCodeUnit);
}

/** Paths as given -> files to read, in order; a path that cannot be read is a diagnostic. */
async function expandPaths(paths: readonly string[], out: Diagnostic[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (info.isDirectory()) files.push(...(await manifestFilesIn(path)));
      else files.push(path);
    } catch (e: unknown) {
      out.push(problem(path, `cannot read ${path}: ${reason(e)}`));
    }
  }
  return [...new Set(files)];
}

async function readAll(files: readonly string[], out: Diagnostic[]): Promise<ManifestText[]> {
  const texts: ManifestText[] = [];
  const admit = sizeBudget();
  for (const file of files) {
    try {
      const verdict = admit(file, (await stat(file)).size, out);
      if (verdict === 'stop') break;
      if (verdict === 'skip') continue;
      texts.push({ file, text: await readFile(file, 'utf8') });
    } catch (e: unknown) {
      out.push(problem(file, `cannot read ${file}: ${reason(e)}`));
    }
  }
  return texts;
}

/**
 * Files and directories -> ManifestSet, or every problem found. I/O problems
 * (a missing path, an unreadable or too large file) are diagnostics at 1:1.
 */
export async function loadManifests(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const io: Diagnostic[] = [];
  const texts = await readAll(await expandPaths(paths, io), io);
  const result = manifestsFromTexts(texts, options);
  if (io.length === 0) return result;
  return { ok: false, diagnostics: [...io, ...(result.ok ? [] : result.diagnostics)] };
}
