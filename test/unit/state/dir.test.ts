import assert from 'node:assert/strict';
import { chmod, chown, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetreconError } from '../../../src/model/errors.js';
import { openStateDir } from '../../../src/state/index.js';
import { tempDir } from '../../helpers/state-fixtures.js';

const refusal = (pattern: RegExp) => (e: unknown): boolean =>
  e instanceof NetreconError && e.code === 'state-dir-permissions' && pattern.test(e.message);

describe('openStateDir', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  before(async () => (root = await tempDir()));
  after(() => root.cleanup());

  it('creates a missing directory and its parents with mode 0700', async () => {
    const dir = join(root.path, 'a', 'b', 'state');
    const state = await openStateDir(dir, { create: true });
    assert.equal(state.path, dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('reports a missing directory when asked not to create it', async () => {
    await assert.rejects(openStateDir(join(root.path, 'nope'), { create: false }), (e: unknown) => e instanceof NetreconError && e.code === 'state-dir-missing');
  });

  it('accepts an existing private directory', async () => {
    const dir = join(root.path, 'private');
    await mkdir(dir, { mode: 0o700 });
    assert.equal((await openStateDir(dir, { create: false })).path, dir);
  });

  it('accepts a directory others can only read (mkdir\'s 0755) or a sticky shared one (tmpfs\'s 1777)', async () => {
    const dir = join(root.path, 'readable');
    await mkdir(dir);
    for (const mode of [0o755, 0o750, 0o711, 0o1777, 0o1770]) {
      await chmod(dir, mode);
      assert.equal((await openStateDir(dir, { create: false })).path, dir, mode.toString(8));
    }
  });

  it('refuses a directory group or others can write without the sticky bit, with the chmod fix', async () => {
    const dir = join(root.path, 'open');
    await mkdir(dir);
    await chmod(dir, 0o777);
    await assert.rejects(openStateDir(dir, { create: true }), refusal(new RegExp(`mode 0777\\) without the sticky bit; fix with: chmod 700 ${dir}$`)));
    for (const mode of [0o770, 0o757, 0o775]) {
      await chmod(dir, mode);
      await assert.rejects(openStateDir(dir, { create: true }), refusal(/can be written by group or others/), mode.toString(8));
    }
  });

  it('refuses a path that is not a directory', async () => {
    const file = join(root.path, 'file');
    await writeFile(file, 'x');
    await assert.rejects(openStateDir(file, { create: true }), refusal(/is not a directory/));
  });

  it('refuses a directory owned by another user', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
    const dir = join(root.path, 'theirs');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    await assert.rejects(openStateDir(dir, { create: true }), refusal(/owned by uid 65534, not by the current user \(uid 0\); fix with: chown 0/));
  });

  it('rejects file names that could leave the directory', async () => {
    const state = await openStateDir(join(root.path, 'names'), { create: true });
    assert.throws(() => state.pathOf('../escape'), /bug: invalid state file name/);
    assert.throws(() => state.pathOf('.hidden'), /bug: invalid state file name/);
  });
});
