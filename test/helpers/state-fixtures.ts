import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh private directory under the system temp dir; `cleanup` removes it. */
export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'netrecon-state-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A live process we own (a `sleep`), for a lock holder that is alive. */
export async function liveProcess(): Promise<{ pid: number; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const pid = child.pid;
  if (pid === undefined) throw new Error('sleep did not start');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  return { pid, child, stop };
}

/** The pid of a process that has exited (and been reaped), for a stale lock. */
export async function deadPid(): Promise<number> {
  const child = spawn('true', [], { stdio: 'ignore' });
  const pid = child.pid;
  await once(child, 'exit');
  if (pid === undefined) throw new Error('true did not start');
  return pid;
}

export const lockText = (fields: Record<string, unknown>): string =>
  `${JSON.stringify({ startedAt: '2024-01-01T00:00:00.000Z', command: 'apply -f x', token: 'feedfacecafe', ...fields })}\n`;
