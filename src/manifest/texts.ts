import { diagnosticAt, sortDiagnostics } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ManifestSet } from '../model/manifest.js';
import { itemsFromDocs } from './documents.js';
import { PARSE_LIMITS, parseManifestText } from './parse.js';
import type { ParsedDoc } from './parse.js';
import type { ParseCache } from './cache.js';
import { schemaDiagnostics } from './schema.js';
import { resolveManifests, type KnownObjects } from './semantic/index.js';

/** Size limits: one manifest, and all manifests of one load together. */
export const READ_LIMITS = { maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 32 * 1024 * 1024 } as const;

const MIB = 1024 * 1024;

/**
 * The size limits of one load, as a running budget: `admit` says whether a
 * manifest of `bytes` may be read ('read', counted), is too large and is
 * skipped while the rest are still read ('skip'), or brings the total over
 * the limit and stops the load ('stop'); the last two add a diagnostic to
 * `out`. Shared by loadManifests (sizes from stat, before reading) and
 * manifestsFromTexts.
 */
export function sizeBudget(): (file: string, bytes: number, out: Diagnostic[]) => 'read' | 'skip' | 'stop' {
  let total = 0;
  return (file, bytes, out) => {
    const at = { file, line: 1, col: 1 };
    if (bytes > READ_LIMITS.maxFileBytes) {
      out.push(diagnosticAt(at, 'limit', `file is ${(bytes / MIB).toFixed(1)} MiB; the limit is ${READ_LIMITS.maxFileBytes / MIB} MiB a file`));
      return 'skip';
    }
    if (total + bytes > READ_LIMITS.maxTotalBytes) {
      out.push(diagnosticAt(at, 'limit', `manifests exceed ${READ_LIMITS.maxTotalBytes / MIB} MiB in total; not read from this file on`));
      return 'stop';
    }
    total += bytes;
    return 'read';
  };
}

export type LoadResult = { ok: true; set: ManifestSet } | { ok: false; diagnostics: Diagnostic[] };

export interface LoadOptions {
  /** Networks and sandboxes the manifests may name without defining them (delete: from the last apply). */
  readonly known?: KnownObjects;
  /** Parsed YAML of earlier runs, by text (see cache.ts). */
  readonly cache?: ParseCache;
}

export interface ManifestText {
  readonly file: string;
  readonly text: string;
}

/**
 * Pure: YAML texts -> the normalized ManifestSet, or every problem found
 * (YAML, then schema, then semantic checks), sorted by file and position.
 * Semantic checks run on the documents that passed the schema; a reference
 * to a document that failed it is not reported again.
 */
export function manifestsFromTexts(files: readonly ManifestText[], options: LoadOptions = {}): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const docs: ParsedDoc[] = [];
  let budget: number = PARSE_LIMITS.maxDocuments;
  const admit = sizeBudget();
  for (const { file, text } of files) {
    // loadManifests checks sizes before it reads a file; texts handed in
    // directly are held to the same limits, before any parsing.
    const verdict = admit(file, Buffer.byteLength(text), diagnostics);
    if (verdict === 'stop') break;
    if (verdict === 'skip') continue;
    const parsed = parseManifestText({ file, text, budget, ...(options.cache ? { cache: options.cache } : {}) }, diagnostics);
    budget -= parsed.count;
    docs.push(...parsed.docs);
    if (budget < 0) break;
  }
  const valid: ParsedDoc[] = [];
  const invalid = new Set<string>();
  for (const doc of docs) {
    const errors = schemaDiagnostics(doc);
    diagnostics.push(...errors);
    if (errors.length === 0) valid.push(doc);
    else invalid.add(`${scalarText(doc.value['kind'])}/${nameOf(doc)}`);
  }
  const resolved = resolveManifests(itemsFromDocs(valid), { files: files.map((f) => f.file), invalid, ...(options.known ? { known: options.known } : {}) });
  if (resolved.ok && diagnostics.length === 0) return { ok: true, set: resolved.set };
  return { ok: false, diagnostics: sortDiagnostics([...diagnostics, ...(resolved.ok ? [] : resolved.diagnostics)]) };
}

/** Text of a value that the schema may have rejected: never String() on a mapping (its toString may be anything). */
const scalarText = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

const nameOf = (doc: ParsedDoc): string => {
  const meta = doc.value['metadata'];
  return typeof meta === 'object' && meta !== null && 'name' in meta ? scalarText(meta.name) : '';
};
