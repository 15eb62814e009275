/**
 * The parse cache: a load served from it must be exactly the load without
 * it — the same set, or the same diagnostics at the same FILE:LINE:COL —
 * for every manifest fixture; what it keeps survives JSON (the state file)
 * or is not kept; a damaged or foreign cache file is ignored.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile, chown } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { CACHE_LIMITS, isCacheRecord, ParseCache, type CacheRecord } from '../../src/manifest/cache.js';
import { manifestsFromTexts, PARSE_LIMITS, type LoadResult, type ManifestText } from '../../src/manifest/index.js';
import { openStateDir, PARSE_CACHE_FILE, readParseCache, saveParseCache } from '../../src/state/index.js';

const root = fileURLToPath(new URL('../../../test/fixtures/manifests/', import.meta.url));

const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v)));

const outcome = (r: LoadResult): unknown => (r.ok ? { set: plain(r.set) } : { diagnostics: r.diagnostics.map(formatDiagnostic) });

/** A cache as the next run reads it: through JSON. */
const reread = (cache: ParseCache): ParseCache => new ParseCache('v1', JSON.parse(JSON.stringify(cache.toRecord())) as CacheRecord);

const fixtures = readdirSync(root).sort().map((name) => {
  const dir = `${root}${name}/`;
  const inputs: ManifestText[] = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()
    .map((file) => ({ file, text: readFileSync(dir + file, 'utf8') }));
  return { name, inputs };
});

test('every manifest fixture loads the same from a warm cache as without one (set, or diagnostics and their positions)', () => {
  let served = 0;
  for (const { name, inputs } of fixtures) {
    const cold = new ParseCache('v1');
    const without = manifestsFromTexts(inputs);
    assert.deepEqual(outcome(manifestsFromTexts(inputs, { cache: cold })), outcome(without), `${name}: filling the cache changes nothing`);
    const warm = reread(cold);
    const cached = manifestsFromTexts(inputs, { cache: warm });
    assert.deepEqual(outcome(cached), outcome(without), `${name}: served from the cache`);
    if (warm.toRecord().entries.length > 0) served++;
  }
  // The rest have YAML-level errors (syntax, tags, keys, nesting), which are never cached.
  assert.ok(served > fixtures.length / 2, `the cache served texts of ${served} of ${fixtures.length} fixtures`);
});

test('only texts that parsed without a problem are kept, and only when JSON gives their values back', () => {
  const cache = new ParseCache('v1');
  const doc = (spec: string) => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: a}\nspec: ${spec}\n`;
  manifestsFromTexts([{ file: 'ok.yaml', text: doc('{}') }], { cache });
  manifestsFromTexts([{ file: 'bad.yaml', text: doc('{mode: [unclosed') }], { cache });
  manifestsFromTexts([{ file: 'tag.yaml', text: doc('!!map {}') }], { cache });
  manifestsFromTexts([{ file: 'inf.yaml', text: doc('{mtu: .inf}') }], { cache });
  manifestsFromTexts([{ file: 'zero.yaml', text: doc('{mtu: -0}') }], { cache });
  const kept = cache.toRecord().entries;
  assert.equal(kept.length, 1, 'YAML errors, tags, infinities and -0 are parsed every time');
  assert.deepEqual(kept[0]?.text.docs[0]?.value, { apiVersion: 'netrecon.dev/v1', kind: 'Sandbox', metadata: { name: 'a' }, spec: {} });
  assert.deepEqual([kept[0]?.text.docs[0]?.start, kept[0]?.text.docs[0]?.name], [[1, 1], [3, 18]]);
});

test('keys JSON or objects treat specially load the same from the cache (found by the fuzzer: toString)', () => {
  for (const spec of ['{toString: ""}', '{__proto__: {mode: none}}', '{constructor: {}}', '{hasOwnProperty: 1, valueOf: x}', '{mode: none, __proto__: null}']) {
    const inputs = [{ file: 'k.yaml', text: `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: a}\nspec: ${spec}\n` }];
    const cold = new ParseCache('v1');
    const without = outcome(manifestsFromTexts(inputs));
    assert.deepEqual(outcome(manifestsFromTexts(inputs, { cache: cold })), without, spec);
    assert.deepEqual(outcome(manifestsFromTexts(inputs, { cache: reread(cold) })), without, spec);
  }
});

test('a cached text still counts against the document limit', () => {
  const many = Array.from({ length: 3 }, (_, i) => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: s${i}}\nspec: {}\n`).join('---\n');
  const cache = new ParseCache('v1');
  manifestsFromTexts([{ file: 'a.yaml', text: many }], { cache });
  const filler = Array.from({ length: PARSE_LIMITS.maxDocuments - 2 }, () => '---\n').join('');
  const inputs = [{ file: 'filler.yaml', text: filler }, { file: 'a.yaml', text: many }];
  assert.deepEqual(outcome(manifestsFromTexts(inputs, { cache: reread(cache) })), outcome(manifestsFromTexts(inputs)));
  assert.match(JSON.stringify(outcome(manifestsFromTexts(inputs))), /too many documents/);
});

