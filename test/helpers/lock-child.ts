/**
 * A separate process that races for a state directory's lock, for the lock
 * tests. argv: STATE_DIR GO_FILE HOLD_MS. It waits until GO_FILE exists (so
 * all racers start together), tries once, and reports by exit status:
 * 0 won (held HOLD_MS, then released), 10 lock held by another, 1 error.
 */
import { access } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { LockHeldError } from '../../src/model/errors.js';
import { acquireLock, openStateDir } from '../../src/state/index.js';

async function waitFor(path: string): Promise<void> {
  for (;;) {
    try {
      await access(path);
      return;
    } catch {
      await delay(2);
    }
  }
}

async function main(): Promise<number> {
  const [dir, go, hold] = process.argv.slice(2);
  if (dir === undefined || go === undefined || hold === undefined) return 1;
  const state = await openStateDir(dir, { create: false });
  await waitFor(go);
  try {
    const lock = await acquireLock(state, { command: 'lock-child' });
    await delay(Number(hold));
    await lock.release();
    return 0;
  } catch (e: unknown) {
    if (e instanceof LockHeldError) return 10;
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main();
