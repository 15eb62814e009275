import { stat } from 'node:fs/promises';
import { formatDiagnostic } from '../model/diagnostic.js';
import { ManifestError, NetreconError, errorMessage } from '../model/errors.js';
import type { ManifestSet } from '../model/manifest.js';
import type { Logger } from '../log.js';
import { loadManifests, type ParseCache } from '../manifest/index.js';
import { readParseCache, saveParseCache } from '../state/index.js';
import { applyPrepared } from '../engine/apply.js';
import type { EngineDeps } from '../engine/context.js';
import { prepare } from '../engine/prepare.js';
import { recordApplied } from '../engine/records.js';
import { ReconcileLoop, timerSchedule, type ReconcileResult, type Trigger } from '../watch/loop.js';
import { watchKernel, watchManifests, watchNetnsDir, watchNftables, type Stop } from '../watch/sources.js';
import { parseDuration, usage, type ParsedArgs } from './args.js';
import { engineDeps, makeLogger, requirePrivileges, stateDirOf } from './context.js';
import { applyIntent } from './plan.js';
import { holdLockedState, type HeldState } from './session.js';

interface WatchState {
  lastGood?: ManifestSet;
  /** Parsed YAML of the directory's files as they are (see manifest/cache.ts). */
  cache?: ParseCache;
}

const summarizeTriggers = (ts: readonly Trigger[]): { trigger: string; changed?: string[] } => {
  const files = [...new Set(ts.filter((t) => t.kind === 'file' && t.detail).map((t) => t.detail as string))];
  return { trigger: [...new Set(ts.map((t) => t.kind))].join(','), ...(files.length > 0 ? { changed: files.slice(0, 20) } : {}) };
};

/** One reconcile of the directory: the last good manifests stay in force while the directory is invalid. */
async function reconcileDir(ctx: { dir: string; args: ParsedArgs; deps: EngineDeps; logger: Logger; state: WatchState; held: HeldState }, triggers: readonly Trigger[]): Promise<ReconcileResult> {
  const started = performance.now();
  const base = summarizeTriggers(triggers);
  const cache = ctx.state.cache;
  const loaded = await loadManifests([ctx.dir], cache ? { cache } : {});
  ctx.state.cache = cache?.retained();
  if (!loaded.ok) {
    ctx.logger.error({ ...base, outcome: 'invalid', errors: loaded.diagnostics.map(formatDiagnostic) }, 'manifests invalid; keeping the last good state');
  } else ctx.state.lastGood = loaded.set;
  const manifests = ctx.state.lastGood;
  if (!manifests) return 'ok';
  try {
    const intent = applyIntent(ctx.args, manifests, ctx.logger);
    const summary = await ctx.held.run(async (state) => {
      const prepared = await prepare(ctx.deps, state, manifests, intent);
      const result = await applyPrepared(ctx.deps, state, prepared);
      await recordApplied(state, manifests, !intent.prune);
      if (loaded.ok) await saveParseCache(state, cache);
      return { ...prepared.plan.summary, steps: result.steps };
    });
    const outcome = summary.steps === 0 ? 'no-changes' : 'applied';
    ctx.logger.info({ ...base, ...summary, durationMs: Math.round(performance.now() - started), outcome }, 'reconcile');
    return 'ok';
  } catch (e: unknown) {
    const errors = e instanceof ManifestError ? e.diagnostics.map(formatDiagnostic) : undefined;
    ctx.logger.error({ ...base, durationMs: Math.round(performance.now() - started), outcome: 'failed', error: errorMessage(e), errors }, 'reconcile');
    return e instanceof ManifestError ? 'ok' : 'failed';
  }
}

/** `netrecon watch DIR`: GitOps — reconcile on change, on kernel events, every --resync, and on SIGHUP. */
export async function runWatch(args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0];
  if (dir === undefined || args.positionals.length > 1) throw usage('usage: netrecon watch DIR [--resync 30s]');
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new NetreconError('not-found', `${dir} is not a directory`);
  const resyncMs = parseDuration(args.resync ?? '30s');
  requirePrivileges();
  const logger = makeLogger(args, 'info');
  const deps = engineDeps(args, logger);
  // The lock is held from start to stop: a manual apply or a second watch on this state directory fails fast.
  const held = await holdLockedState(deps, 'watch');
  try {
    const cache = await readParseCache(stateDirOf(args));
    const ctx = { dir, args, deps, logger, state: (cache ? { cache } : {}) as WatchState, held };
    const loop = new ReconcileLoop({ reconcile: (ts) => reconcileDir(ctx, ts), debounceMs: 300, backoff: { initialMs: 1000, maxMs: 60_000 }, schedule: timerSchedule });
    const stops = startSources(ctx, loop, resyncMs);
    logger.info({ dir, resyncMs }, 'watching');
    loop.trigger({ kind: 'start' });
    const signals = await waitForStopSignal(loop, logger);
    await Promise.all(stops.map((s) => s()));
    await loop.stop();
    signals.release();
  } finally {
    await held.release();
  }
  logger.info('stopped');
  return 0;
}

function startSources(ctx: { dir: string; deps: EngineDeps; logger: Logger }, loop: ReconcileLoop, resyncMs: number): Stop[] {
  const kernel = (line: string): void => { if (!loop.busy) loop.trigger({ kind: 'kernel', detail: line.slice(0, 120) }); };
  const timer = setInterval(() => loop.trigger({ kind: 'resync' }), resyncMs);
  return [
    watchManifests(ctx.dir, (path) => loop.trigger({ kind: 'file', detail: path })),
    watchNetnsDir(ctx.deps.netnsDir, (path) => { if (!loop.busy) loop.trigger({ kind: 'kernel', detail: `netns ${path}` }); }),
    watchKernel(ctx.logger, kernel),
    watchNftables(ctx.logger, kernel),
    async () => clearInterval(timer),
  ];
}

/**
 * SIGHUP forces a full reconcile; SIGINT/SIGTERM stop after the reconcile in
 * flight has finished or rolled back. The handlers stay registered until
 * `release()` (after the loop stopped): with no listener left, a second
 * signal — or execa's exit hook re-raising it — would kill netrecon mid-apply.
 */
function waitForStopSignal(loop: ReconcileLoop, logger: Logger): Promise<{ release: () => void }> {
  return new Promise((resolve) => {
    let stopping = false;
    const hup = (): void => loop.trigger({ kind: 'signal', detail: 'SIGHUP' });
    const release = (): void => void process.off('SIGHUP', hup).off('SIGINT', stop).off('SIGTERM', stop);
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal, inFlight: loop.busy, repeated: stopping }, 'stopping');
      if (stopping) return;
      stopping = true;
      resolve({ release });
    };
    process.on('SIGHUP', hup).on('SIGINT', stop).on('SIGTERM', stop);
  });
}
