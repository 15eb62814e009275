import { Composer, LineCounter, Parser, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document } from 'yaml';
import { diagnosticAt } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { SourceRef } from '../model/manifest.js';
import { excessiveNestingAt } from './depth.js';
import { makeLocator, positionAt } from './positions.js';
import type { FieldPath, Locate } from './positions.js';
import type { CachedText, ParseCache } from './cache.js';

/** Bounds that keep hostile input from exhausting memory, stack or time. */
export const PARSE_LIMITS = { maxDepth: 100, maxAliasCount: 100, maxDocuments: 10_000 } as const;

/** One non-empty YAML document that is a mapping with string keys and no tags. */
export interface ParsedDoc {
  readonly file: string;
  readonly value: Readonly<Record<string, unknown>>;
  readonly at: Locate;
  /** Where the document starts. */
  readonly start: SourceRef;
}

interface DocContext {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lc: LineCounter;
  readonly out: Diagnostic[];
}

const here = (ctx: DocContext, offset: number | undefined): SourceRef =>
  positionAt(ctx.file, ctx.lc, offset ?? ctx.doc.range[0]);

const isEmptyDoc = (doc: Document.Parsed): boolean =>
  doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && doc.contents.tag === undefined);

/** Reports explicit tags and non-string keys anywhere in the document. */
function checkNode(ctx: DocContext, node: unknown): void {
  if (isPair(node)) {
    if (!isScalar(node.key) || typeof node.key.value !== 'string') {
      const offset = isScalar(node.key) || isMap(node.key) || isSeq(node.key) ? node.key.range?.[0] : undefined;
      ctx.out.push(diagnosticAt(here(ctx, offset), 'yaml', 'mapping keys must be strings (quote the key)'));
    }
    checkNode(ctx, node.key);
    checkNode(ctx, node.value);
    return;
  }
  if (!isScalar(node) && !isMap(node) && !isSeq(node)) return;
  if (node.tag !== undefined) {
    ctx.out.push(diagnosticAt(here(ctx, node.range?.[0]), 'yaml', `YAML tags are not supported (${node.tag})`));
  }
  if (isMap(node) || isSeq(node)) for (const item of node.items) checkNode(ctx, item);
}

