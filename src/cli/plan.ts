import type { Writable } from 'node:stream';
import type { ManifestSet } from '../model/manifest.js';
import type { Logger } from '../log.js';
import { pendingRecovery } from '../engine/journal.js';
import { prepare, type Intent } from '../engine/prepare.js';
import { planToJson } from '../render/plan-json.js';
import { planToShell } from '../render/plan-sh.js';
import { planToText } from '../render/plan-text.js';
import type { Plan } from '../model/plan.js';
import { requireOutput, type ParsedArgs } from './args.js';
import { engineDeps, makeLogger, requirePrivileges, stateDirOf } from './context.js';
import { readParseCache } from '../state/index.js';
import { isEmptySet, manifestsFrom, readOnlyState } from './session.js';

export const renderPlan = (plan: Plan, output: string): string =>
  output === 'json' ? planToJson(plan) : output === 'sh' ? planToShell(plan) : planToText(plan);

/** An empty desired state never prunes unless the user says --allow-empty. */
export function applyIntent(args: ParsedArgs, manifests: ManifestSet, logger: Logger): Extract<Intent, { kind: 'apply' }> {
  if (isEmptySet(manifests) && args.prune && !args.allowEmpty) {
    logger.warn('no manifests found: nothing will be pruned (use --allow-empty to remove everything netrecon owns)');
    return { kind: 'apply', prune: false };
  }
  return { kind: 'apply', prune: args.prune };
}

/** `netrecon plan`: what apply would do, changing nothing. */
export async function runPlan(args: ParsedArgs, out: Writable): Promise<number> {
  const output = requireOutput(args.output, ['text', 'json', 'sh'], 'text');
  const manifests = await manifestsFrom(args, undefined, await readParseCache(stateDirOf(args)));
  requirePrivileges();
  const logger = makeLogger(args, 'warn');
  const deps = engineDeps(args, logger);
  const state = await readOnlyState(deps);
  const interrupted = state ? await pendingRecovery(state) : undefined;
  if (interrupted?.running === true) {
    process.stderr.write(`warning: an apply by pid ${interrupted.pid} is in progress; this plan shows the host part-way through it\n`);
  } else if (interrupted !== undefined) {
    process.stderr.write(`warning: an apply by pid ${interrupted.pid} was interrupted; the next apply, delete or watch rolls it back first, so this plan may change\n`);
  }
  // What the interrupted apply made but had not marked yet is not a conflict: its rollback removes it.
  const prepared = await prepare(deps, state, manifests, applyIntent(args, manifests, logger), interrupted?.addresses);
  out.write(renderPlan(prepared.plan, output));
  return args.detailedExitcode && prepared.plan.steps.length > 0 ? 2 : 0;
}
