import { ApplyRolledBackError, RollbackIncompleteError, VerifyError } from '../model/errors.js';
import type { Step } from '../model/plan.js';
import type { ObservedState } from '../model/resource.js';
import { executeSteps, rollbackSteps, type ExecuteOptions } from '../apply/execute.js';
import { compareOwnedStates, lingeringHostEnds, verifyApplied } from '../reconcile/verify.js';
import { saveLeases, writeJournal, type StateDir } from '../state/index.js';
import type { EngineDeps } from './context.js';
import { endJournal, JOURNAL_VERSION, writeProgress, type Journal } from './journal.js';
import { observe, type Prepared } from './prepare.js';
import { saveApplied, withDigests } from './applied.js';
import { recordSysctls } from './shared.js';
import { observedAfterApply, touchedNamespaces } from './readback.js';

export interface ApplyOutcome {
  readonly steps: number;
  readonly batches: number;
}

const executeOptions = (deps: EngineDeps, beforeWave?: (wave: number) => Promise<void>): ExecuteOptions => ({
  runner: deps.runner, netnsDir: deps.netnsDir, concurrency: deps.concurrency, faultInjector: deps.faultInjector, beforeWave, readBack: true,
});

/**
 * Run a prepared plan. On failure the inverses of the started steps run in
 * reverse and the owned state must equal the state before (else exit 3).
 * On success the state is re-observed and must equal the desired state.
 */
export async function applyPrepared(deps: EngineDeps, state: StateDir, prepared: Prepared): Promise<ApplyOutcome> {
  const { steps } = prepared.plan;
  if (steps.length === 0) {
    await saveLeases(state, prepared.leases);
    // Nothing to change: what was read is what the manifests make.
    await saveApplied(state, withDigests(prepared.applied, new Set(), prepared.observed));
    return { steps: 0, batches: 0 };
  }
  const journal: Journal = { version: JOURNAL_VERSION, pid: process.pid, startedAt: new Date().toISOString(), steps };
  await writeProgress(state, -1);
  await writeJournal(state, journal);
  let t = performance.now();
  const result = await executeSteps(steps, executeOptions(deps, async (wave) => {
    deps.logger.debug({ wave: wave - 1, ms: Math.round(performance.now() - t) }, 'wave done');
    t = performance.now();
    await writeProgress(state, wave);
  }));
  deps.logger.debug({ ms: Math.round(performance.now() - t) }, 'last wave done');
  if (!result.ok) return rollBack(deps, state, prepared, { error: result.error, started: result.started });
  await saveLeases(state, prepared.leases);
  // Recorded now, for the next run whatever verification finds; a touched namespace gets its digest once verified.
  const touched = touchedNamespaces(steps);
  await saveApplied(state, withDigests(prepared.applied, touched));
  await recordSysctls(state, steps, prepared.observed.resources);
  await endJournal(state);
  const verifyStart = performance.now();
  const after = await observedAfterApply(deps, state, prepared.observed, steps, result.readBacks);
  const verified = await verifyConverged(deps, state, prepared, after);
  await saveApplied(state, withDigests(prepared.applied, touched, verified));
  deps.logger.debug({ ms: Math.round(performance.now() - verifyStart) }, 'verified');
  return { steps: steps.length, batches: result.batches };
}

async function rollBack(deps: EngineDeps, state: StateDir, prepared: Prepared, failure: { error: string; started: readonly Step[] }): Promise<never> {
  deps.logger.warn({ error: failure.error, steps: failure.started.length }, 'apply failed; rolling back');
  const failures = await rollbackSteps(failure.started, executeOptions(deps));
  const made = new Set(failure.started.filter((s) => s.action === 'create' || s.action === 'replace').map((s) => s.address));
  const { differences: leftover } = await settle(deps, state, prepared.scope, (observed) => [
    ...compareOwnedStates(prepared.observed.resources, observed.resources),
    ...unmarkedLeftovers(prepared.observed, observed, made),
  ]);
  await endJournal(state);
  if (leftover.length > 0) {
    throw new RollbackIncompleteError(`apply failed: ${failure.error}\nrollback failed: ${failures.join('; ') || 'state differs'}`, leftover);
  }
  throw new ApplyRolledBackError(`apply failed and was rolled back; nothing changed: ${failure.error}`);
}

/**
 * The state must equal the desired state, and the host ends of the veths
 * this apply removed must be gone; `first` (read back during the apply)
 * spares one full observation when it does.
 */
export async function verifyConverged(deps: EngineDeps, state: StateDir, prepared: Pick<Prepared, 'desired' | 'prune' | 'scope' | 'observed' | 'plan'>, first?: ObservedState): Promise<ObservedState> {
  const lingering = lingeringHostEnds(prepared.observed.resources, prepared.desired, prepared.prune);
  const check = (observed: ObservedState): string[] => [
    ...verifyApplied(prepared.desired, observed.resources, { prune: prepared.prune }),
    ...lingering(observed.unpaired ?? []),
  ];
  if (first && check(first).length === 0) return first;
  const { differences, observed } = await settle(deps, state, prepared.scope, check);
  if (differences.length > 0) throw new VerifyError(differences, prepared.plan.steps.length);
  return observed;
}

/**
 * Re-observe until `check` finds no difference or the settle time runs out:
 * the kernel removes a deleted namespace's veth peers in the background.
 */
async function settle(deps: EngineDeps, state: StateDir, scope: readonly string[] | undefined, check: (observed: ObservedState) => string[]): Promise<{ differences: string[]; observed: ObservedState }> {
  const deadline = Date.now() + (deps.settleMs ?? 5000);
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    const observed = await observe(deps, state, scope);
    const differences = check(observed);
    if (differences.length === 0 || Date.now() >= deadline) return { differences, observed };
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * What a failed apply made but never marked as netrecon's (a namespace whose
 * `lo` mark failed, and whose removal failed too): not owned, so no owned
 * comparison sees it, yet it blocks the next apply as a conflict. Listed so
 * the exit-3 message says what to remove by hand.
 */
function unmarkedLeftovers(before: ObservedState, after: ObservedState, made: ReadonlySet<string>): string[] {
  return [...after.foreign.values()]
    .filter((f) => made.has(f.key) && !before.foreign.has(f.key))
    .map((f) => `${f.key}: made by this apply but not marked as netrecon's (${f.what}); remove it by hand`);
}
