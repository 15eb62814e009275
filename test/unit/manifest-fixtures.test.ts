import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { manifestsFromTexts } from '../../src/manifest/index.js';

/**
 * One folder per case under test/fixtures/manifests/: the *.yaml files
 * (sorted; paths relative to the folder) and expected.txt, which is either the
 * formatted diagnostics, one a line, or "OK" followed by an optional JSON
 * object of normalized fields that must match (fields not named are ignored).
 */
const root = fileURLToPath(new URL('../../../test/fixtures/manifests/', import.meta.url));

/** Maps to plain objects, so the set can be compared with JSON. */
const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v)));

/**
 * The part of `actual` that `expected` names: keys of objects only, arrays and
 * scalars whole; an absent field reads as null, so `"netns": null` asserts absence.
 */
function pick(actual: unknown, expected: unknown): unknown {
  if (typeof expected !== 'object' || expected === null || Array.isArray(expected)) return actual;
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return actual;
  const a = actual as Record<string, unknown>;
  return Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, a[k] === undefined ? null : pick(a[k], v)]));
}

for (const name of readdirSync(root).sort()) {
  test(`manifest fixture ${name}`, () => {
    const dir = `${root}${name}/`;
    const inputs = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort()
      .map((file) => ({ file, text: readFileSync(dir + file, 'utf8') }));
    const expected = readFileSync(`${dir}expected.txt`, 'utf8').trimEnd();
    const result = manifestsFromTexts(inputs);
    if (!expected.startsWith('OK')) {
      assert.equal(result.ok, false, 'expected diagnostics, got a valid set');
      const lines = result.ok ? [] : result.diagnostics.map(formatDiagnostic);
      assert.deepEqual(lines, expected.split('\n'));
      return;
    }
    const diagnostics = result.ok ? [] : result.diagnostics.map(formatDiagnostic);
    assert.deepEqual(diagnostics, []);
    assert.ok(result.ok);
    assert.deepEqual(result.set.files, inputs.map((i) => i.file));
    const shape = expected.slice(2).trim();
    if (shape !== '') {
      const want: unknown = JSON.parse(shape);
      assert.deepEqual(pick(plain(result.set), want), want);
    }
  });
}
