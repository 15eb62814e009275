import assert from 'node:assert/strict';
import { chown, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyLeaseTable, type LeaseTable } from '../../../src/ipam/index.js';
import { clearJournal, loadLeases, openStateDir, readJournal, saveLeases, type StateDir, writeJournal } from '../../../src/state/index.js';
import { NetreconError } from '../../../src/model/errors.js';
import { tempDir } from '../../helpers/state-fixtures.js';

interface Doc {
  readonly n: number;
}
const isDoc = (x: unknown): x is Doc => typeof x === 'object' && x !== null && typeof (x as { n?: unknown }).n === 'number';

describe('state files', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let state: StateDir;
  before(async () => {
    root = await tempDir();
    state = await openStateDir(join(root.path, 'state'), { create: true });
  });
  after(() => root.cleanup());

  it('writes JSON with mode 0600 and reads it back', async () => {
    await state.writeJson('doc.json', { n: 1 });
    assert.deepEqual(await state.readJson('doc.json', isDoc), { status: 'ok', value: { n: 1 } });
    assert.equal((await stat(state.pathOf('doc.json'))).mode & 0o777, 0o600);
  });

  it('refuses a file another user owns: it was not written by netrecon', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
    await state.writeJson('theirs.json', { n: 1 });
    await chown(state.pathOf('theirs.json'), 65534, 65534);
    await assert.rejects(state.readJson('theirs.json', isDoc), (e: unknown) =>
      e instanceof NetreconError && e.code === 'state-dir-permissions' && /theirs\.json belongs to uid 65534, not to the current user \(uid 0\)/.test(e.message));
  });

  it('reports a missing file as missing', async () => {
    assert.deepEqual(await state.readJson('absent.json', isDoc), { status: 'missing' });
  });

  for (const [what, content, reason] of [
    ['unparsable', 'not json {', /not valid JSON/],
    ['empty', '', /empty file/],
    ['of the wrong shape', '{"m": 2}', /expected shape/],
  ] as const) {
    it(`reports a file that is ${what} as corrupt, naming it`, async () => {
      await writeFile(state.pathOf('bad.json'), content);
      const r = await state.readJson('bad.json', isDoc);
      assert.equal(r.status, 'corrupt');
      assert.match(r.status === 'corrupt' ? r.reason : '', reason);
      assert.match(r.status === 'corrupt' ? r.reason : '', /bad\.json/);
    });
  }

  it('reports a truncated file as corrupt', async () => {
    await state.writeJson('cut.json', { n: 12345, pad: 'x'.repeat(100) });
    await truncate(state.pathOf('cut.json'), 20);
    assert.equal((await state.readJson('cut.json', isDoc)).status, 'corrupt');
  });

  it('keeps the old version when a write crashed and left its temp file', async () => {
    await state.writeJson('crash.json', { n: 1 });
    await writeFile(`${state.pathOf('crash.json')}.3141592653`, '{"n": 2, "half');
    assert.deepEqual(await state.readJson('crash.json', isDoc), { status: 'ok', value: { n: 1 } });
    await state.writeJson('crash.json', { n: 3 });
    assert.deepEqual(await state.readJson('crash.json', isDoc), { status: 'ok', value: { n: 3 } });
  });

  it('keeps the previous good version as .bak', async () => {
    await state.writeJson('v.json', { n: 1 });
    await state.writeJson('v.json', { n: 2 });
    assert.deepEqual(JSON.parse(await readFile(`${state.pathOf('v.json')}.bak`, 'utf8')), { n: 1 });
    await writeFile(state.pathOf('v.json'), '{"n": ');
    await state.writeJson('v.json', { n: 3 });
    assert.deepEqual(JSON.parse(await readFile(`${state.pathOf('v.json')}.bak`, 'utf8')), { n: 1 }, 'a corrupt file never replaces the backup');
    assert.equal((await stat(`${state.pathOf('v.json')}.bak`)).mode & 0o777, 0o600);
  });

  it('stores and loads leases, and reports an invalid lease file as corrupt', async () => {
    assert.deepEqual(await loadLeases(state), { status: 'missing' });
    const table: LeaseTable = { version: 1, counter: 2, networks: { web: { a: { ipv4: '10.0.0.2' }, b: { ipv4: '10.0.0.3', released: 2 } } } };
    await saveLeases(state, table);
    assert.deepEqual(await loadLeases(state), { status: 'ok', value: table });
    await writeFile(state.pathOf('leases.json'), JSON.stringify({ ...emptyLeaseTable(), version: 9 }));
    assert.equal((await loadLeases(state)).status, 'corrupt');
  });

  it('writes, reads and clears the journal, without a backup copy', async () => {
    await clearJournal(state);
    assert.deepEqual(await readJournal(state, isDoc), { status: 'missing' });
    await writeJournal(state, { n: 1 });
    await writeJournal(state, { n: 2 });
    assert.deepEqual(await readJournal(state, isDoc), { status: 'ok', value: { n: 2 } });
    await assert.rejects(stat(`${state.pathOf('journal.json')}.bak`), { code: 'ENOENT' });
    await clearJournal(state);
    assert.deepEqual(await readJournal(state, isDoc), { status: 'missing' });
  });
});
