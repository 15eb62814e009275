import { HOST_NS } from '../model/resource.js';
import type { Batch } from '../reconcile/batches.js';
import type { Runner } from '../util/runner.js';
import { batchInput } from '../observe/ipjson.js';
import { describeCommand, runSingle } from './single.js';

export interface BatchOptions {
  readonly runner: Runner;
  readonly netnsDir: string;
  /** Keep going past failed lines (rollback); otherwise stop at the first. */
  readonly force: boolean;
  /** Append show commands and run with -j -d: the batch's stdout is the namespace's state afterwards. */
  readonly readBack?: boolean;
}

export interface BatchOutcome {
  readonly batch: Batch;
  /** Indexes of lines that failed (empty on success). */
  readonly failedLines: readonly number[];
  /** Lines before this index ran successfully (without force: the first failure). */
  readonly completed: number;
  readonly stderr: string;
  /** With readBack, on success: `ip -j -d` output of link, addr and route show. */
  readonly stdout?: string;
}

/** argv of one `ip -batch` in a namespace; sandboxes are entered with nsenter (flat cost as namespaces grow). */
export function batchArgv(ns: string, netnsDir: string, force: boolean, readBack = false): [string, string[]] {
  const ipArgs = [...(force ? ['-force'] : []), ...(readBack ? ['-j', '-d'] : []), '-batch', '-'];
  if (ns === HOST_NS) return ['ip', ipArgs];
  return ['nsenter', [`--net=${netnsDir}/${ns}`, '--', 'ip', ...ipArgs]];
}

export async function runBatch(batch: Batch, options: BatchOptions): Promise<BatchOutcome> {
  if (batch.kind === 'single') {
    const reason = await runSingle(batch.lines[0].command, options.runner);
    return reason === undefined ? { batch, failedLines: [], completed: 1, stderr: '' } : { batch, failedLines: [0], completed: 0, stderr: reason };
  }
  const readBack = options.readBack ?? false;
  const [file, args] = batchArgv(batch.ns, options.netnsDir, options.force, readBack);
  const input = `${batch.lines.map((l) => l.command.args.join(' ')).join('\n')}\n${readBack ? batchInput() : ''}`;
  const result = await options.runner.run(file, args, { input });
  if (result.exitCode === 0) return { batch, failedLines: [], completed: batch.lines.length, stderr: '', ...(readBack ? { stdout: result.stdout } : {}) };
  const failedLines = [...result.stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]) - 1);
  // No line reported: the process itself failed (e.g. the namespace is gone); nothing ran.
  const completed = failedLines.length === 0 ? 0 : options.force ? batch.lines.length : (failedLines[0] ?? 0);
  return { batch, failedLines: failedLines.length === 0 ? batch.lines.map((_, i) => i) : failedLines, completed, stderr: result.stderr.trim() };
}

/** A one-line account of a failed batch, naming the failed command. */
export function describeFailure(o: BatchOutcome): string {
  const first = o.failedLines[0];
  const line = first === undefined ? undefined : o.batch.lines[first];
  const where = o.batch.kind === 'single' || o.batch.ns === HOST_NS ? 'host' : `netns ${o.batch.ns}`;
  const cmd = line ? describeCommand(line.command) : 'ip -batch';
  const reason = o.stderr.split('\n').find((l) => !l.startsWith('Command failed')) ?? o.stderr;
  return `${where}: \`${cmd}\` failed: ${reason}`;
}
