/**
 * `npm run bench [-- --sizes 50,200,1000 --repeat 3 --tools floor,cni,...]`:
 * for each size, round after round, every available tool runs one trial in
 * its own fresh sandbox (tool order rotates between rounds); then
 * BENCHMARKS.md is written from the medians.
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, USAGE, parseOptions, type BenchOptions } from './args.js';
import { describeMachine } from './machine.js';
import { renderReport } from './report.js';
import { runTrial } from './sandbox.js';
import { Results } from './stats.js';
import { ensurePackage } from './tools/install.js';
import type { Availability, Tool, ToolContext, TrialResult } from './types.js';

const TIME_BIN = '/usr/bin/time';

async function makeContext(opts: BenchOptions): Promise<ToolContext> {
  const wantsRss = opts.tools.some((t) => t.id.startsWith('netrecon'));
  const missing = wantsRss ? await ensurePackage('time', TIME_BIN, opts.install) : 'not needed';
  if (wantsRss && missing !== undefined) process.stderr.write(`bench: no peak RSS: ${missing}\n`);
  return { netreconBin: opts.netreconBin, timeBin: missing === undefined ? TIME_BIN : undefined, install: opts.install };
}

async function checkTools(tools: readonly Tool[], ctx: ToolContext): Promise<Map<string, Availability>> {
  const availability = new Map<string, Availability>();
  for (const tool of tools) {
    const a = await tool.available(ctx).catch((e: unknown): Availability => ({ ok: false, reason: e instanceof Error ? e.message : String(e) }));
    availability.set(tool.id, a);
    process.stderr.write(`bench: ${tool.id}: ${a.ok ? a.version : `not available: ${a.reason}`}\n`);
  }
  return availability;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function describeTrial(r: TrialResult): string {
  if (r.error !== undefined) return `FAILED: ${r.error}`;
  return r.phases.map((p) => `${p.name} ${p.ms.toFixed(0)} ms`).join(', ');
}

async function measure(opts: BenchOptions, ctx: ToolContext, tools: readonly Tool[]): Promise<Results> {
  const results = new Results();
  for (const n of opts.sizes) {
    for (let round = 0; round < opts.repeat; round++) {
      for (const tool of rotate(tools, round)) {
        const result = await runTrial(tool.trial(n, ctx), ctx);
        results.add(result);
        process.stderr.write(`bench: N=${n} round ${round + 1}/${opts.repeat} ${tool.id}: ${describeTrial(result)}\n`);
      }
    }
  }
  return results;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (it creates network namespaces inside private sandboxes)');
  const started = performance.now();
  const ctx = await makeContext(opts);
  const availability = await checkTools(opts.tools, ctx);
  const runnable = opts.tools.filter((t) => availability.get(t.id)?.ok === true);
  const results = await measure(opts, ctx, runnable);
  const report = renderReport({
    machine: await describeMachine(REPO_ROOT),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    wallSeconds: (performance.now() - started) / 1000,
    sizes: opts.sizes,
    repeat: opts.repeat,
    tools: opts.tools,
    availability,
    results,
  });
  await writeFile(opts.out, report);
  process.stderr.write(`bench: wrote ${opts.out}\n`);
  return results.errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    process.exit(2);
  },
);