function toValue(ctx: DocContext): Record<string, unknown> | undefined {
  try {
    const value: unknown = ctx.doc.toJS({ maxAliasCount: PARSE_LIMITS.maxAliasCount });
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch (e: unknown) {
    const at = here(ctx, undefined);
    if (e instanceof ReferenceError) {
      ctx.out.push(diagnosticAt(at, 'yaml', `too many aliases: more than ${PARSE_LIMITS.maxAliasCount} alias expansions`));
    } else if (e instanceof RangeError) {
      ctx.out.push(diagnosticAt(at, 'yaml', 'document nested too deeply'));
    } else {
      ctx.out.push(diagnosticAt(at, 'yaml', `cannot read document: ${e instanceof Error ? e.message : String(e)}`));
    }
    return undefined;
  }
}

function docToParsed(ctx: DocContext): ParsedDoc | undefined {
  for (const err of ctx.doc.errors) ctx.out.push(diagnosticAt(here(ctx, err.pos[0]), 'yaml', err.message));
  if (ctx.doc.errors.length > 0 || isEmptyDoc(ctx.doc)) return undefined;
  const before = ctx.out.length;
  checkNode(ctx, ctx.doc.contents);
  if (ctx.out.length > before) return undefined;
  if (!isMap(ctx.doc.contents)) {
    const offset = ctx.doc.contents?.range?.[0];
    ctx.out.push(diagnosticAt(here(ctx, offset), 'yaml', 'document must be a mapping with apiVersion, kind, metadata and spec'));
    return undefined;
  }
  const value = toValue(ctx);
  if (value === undefined) return undefined;
  const at = makeLocator(ctx.file, ctx.doc, ctx.lc);
  return { file: ctx.file, value, at, start: here(ctx, ctx.doc.contents.range[0]) };
}

export interface ParseTextOptions {
  readonly file: string;
  readonly text: string;
  /** How many more documents may be read (a limit across all files). */
  readonly budget: number;
  /** Texts parsed before without a problem (see cache.ts); a text parsed now without one is added. */
  readonly cache?: ParseCache;
}

export interface ParseTextResult {
  readonly docs: ParsedDoc[];
  /** Documents seen, empty ones included. */
  readonly count: number;
}

/** YAML text -> documents; every problem goes to `out`. Never throws on bad input. */
export function parseManifestText(opts: ParseTextOptions, out: Diagnostic[]): ParseTextResult {
  const hit = opts.cache?.get(opts.text);
  if (hit !== undefined && hit.count <= opts.budget) return fromCache(opts, hit);
  const before = out.length;
  const result = parseFresh(opts, out);
  if (opts.cache !== undefined && out.length === before) opts.cache.put(opts.text, toCached(result));
  return result;
}

function parseFresh(opts: ParseTextOptions, out: Diagnostic[]): ParseTextResult {
  const lc = new LineCounter();
  const deep = excessiveNestingAt(opts.text, PARSE_LIMITS.maxDepth);
  if (deep !== undefined) {
    const line = opts.text.slice(0, deep).split('\n').length;
    out.push(diagnosticAt({ file: opts.file, line, col: 1 }, 'yaml', `nesting deeper than ${PARSE_LIMITS.maxDepth} levels`));
    return { docs: [], count: 0 };
  }
  return composeDocs(opts, lc, out);
}

const NAME_PATH: FieldPath = ['metadata', 'name'];
const isNamePath = (path: FieldPath): boolean => path.length === 2 && path[0] === NAME_PATH[0] && path[1] === NAME_PATH[1];

function toCached(result: ParseTextResult): CachedText {
  const pair = (ref: SourceRef): [number, number] => [ref.line, ref.col];
  return { count: result.count, docs: result.docs.map((d) => ({ value: d.value, start: pair(d.start), name: pair(d.at(NAME_PATH)) })) };
}

/**
 * Documents as parsing gave them before. metadata.name's position (which
 * every load asks for) is kept; any other is found by parsing the text again,
 * once, the first time a diagnostic asks.
 */
function fromCache(opts: ParseTextOptions, hit: CachedText): ParseTextResult {
  const ref = ([line, col]: readonly [number, number]): SourceRef => ({ file: opts.file, line, col });
  let parsed: ParsedDoc[] | undefined;
  const locate = (i: number): Locate => {
    parsed ??= parseFresh({ file: opts.file, text: opts.text, budget: PARSE_LIMITS.maxDocuments }, []).docs;
    return parsed[i]?.at ?? (() => ref(hit.docs[i]?.start ?? [1, 1]));
  };
  const docs = hit.docs.map((d, i): ParsedDoc => {
    const name = ref(d.name);
    return { file: opts.file, value: d.value, start: ref(d.start), at: (path, part = 'value') => (part === 'value' && isNamePath(path) ? name : locate(i)(path, part)) };
  });
  return { docs, count: hit.count };
}

function composeDocs(opts: ParseTextOptions, lc: LineCounter, out: Diagnostic[]): ParseTextResult {
  const docs: ParsedDoc[] = [];
  let count = 0;
  try {
    const composer = new Composer({ prettyErrors: false, uniqueKeys: true });
    for (const doc of composer.compose(new Parser(lc.addNewLine).parse(opts.text))) {
      if (++count > opts.budget) {
        const at = positionAt(opts.file, lc, doc.range[0]);
        out.push(diagnosticAt(at, 'limit', `too many documents: at most ${PARSE_LIMITS.maxDocuments} in all files`));
        break;
      }
      const parsed = docToParsed({ file: opts.file, doc, lc, out });
      if (parsed !== undefined) docs.push(parsed);
    }
  } catch (e: unknown) {
    const what = e instanceof RangeError ? 'nested too deeply' : e instanceof Error ? e.message : String(e);
    out.push(diagnosticAt({ file: opts.file, line: 1, col: 1 }, 'yaml', `cannot parse YAML: ${what}`));
  }
  return { docs, count };
}
