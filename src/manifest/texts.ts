import { diagnosticAt, sortDiagnostics } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ManifestSet } from '../model/manifest.js';
import { itemsFromDocs } from './documents.js';
import { PARSE_LIMITS, parseManifestText } from './parse.js';
import type { ParsedDoc } from './parse.js';
import { schemaDiagnostics } from './schema.js';
import { resolveManifests, type KnownObjects } from './semantic/index.js';

/** Size limits: one manifest, and all manifests of one load together. */
export const READ_LIMITS = { maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 32 * 1024 * 1024 } as const;

const MIB = 1024 * 1024;

/**
 * Whether a manifest of `bytes` may be read after `before` bytes of others:
 * too large a file is skipped (the rest are still read), too much in all
 * stops the load. Shared by loadManifests (sizes from stat, before reading)
 * and manifestsFromTexts.
 */
export function sizeVerdict(file: string, bytes: number, before: number): { ok: true } | { ok: false; diagnostic: Diagnostic; stop: boolean } {
  const at = { file, line: 1, col: 1 };
  if (bytes > READ_LIMITS.maxFileBytes) {
    return { ok: false, stop: false, diagnostic: diagnosticAt(at, 'limit', `file is ${(bytes / MIB).toFixed(1)} MiB; the limit is ${READ_LIMITS.maxFileBytes / MIB} MiB a file`) };
  }
  if (before + bytes > READ_LIMITS.maxTotalBytes) {
    return { ok: false, stop: true, diagnostic: diagnosticAt(at, 'limit', `manifests exceed ${READ_LIMITS.maxTotalBytes / MIB} MiB in total; not read from this file on`) };
  }
  return { ok: true };
}

export type LoadResult = { ok: true; set: ManifestSet } | { ok: false; diagnostics: Diagnostic[] };

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
export function manifestsFromTexts(files: readonly ManifestText[], options: { readonly known?: KnownObjects } = {}): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const docs: ParsedDoc[] = [];
  let budget: number = PARSE_LIMITS.maxDocuments;
  let total = 0;
  for (const { file, text } of files) {
    // loadManifests checks sizes before it reads a file; texts handed in
    // directly are held to the same limits, before any parsing.
    const bytes = Buffer.byteLength(text);
    const size = sizeVerdict(file, bytes, total);
    if (!size.ok) {
      diagnostics.push(size.diagnostic);
      if (size.stop) break;
      continue;
    }
    total += bytes;
    const parsed = parseManifestText({ file, text, budget }, diagnostics);
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
