import { createHash } from 'node:crypto';

/**
 * What parsing one manifest text gave, when it gave no diagnostic: the
 * documents' values, where each starts and where its metadata.name is (the
 * only positions a load needs when nothing is wrong). Every other position
 * is found by parsing the text again, when a diagnostic asks for one.
 */
export interface CachedText {
  /** Documents seen, empty ones included (the document limit counts them). */
  readonly count: number;
  readonly docs: readonly CachedDoc[];
}

export interface CachedDoc {
  readonly value: Readonly<Record<string, unknown>>;
  /** [line, col] of the document's start. */
  readonly start: readonly [number, number];
  /** [line, col] of metadata.name's value (of the deepest part of it that exists). */
  readonly name: readonly [number, number];
}

/** A cache written by another netrecon version is not read. */
const FORMAT = 1;

/** Bounds on what is kept between runs: the texts of this load, then the most recent others. */
export const CACHE_LIMITS = { maxEntries: 4096, maxDocuments: 50_000 } as const;

export interface CacheRecord {
  readonly format: typeof FORMAT;
  readonly version: string;
  readonly entries: readonly { readonly sha256: string; readonly text: CachedText }[];
}

const textKey = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Parsed YAML by the exact text it came from (sha256): the same bytes give
 * the same documents, so a hit is what parsing would give. YAML parsing is
 * most of what loading 1000 documents costs (~200 ms of a cold start).
 * Pure; the state directory keeps it between runs (state/parse-cache.ts).
 */
export class ParseCache {
  private readonly entries: Map<string, CachedText>;
  private readonly used = new Set<string>();
  private added = false;

  constructor(private readonly version: string, record?: CacheRecord) {
    this.entries = new Map(record !== undefined && record.version === version ? record.entries.map((e) => [e.sha256, e.text]) : []);
  }

  get(text: string): CachedText | undefined {
    const key = textKey(text);
    const hit = this.entries.get(key);
    if (hit !== undefined) this.used.add(key);
    return hit;
  }

  /** Keeps a text's documents when JSON gives them back unchanged (see isJsonSafe). */
  put(text: string, parsed: CachedText): void {
    if (!parsed.docs.every((d) => isJsonSafe(d.value))) return;
    const key = textKey(text);
    this.entries.set(key, parsed);
    this.used.add(key);
    this.added = true;
  }

  /**
   * A cache of the texts used since this one was made, nothing new in it:
   * a long-running watch keeps what its directory holds now, not every
   * version of every file it ever read.
   */
  retained(): ParseCache {
    return new ParseCache(this.version, { format: FORMAT, version: this.version, entries: this.usedEntries() });
  }

  private usedEntries(): CacheRecord['entries'][number][] {
    return [...this.used].flatMap((sha256) => {
      const text = this.entries.get(sha256);
      return text === undefined ? [] : [{ sha256, text }];
    });
  }

  /** Something new to keep. */
  get changed(): boolean {
    return this.added;
  }

  /** What to keep: the texts used since this cache was made first, then the others, within CACHE_LIMITS. */
  toRecord(): CacheRecord {
    const order = [...this.used, ...[...this.entries.keys()].filter((k) => !this.used.has(k))];
    const entries: CacheRecord['entries'][number][] = [];
    let documents = 0;
    for (const sha256 of order) {
      const text = this.entries.get(sha256);
      if (text === undefined) continue;
      if (entries.length >= CACHE_LIMITS.maxEntries || documents + text.docs.length > CACHE_LIMITS.maxDocuments) break;
      entries.push({ sha256, text });
      documents += text.docs.length;
    }
    return { format: FORMAT, version: this.version, entries };
  }
}

/**
 * JSON gives the value back as it is: no .inf, .nan or -0, nothing but
 * plain arrays and objects, no key that JSON would turn into another
 * object's shape (`__proto__`), no hidden or inherited property.
 */
function isJsonSafe(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) return Object.getPrototypeOf(v) === Array.prototype && Object.keys(v).length === v.length && v.every(isJsonSafe);
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  const keys = Object.keys(v);
  return !keys.includes('__proto__') && Object.getOwnPropertyNames(v).length === keys.length && Object.values(v).every(isJsonSafe);
}

const isPosition = (x: unknown): x is [number, number] =>
  Array.isArray(x) && x.length === 2 && x.every((n) => Number.isInteger(n) && (n as number) >= 1);

const isDoc = (x: unknown): x is CachedDoc => {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string, unknown>;
  return typeof d['value'] === 'object' && d['value'] !== null && !Array.isArray(d['value']) && isPosition(d['start']) && isPosition(d['name']);
};

const isText = (x: unknown): x is CachedText => {
  if (typeof x !== 'object' || x === null) return false;
  const t = x as Record<string, unknown>;
  return Number.isInteger(t['count']) && Array.isArray(t['docs']) && (t['count'] as number) >= t['docs'].length && t['docs'].every(isDoc);
};

/** The shape of a cache file; anything else is ignored (and rewritten by the next run that parses). */
export function isCacheRecord(x: unknown): x is CacheRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return r['format'] === FORMAT && typeof r['version'] === 'string' && Array.isArray(r['entries']) &&
    r['entries'].every((e: unknown) => typeof e === 'object' && e !== null &&
      typeof (e as Record<string, unknown>)['sha256'] === 'string' && /^[0-9a-f]{64}$/.test((e as Record<string, string>)['sha256'] ?? '') &&
      isText((e as Record<string, unknown>)['text']));
}
