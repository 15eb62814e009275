/**
 * Edge: run many namespaces' ip batches with a few processes (see
 * observe/chunked.ts for why: node forks itself for every spawn). Each
 * namespace's lines go to DIR/<ns>.batch; each chunk of namespaces is one
 * process running `ip [-j -d] -batch DIR/{}.batch` in each of them
 * (util/enter.ts: argv substitution, no shell). ip names the file and line of a failed
 * command, so failures are attributed to their namespace; a namespace that
 * could not be entered ran nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../reconcile/batches.js';
import { batchInput, splitJsonValues } from '../observe/ipjson.js';
import { namespacesNotRun, runInEach } from '../util/enter.js';
import { mapLimit, splitInto, type Runner } from '../util/runner.js';
import type { BatchOutcome } from './batch.js';

export interface ChunkOptions {
  readonly runner: Runner;
  readonly netnsDir: string;
  readonly chunks: number;
  readonly force: boolean;
  /** Namespaces whose batch also reads the namespace back (ends with link/addr/route show). */
  readonly readBack: ReadonlySet<Batch>;
}

type IpBatch = Extract<Batch, { kind: 'ip' }>;

function failures(stderr: string, dir: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of stderr.matchAll(/Command failed (\S+)\.batch:(\d+)/g)) {
    const ns = (m[1] ?? '').slice(dir.length + 1);
    out.set(ns, [...(out.get(ns) ?? []), Number(m[2]) - 1]);
  }
  return out;
}

async function runChunk(chunk: readonly IpBatch[], dir: string, o: ChunkOptions): Promise<BatchOutcome[]> {
  const readBack = chunk.every((b) => o.readBack.has(b));
  for (const b of chunk) writeFileSync(join(dir, `${b.ns}.batch`), `${b.lines.map((l) => l.command.args.join(' ')).join('\n')}\n${readBack ? batchInput() : ''}`);
  const ip = [...(o.force ? ['-force'] : []), ...(readBack ? ['-j', '-d'] : []), '-batch', join(dir, '{}.batch')];
  const names = chunk.map((b) => b.ns);
  const result = await runInEach(o.runner, names, o.netnsDir, ['ip', ...ip]);
  const failed = failures(result.stderr, dir);
  const notRun = namespacesNotRun(result.stderr, names);
  const values = readBack && result.exitCode === 0 ? splitJsonValues(result.stdout) : [];
  // A failure no namespace owns (the chunk's process itself failed): none of its batches is known to have run as written.
  const unknown = result.exitCode !== 0 && failed.size === 0 && notRun.size === 0;
  return chunk.map((batch, i): BatchOutcome => {
    const lines = failed.get(batch.ns) ?? (unknown || notRun.has(batch.ns) ? batch.lines.map((_, k) => k) : []);
    if (lines.length === 0) {
      const printed = values.length === chunk.length * 3 ? { stdout: values.slice(i * 3, i * 3 + 3).map((v) => JSON.stringify(v)).join('\n') } : {};
      return { batch, failedLines: [], completed: batch.lines.length, stderr: '', ...printed };
    }
    return { batch, failedLines: lines, completed: o.force ? batch.lines.length : (lines[0] ?? 0), stderr: result.stderr.trim() };
  });
}

/** Run ip batches of named namespaces in `chunks` parallel processes; outcomes keep the input order. */
export async function runIpBatchesChunked(batches: readonly IpBatch[], o: ChunkOptions): Promise<BatchOutcome[]> {
  const dir = mkdtempSync(join(tmpdir(), 'netrecon-apply-'));
  try {
    const chunks = splitInto(batches, o.chunks);
    return (await mapLimit(chunks, chunks.length, (c) => runChunk(c, dir, o))).flat();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
