import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chown, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LockHeldError, NetreconError } from '../../../src/model/errors.js';
import { acquireLock, openStateDir, type StateDir } from '../../../src/state/index.js';
import { readHeld } from '../../../src/state/lockfile.js';
import { deadPid, liveProcess, lockText, tempDir } from '../../helpers/state-fixtures.js';

const CHILD = fileURLToPath(new URL('../../helpers/lock-child.js', import.meta.url));

const heldBy = (pid: number) => (e: unknown): boolean =>
  e instanceof LockHeldError && e.code === 'lock-held' && e.message.includes(`pid ${pid}`);

describe('acquireLock', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let state: StateDir;
  let n = 0;
  before(async () => (root = await tempDir()));
  after(() => root.cleanup());
  beforeEach(async () => (state = await openStateDir(join(root.path, `s${n++}`), { create: true })));
  afterEach(async () => assert.deepEqual((await readdir(state.path)).filter((f) => f !== 'lock'), [], 'no temp or stale files left'));

  it('writes {pid, startedAt, command} with mode 0600 and removes it on release', async () => {
    const lock = await acquireLock(state, { command: 'apply -f web.yaml' });
    const record: unknown = JSON.parse(await readFile(lock.path, 'utf8'));
    assert.deepEqual({ ...(record as object), startedAt: 'x', token: 'x' }, { ...lock.record, startedAt: 'x', token: 'x' });
    assert.equal(lock.record.pid, process.pid);
    assert.equal(lock.record.command, 'apply -f web.yaml');
    assert.equal((await stat(lock.path)).mode & 0o777, 0o600);
    await lock.release();
    assert.equal(existsSync(lock.path), false);
    await lock.release();
  });

  it('fails fast while another acquisition holds it', async () => {
    const lock = await acquireLock(state);
    await assert.rejects(acquireLock(state), heldBy(process.pid));
    await lock.release();
  });

  it('refuses a lock file another user planted (a sticky shared directory lets anyone create one)', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
    await writeFile(state.pathOf('lock'), lockText({ pid: await deadPid() }));
    await chown(state.pathOf('lock'), 65534, 65534);
    await assert.rejects(acquireLock(state), (e: unknown) =>
      e instanceof NetreconError && e.code === 'state-dir-permissions' && /state file .*\/lock belongs to uid 65534, not to the current user \(uid 0\)/.test(e.message));
    await rm(state.pathOf('lock'));
  });

  it('names the live holder pid, also after waiting', async () => {
    const holder = await liveProcess();
    try {
      await writeFile(state.pathOf('lock'), lockText({ pid: holder.pid }));
      await assert.rejects(acquireLock(state), heldBy(holder.pid));
      await assert.rejects(acquireLock(state, { wait: 150 }), heldBy(holder.pid));
    } finally {
      await holder.stop();
    }
  });

  it('gets the lock once a waited-for holder has gone', async () => {
    const holder = await liveProcess();
    await writeFile(state.pathOf('lock'), lockText({ pid: holder.pid }));
    setTimeout(() => void holder.stop(), 100);
    const lock = await acquireLock(state, { wait: 5000 });
    assert.equal(lock.record.pid, process.pid);
    await lock.release();
  });

  it('takes over a lock left by a dead process', async () => {
    await writeFile(state.pathOf('lock'), lockText({ pid: await deadPid() }));
    const lock = await acquireLock(state);
    assert.match(await readFile(lock.path, 'utf8'), new RegExp(`"pid":${process.pid}`));
    await lock.release();
  });

  for (const [what, text] of [
    ['unparsable', '{"pid": 12'],
    ['empty', ''],
    ['with pid 0', lockText({ pid: 0 })],
  ] as const) {
    it(`takes over a lock file that is ${what}`, async () => {
      await writeFile(state.pathOf('lock'), text);
      await (await acquireLock(state)).release();
    });
  }

  it('takes over when the pid was reused by a newer process', { skip: !existsSync('/proc/self/stat') && 'no /proc' }, async () => {
    const other = await liveProcess();
    try {
      await writeFile(state.pathOf('lock'), lockText({ pid: other.pid, procStart: '1' }));
      await (await acquireLock(state)).release();
      await writeFile(state.pathOf('lock'), lockText({ pid: other.pid, procStart: (await readFile(`/proc/${other.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[19] }));
      await assert.rejects(acquireLock(state), heldBy(other.pid), 'the same start time is the same holder');
    } finally {
      await other.stop();
    }
  });

  it('takes over a stale lock whose takeover claim was abandoned by a dead process', async () => {
    await writeFile(state.pathOf('lock'), lockText({ pid: await deadPid() }));
    const stale = await readHeld(state.pathOf('lock'));
    await writeFile(`${state.pathOf('lock')}.claim-${stale?.id}`, lockText({ pid: await deadPid(), token: 'abandoned' }));
    await (await acquireLock(state)).release();
  });

  it('leaves a stale lock alone while a live process is taking it over', async () => {
    await writeFile(state.pathOf('lock'), lockText({ pid: await deadPid() }));
    const claim = `${state.pathOf('lock')}.claim-${(await readHeld(state.pathOf('lock')))?.id}`;
    const other = await liveProcess();
    try {
      await writeFile(claim, lockText({ pid: other.pid }));
      await assert.rejects(acquireLock(state), (e: unknown) => e instanceof NetreconError && e.code === 'lock-contended');
      assert.ok(existsSync(state.pathOf('lock')));
    } finally {
      await other.stop();
      await rm(claim);
      await rm(state.pathOf('lock'));
    }
  });

  it('release does nothing once the lock belongs to someone else', async () => {
    const other = await liveProcess();
    try {
      const lock = await acquireLock(state);
      const theirs = lockText({ pid: other.pid });
      await writeFile(lock.path, theirs);
      await lock.release();
      assert.equal(await readFile(lock.path, 'utf8'), theirs);
    } finally {
      await other.stop();
    }
  });
});

/** Runs `count` lock-child processes that all try at once; returns their exit codes. */
async function race(dir: string, count: number): Promise<number[]> {
  const go = join(dir, '..', `go-${Date.now()}`);
  const children = Array.from({ length: count }, () => spawn(process.execPath, [CHILD, dir, go, '1500'], { stdio: ['ignore', 'ignore', 'inherit'] }));
  await Promise.all(children.map((c) => once(c, 'spawn')));
  await new Promise((r) => setTimeout(r, 300));
  await writeFile(go, '');
  return Promise.all(children.map(async (c) => ((await once(c, 'exit')) as [number | null])[0] ?? -1));
}

describe('acquireLock across processes', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  before(async () => (root = await tempDir()));
  after(() => root.cleanup());

  it('lets exactly one of two concurrent processes win', async () => {
    const state = await openStateDir(join(root.path, 'two'), { create: true });
    assert.deepEqual((await race(state.path, 2)).sort(), [0, 10]);
    assert.deepEqual(await readdir(state.path), []);
  });

  it('lets exactly one of several processes taking over the same stale lock win', async () => {
    const state = await openStateDir(join(root.path, 'stale'), { create: true });
    await writeFile(state.pathOf('lock'), lockText({ pid: await deadPid() }));
    assert.deepEqual((await race(state.path, 4)).sort(), [0, 10, 10, 10]);
    assert.deepEqual(await readdir(state.path), []);
  });
});
