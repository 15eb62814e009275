import type { Step } from '../model/plan.js';
import { batchesOf, forwardLines, inverseLines, type Batch } from '../reconcile/batches.js';
import { mapLimit, type Runner } from '../util/runner.js';
import { HOST_NS } from '../model/resource.js';
import { describeFailure, runBatch, type BatchOutcome } from './batch.js';
import { runIpBatchesChunked } from './chunked.js';

export interface ExecuteOptions {
  readonly runner: Runner;
  readonly netnsDir: string;
  readonly concurrency: number;
  /** Called before each wave runs, with the index of the wave (for the journal). */
  readonly beforeWave?: (wave: number) => Promise<void>;
  /** Test seam: called before each batch; throwing simulates a command failure. */
  readonly faultInjector?: (batch: Batch) => void;
  /** Each namespace's last ip batch also reads the namespace back (see ExecuteResult.readBacks). */
  readonly readBack?: boolean;
}

export type ExecuteResult =
  | { readonly ok: true; readonly batches: number; readonly readBacks: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly error: string; readonly started: readonly Step[]; readonly batches: number };

/** Run the plan's commands wave by wave, one batch per namespace, namespaces in parallel. */
export async function executeSteps(steps: readonly Step[], options: ExecuteOptions): Promise<ExecuteResult> {
  const waves = batchesOf(forwardLines(steps));
  const last = options.readBack ? lastIpBatchPerNamespace(waves) : new Set<Batch>();
  const started = new Set<number>();
  const readBacks = new Map<string, string>();
  let batches = 0;
  for (const [index, wave] of waves.entries()) {
    await options.beforeWave?.(index);
    const outcomes = await runWave(wave, options, last);
    batches += wave.length;
    for (const o of outcomes) if (o.stdout !== undefined) readBacks.set(o.batch.ns, o.stdout);
    for (const o of outcomes) o.batch.lines.slice(0, o.completed + 1).forEach((l) => started.add(l.stepId));
    const failed = outcomes.find((o) => o.failedLines.length > 0);
    if (failed) return { ok: false, error: describeFailure(failed), started: steps.filter((s) => started.has(s.id)), batches };
  }
  return { ok: true, batches, readBacks };
}

function lastIpBatchPerNamespace(waves: readonly (readonly Batch[])[]): Set<Batch> {
  const last = new Map<string, Batch>();
  for (const wave of waves) for (const b of wave) if (b.kind === 'ip') last.set(b.ns, b);
  return new Set(last.values());
}

/** From this many sandbox batches in one group on, they run through a few processes (see chunked.ts). */
export const CHUNKED_FROM = 16;

type IpBatch = Extract<Batch, { kind: 'ip' }>;

/**
 * One wave: the host batch and singles one by one (in parallel); sandbox
 * batches in chunks when there are many, grouped by whether they read back.
 */
async function runWave(wave: readonly Batch[], options: ExecuteOptions, last: ReadonlySet<Batch>): Promise<BatchOutcome[]> {
  const isSandboxIp = (b: Batch): b is IpBatch => b.kind === 'ip' && b.ns !== HOST_NS;
  const groups = [true, false].map((rb) => wave.filter((b): b is IpBatch => isSandboxIp(b) && last.has(b) === rb));
  const chunked = groups.filter((g) => g.length >= CHUNKED_FROM);
  const alone = wave.filter((b) => !chunked.some((g) => g.includes(b as IpBatch)));
  const results = await Promise.all([
    mapLimit(alone, options.concurrency, (batch) => runOne(batch, { ...options, readBack: last.has(batch) })),
    ...chunked.map((g) => runChunked(g, options, last)),
  ]);
  const byBatch = new Map(results.flat().map((o) => [o.batch, o]));
  return wave.map((b) => byBatch.get(b) as BatchOutcome);
}

async function runChunked(group: readonly IpBatch[], options: ExecuteOptions, last: ReadonlySet<Batch>): Promise<BatchOutcome[]> {
  const injected: BatchOutcome[] = [];
  const runnable = group.filter((batch) => {
    const fault = injectedFault(batch, options);
    if (fault) injected.push(fault);
    return !fault;
  });
  const ran = await runIpBatchesChunked(runnable, { runner: options.runner, netnsDir: options.netnsDir, chunks: options.concurrency, force: false, readBack: last });
  return [...injected, ...ran];
}

function injectedFault(batch: Batch, options: ExecuteOptions): BatchOutcome | undefined {
  try {
    options.faultInjector?.(batch);
    return undefined;
  } catch (e: unknown) {
    // Nothing of this batch ran: no step of it counts as started.
    return { batch, failedLines: [0], completed: -1, stderr: e instanceof Error ? e.message : String(e) };
  }
}

async function runOne(batch: Batch, options: ExecuteOptions): Promise<BatchOutcome> {
  const fault = injectedFault(batch, options);
  if (fault) return fault;
  return runBatch(batch, { runner: options.runner, netnsDir: options.netnsDir, force: false, readBack: options.readBack });
}

/**
 * Undo started steps: their inverses, last step first, grouped in waves like
 * any plan, run with -force so one failure does not stop the rest.
 * Returns the failures (the caller re-observes to judge the result).
 */
export async function rollbackSteps(started: readonly Step[], options: ExecuteOptions): Promise<string[]> {
  const failures: string[] = [];
  for (const wave of batchesOf(inverseLines(started))) {
    const outcomes = await mapLimit(wave, options.concurrency, (batch) =>
      runBatch(batch, { runner: options.runner, netnsDir: options.netnsDir, force: true }));
    for (const o of outcomes) if (o.failedLines.length > 0) failures.push(describeFailure(o));
  }
  return failures;
}
