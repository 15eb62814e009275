import type { Writable } from 'node:stream';
import { applyPrepared } from '../engine/apply.js';
import { prepare, type Intent } from '../engine/prepare.js';
import { recordApplied, recordDeleted } from '../engine/records.js';
import type { Plan } from '../model/plan.js';
import { requireOutput, type ParsedArgs } from './args.js';
import { engineDeps, makeLogger, requirePrivileges, stateDirOf } from './context.js';
import { applyIntent, renderPlan, runPlan } from './plan.js';
import { isEmptySet, manifestsFrom, recordedObjects, withLockedState } from './session.js';
import { readParseCache, saveParseCache, type StateDir } from '../state/index.js';

const summaryLine = (plan: Plan, verb: string, empty: boolean): string => {
  if (plan.steps.length > 0) return `${verb} complete: ${plan.summary.create} created, ${plan.summary.update} updated, ${plan.summary.delete} deleted.\n`;
  // With no manifest at all there is nothing to compare: do not say the host matches.
  if (empty) return `No changes: the manifests declare nothing${verb === 'Apply' ? ', and nothing was pruned' : ''}.\n`;
  return 'No changes. The live state matches the manifests.\n';
};

/** `netrecon apply` and `netrecon delete`: plan, apply with rollback, verify. */
export async function runApply(args: ParsedArgs, out: Writable): Promise<number> {
  if (args.dryRun && args.command === 'apply') return runPlan({ ...args, command: 'plan' }, out);
  const output = requireOutput(args.output, ['text', 'json'], 'text');
  const cache = await readParseCache(stateDirOf(args));
  const manifests = await manifestsFrom(args, args.command === 'delete' ? await recordedObjects(stateDirOf(args)) : undefined, cache);
  requirePrivileges();
  const logger = makeLogger(args, 'warn');
  const deps = engineDeps(args, logger);
  const intent: Intent = args.command === 'delete' ? { kind: 'delete', refresh: args.refresh } : applyIntent(args, manifests, logger);
  const started = performance.now();
  return withLockedState(deps, args.command, async (state) => {
    const code = await applyLocked(state);
    // Only after a success: a refused or failed run writes nothing to the state directory.
    const failed = await saveParseCache(state, cache);
    if (failed) logger.debug({ error: failed.message }, 'parse cache not written');
    return code;
  });

  async function applyLocked(state: StateDir): Promise<number> {
    const prepared = await prepare(deps, state, manifests, intent);
    if (args.dryRun) {
      out.write(renderPlan(prepared.plan, output));
      return 0;
    }
    if (output === 'text') out.write(renderPlan(prepared.plan, 'text').replace(/^No changes\.\n$/, ''));
    const result = await applyPrepared(deps, state, prepared);
    if (intent.kind === 'delete') await recordDeleted(state, manifests);
    else await recordApplied(state, manifests, !intent.prune);
    const durationMs = Math.round(performance.now() - started);
    logger.info({ command: args.command, ...prepared.plan.summary, steps: result.steps, batches: result.batches, durationMs }, `${args.command} complete`);
    out.write(output === 'json' ? `${JSON.stringify({ plan: prepared.plan, applied: true, durationMs }, null, 2)}\n`
      : summaryLine(prepared.plan, args.command === 'delete' ? 'Delete' : 'Apply', isEmptySet(manifests) && !(intent.kind === 'apply' && intent.prune)));
    return 0;
  }
}
