import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests, manifestsFromTexts, READ_LIMITS } from '../../src/manifest/index.js';

const sandbox = (name: string): string => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: ${name}}\nspec: {}\n`;

async function withTree(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'netrecon-manifest-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('loadManifests reads *.yaml and *.yml below a directory, sorted, and ignores other files', async () => {
  const tree = {
    'b.yaml': sandbox('b'),
    'a/z.yml': sandbox('z'),
    'a/notes.md': 'not yaml: [',
    'c.yaml.bak': 'broken: [',
    'a/deeper/m.yaml': sandbox('m'),
  };
  await withTree(tree, async (dir) => {
    const result = await loadManifests([dir]);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.set.files, [join(dir, 'a/deeper/m.yaml'), join(dir, 'a/z.yml'), join(dir, 'b.yaml')]);
    assert.deepEqual([...result.set.sandboxes.keys()], ['m', 'z', 'b']);
    assert.equal(result.set.sandboxes.get('z')?.source.file, join(dir, 'a/z.yml'));
  });
});

test('loadManifests takes files and directories together; a file named twice is read once', async () => {
  await withTree({ 'one.yaml': sandbox('one'), 'd/two.yaml': sandbox('two') }, async (dir) => {
    const one = join(dir, 'one.yaml');
    const result = await loadManifests([one, join(dir, 'd'), one]);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.set.files, [one, join(dir, 'd/two.yaml')]);
    assert.equal(result.set.sandboxes.size, 2);
  });
});

test('a missing path is a diagnostic at 1:1, reported with the errors of the other files', async () => {
  await withTree({ 'bad.yaml': sandbox('Bad') }, async (dir) => {
    const missing = join(dir, 'nope.yaml');
    const result = await loadManifests([missing, dir]);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.diagnostics.map((d) => [d.file, d.line, d.col, d.code]),
      [
        [missing, 1, 1, 'io'],
        [join(dir, 'bad.yaml'), 3, 18, 'schema'],
      ],
    );
    assert.match(result.diagnostics[0]?.message ?? '', /no such file or directory/);
  });
});

test('a file over the size limit is a diagnostic naming the limit, not read', async () => {
  const big = `# ${'x'.repeat(READ_LIMITS.maxFileBytes)}\n`;
  await withTree({ 'big.yaml': big, 'ok.yaml': sandbox('ok') }, async (dir) => {
    const result = await loadManifests([dir]);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.diagnostics.length, 1);
    assert.equal(result.diagnostics[0]?.file, join(dir, 'big.yaml'));
    assert.match(result.diagnostics[0]?.message ?? '', /4 MiB a file/);
  });
});

test('texts given directly are held to the same size limit, refused before parsing', () => {
  const huge = `key: ${'z'.repeat(READ_LIMITS.maxFileBytes)}\n`;
  const result = manifestsFromTexts([{ file: 'huge.yaml', text: huge }, { file: 'ok.yaml', text: sandbox('ok') }]);
  assert.deepEqual(result.ok ? [] : result.diagnostics.map((d) => [d.file, d.line, d.col, d.code]), [['huge.yaml', 1, 1, 'limit']]);
  if (!result.ok) assert.match(result.diagnostics[0]?.message ?? '', /4 MiB a file/);
});

test('an empty directory gives an empty, valid set', async () => {
  await withTree({ 'README.md': '# nothing' }, async (dir) => {
    const result = await loadManifests([dir]);
    assert.ok(result.ok);
    assert.equal(result.set.networks.size + result.set.sandboxes.size + result.set.attachments.size, 0);
    assert.deepEqual(result.set.files, []);
  });
});
