import type { Step } from '../model/plan.js';
import { rollbackSteps } from '../apply/execute.js';
import { batchesOf, forwardLines } from '../reconcile/batches.js';
import { clearJournal, liveLockHolder, readJournal, type StateDir } from '../state/index.js';
import type { EngineDeps } from './context.js';

/**
 * The plan is written once before an apply, and the index of the wave about
 * to run before every wave (a small file, so large plans are not rewritten):
 * if netrecon dies mid-apply, the next run undoes every step that may have started.
 */
export const JOURNAL_VERSION = 1;
export const PROGRESS_FILE = 'journal-progress.json';

interface Progress {
  readonly wave: number;
}

const isProgress = (x: unknown): x is Progress => typeof x === 'object' && x !== null && typeof (x as { wave?: unknown }).wave === 'number';

export const writeProgress = (state: StateDir, wave: number): Promise<void> => state.writeJson(PROGRESS_FILE, { wave }, { backup: false });

/** Remove the journal and its progress (after success or a finished rollback). */
export async function endJournal(state: StateDir): Promise<void> {
  await clearJournal(state);
  await state.remove(PROGRESS_FILE);
}

export interface Journal {
  readonly version: typeof JOURNAL_VERSION;
  readonly pid: number;
  readonly startedAt: string;
  readonly steps: readonly Step[];
}

const isJournal = (x: unknown): x is Journal => {
  if (typeof x !== 'object' || x === null) return false;
  const j = x as Record<string, unknown>;
  return j.version === JOURNAL_VERSION && typeof j.pid === 'number' && Array.isArray(j.steps);
};

/** Steps with at least one command in a wave up to `wave` (the one that was about to run or running). */
export function stepsStartedBy(journal: Journal, wave: number): Step[] {
  const waves = batchesOf(forwardLines(journal.steps));
  const started = new Set<number>();
  waves.slice(0, wave + 1).forEach((wave) => wave.forEach((b) => b.lines.forEach((l) => started.add(l.stepId))));
  return journal.steps.filter((s) => started.has(s.id));
}

export interface Recovery {
  readonly rolledBack: number;
  readonly failures: readonly string[];
  readonly interruptedPid: number;
}

/**
 * A journal on disk (read-only): its pid, the addresses its steps touch, and
 * whether that apply is still running (its pid holds the lock) or was
 * interrupted and waits for its rollback.
 */
export async function pendingRecovery(state: StateDir): Promise<{ pid: number; running: boolean; addresses: Set<string> } | undefined> {
  const read = await readJournal(state, isJournal);
  if (read.status !== 'ok') return undefined;
  const running = (await liveLockHolder(state)) === read.value.pid;
  return { pid: read.value.pid, running, addresses: new Set(read.value.steps.flatMap((s) => [s.address, ...s.covers])) };
}

/** Finish the rollback of an interrupted apply, if there was one. Call with the lock held. */
export async function recoverInterrupted(deps: EngineDeps, state: StateDir): Promise<Recovery | undefined> {
  const read = await readJournal(state, isJournal);
  if (read.status === 'missing') return undefined;
  if (read.status === 'corrupt') {
    deps.logger.warn({ reason: read.reason }, 'journal of an interrupted apply is unreadable; reconciling from live state');
    await endJournal(state);
    return undefined;
  }
  const progress = await state.readJson(PROGRESS_FILE, isProgress);
  const started = stepsStartedBy(read.value, progress.status === 'ok' ? progress.value.wave : -1);
  const failures = await rollbackSteps(started, { runner: deps.runner, netnsDir: deps.netnsDir, concurrency: deps.concurrency });
  await endJournal(state);
  const recovery = { rolledBack: started.length, failures, interruptedPid: read.value.pid };
  deps.logger.warn(recovery, 'rolled back an apply that was interrupted');
  return recovery;
}
