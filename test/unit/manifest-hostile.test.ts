import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { manifestsFromTexts, PARSE_LIMITS } from '../../src/manifest/index.js';

/** Formatted diagnostics of one text, [] when valid. */
const problems = (text: string): string[] => {
  const result = manifestsFromTexts([{ file: 'x.yaml', text }]);
  return result.ok ? [] : result.diagnostics.map(formatDiagnostic);
};

const sandboxDoc = (name: string): string => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: ${name}}\nspec: {}\n`;

test('more documents than the limit fail fast with one diagnostic', () => {
  const text = Array.from({ length: PARSE_LIMITS.maxDocuments + 5 }, (_, i) => sandboxDoc(`s${i}`)).join('---\n');
  const started = Date.now();
  const found = problems(text);
  assert.equal(found.length, 1);
  assert.match(found[0] ?? '', /^x\.yaml:\d+:1: too many documents: at most 10000 in all files$/);
  assert.ok(Date.now() - started < 20_000);
});

test('the document limit counts across files', () => {
  const half = Array.from({ length: PARSE_LIMITS.maxDocuments / 2 + 1 }, () => '{}\n').join('---\n');
  const result = manifestsFromTexts([
    { file: 'a.yaml', text: half },
    { file: 'b.yaml', text: half },
  ]);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.diagnostics.some((d) => d.file === 'b.yaml' && d.code === 'limit'));
});

test('very deep flow nesting is refused before the YAML parser recurses', () => {
  const depth = 100_000;
  assert.deepEqual(problems(`${'['.repeat(depth)}${']'.repeat(depth)}\n`), ['x.yaml:1:1: nesting deeper than 100 levels']);
});

test('very deep block nesting and compact sequences are refused', () => {
  const block = Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
  assert.match(problems(`${block} 1\n`)[0] ?? '', /nesting deeper than 100 levels/);
  assert.deepEqual(problems(`a: 1\n${'- '.repeat(500)}x\n`), ['x.yaml:2:1: nesting deeper than 100 levels']);
});

test('a few aliases are fine; a value is read through them', () => {
  const text = `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: a, labels: {x: &v one, y: *v}}\nspec: {}\n`;
  const result = manifestsFromTexts([{ file: 'x.yaml', text }]);
  assert.ok(result.ok);
  assert.deepEqual(result.set.sandboxes.get('a')?.labels, { x: 'one', y: 'one' });
});

test('empty input and comment-only documents give an empty set', () => {
  const result = manifestsFromTexts([
    { file: 'a.yaml', text: '' },
    { file: 'b.yaml', text: '# nothing here\n---\n---\n' },
  ]);
  assert.ok(result.ok);
  assert.equal(result.set.sandboxes.size, 0);
  assert.deepEqual(result.set.files, ['a.yaml', 'b.yaml']);
});