test('the cache keeps the texts of the last load first, within its limits, and tells when it has something new', () => {
  const texts = ['a', 'b', 'c'].map((n) => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: ${n}}\nspec: {}\n`);
  const first = new ParseCache('v1');
  for (const text of texts) manifestsFromTexts([{ file: 'x.yaml', text }], { cache: first });
  assert.equal(first.changed, true);
  const second = reread(first);
  manifestsFromTexts([{ file: 'x.yaml', text: texts[2] ?? '' }], { cache: second });
  assert.equal(second.changed, false, 'a hit is nothing new to write');
  assert.equal(second.toRecord().entries.length, 3);
  assert.equal(second.toRecord().entries[0]?.text.docs[0]?.value['metadata'] !== undefined, true);
  assert.deepEqual(second.retained().toRecord().entries.map((e) => e.text.docs[0]?.name), [[3, 18]], 'retained: only what was used');
  assert.ok(CACHE_LIMITS.maxEntries >= 1000 && CACHE_LIMITS.maxDocuments >= 10_000);
  assert.equal(new ParseCache('v2', first.toRecord()).toRecord().entries.length, 0, 'another parser version: nothing is read');
});

test('cache records of the wrong shape are refused', () => {
  const good = new ParseCache('v1');
  manifestsFromTexts([{ file: 'a.yaml', text: 'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: a}\nspec: {}\n' }], { cache: good });
  const record = JSON.parse(JSON.stringify(good.toRecord())) as { entries: { sha256: string; text: { docs: { start: unknown }[] } }[] };
  assert.equal(isCacheRecord(record), true);
  for (const bad of [null, [], { ...record, format: 2 }, { ...record, entries: [{ sha256: 'xyz', text: record.entries[0]?.text }] },
    { ...record, entries: [{ ...record.entries[0], text: { count: 0, docs: record.entries[0]?.text.docs } }] },
    { ...record, entries: [{ ...record.entries[0], text: { count: 1, docs: [{ ...record.entries[0]?.text.docs[0], start: [0, 1] }] } }] }]) {
    assert.equal(isCacheRecord(bad), false, JSON.stringify(bad));
  }
});

test('the state directory keeps the cache in a 0600 file; a corrupt one or one another user owns is ignored', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'netrecon-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o700);
  const text = 'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: a}\nspec: {}\n';
  const first = await readParseCache(dir);
  assert.ok(first, 'this installation can cache');
  manifestsFromTexts([{ file: 'a.yaml', text }], { cache: first });
  assert.equal(await saveParseCache(await openStateDir(dir, { create: false }), first), undefined);
  const file = join(dir, PARSE_CACHE_FILE);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const second = await readParseCache(dir);
  assert.ok(second?.get(text), 'read back');

  await writeFile(file, (await readFile(file, 'utf8')).slice(0, 40));
  assert.equal((await readParseCache(dir))?.get(text), undefined, 'truncated: ignored');
  assert.equal((await readParseCache(join(dir, 'missing')))?.get(text), undefined, 'no state directory: an empty cache, none created');
  if (process.getuid?.() === 0) {
    await saveParseCache(await openStateDir(dir, { create: false }), second);
    await chown(file, 65534, 65534);
    assert.equal((await readParseCache(dir))?.get(text), undefined, 'a file another user owns is not read');
  }
});
