import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Crash safety (issue 5, item 1): netrecon is SIGKILLed at every batch
 * boundary of an apply (NETRECON_FAULT=kill=N: just before its Nth batch,
 * after the journal for that wave was written), and the next run must put the
 * host back exactly as it was before the interrupted apply.
 *
 * Protocol, for N = 1, 2, ... until the apply runs to the end untouched
 * (which also counts the batches):
 *   1. start from the OLD state (nothing for a cold apply, else OLD
 *      applied) and its normalised snapshot `before` (names, not ifindexes);
 *   2. `apply -f NEW` with kill=N: it dies by SIGKILL, leaving its journal
 *      and a lock naming its (now dead) pid;
 *   3. `plan -f NEW` (read-only) warns about the interrupted apply, naming
 *      that pid, and leaves the journal alone;
 *   4. `delete --dry-run -f NEW`: a mutating command, so it takes over the
 *      stale lock and first rolls the interrupted apply back (reported on
 *      stderr); --dry-run then only prints a plan. This is recovery alone:
 *      the snapshot must now equal `before` exactly (MACs included), and the
 *      journal and the lock must be gone;
 *   5. `plan -f NEW` prints exactly the plan it printed before the
 *      interrupted apply, with no warning: to netrecon the host is the OLD
 *      state again, so the next N starts from here without a reset.
 * The N that is never reached is the fresh apply of NEW from that recovered
 * state: it must succeed and converge (a second plan: "No changes."). Last,
 * the apply is killed halfway and `apply -f NEW` itself recovers (reported)
 * and converges in one run.
 */
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/reliability', name);
const MAX_BATCHES = 40;
const SETTLE_MS = 5_000;
const INTERRUPTED = /an apply by pid (\d+) was interrupted/;
const RECOVERED = /rolled back an apply that was interrupted/;

interface Scenario {
  /** netrecon arguments that reach the OLD state from any state (undefined: a cold apply, OLD is empty). */
  readonly reset: readonly string[];
  readonly oldFiles?: readonly string[];
  readonly newFiles: readonly string[];
}

const f = (names: readonly string[]): string[] => names.flatMap((n) => ['-f', fixture(n)]);
/** A sandbox none of the scenarios has. */
const NOTHING_OWNED = join(repoRoot, 'test/fixtures/integration/none');

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

interface Findings {
  readonly planFailed: string[];
}

/** Equal: recreated host veth ends included (their MACs and bridge port numbers). */
function assertRestored(want: Snapshot, got: Snapshot, what: string): void {
  assert.deepEqual(got, want, `${what}:\n${diffSnapshots(want, got).join('\n')}`);
}

/**
 * The snapshot once it matches `want`, or the last one
 * after SETTLE_MS: the kernel removes a deleted netns's veth peers in the
 * background, a moment after `ip netns del` returns.
 */
async function settled(sb: KernelSandbox, want: Snapshot): Promise<Snapshot> {
  let last = await sb.normalisedSnapshot();
  await waitFor(async () => {
    last = await sb.normalisedSnapshot();
    return diffSnapshots(want, last).length === 0;
  }, { what: 'the kernel to settle', timeoutMs: SETTLE_MS, intervalMs: 100 }).catch(() => undefined);
  return last;
}

/** Runs the protocol for every N; returns the number of batches (= kill points tested). */
async function killEveryBatch(t: TestContext, sb: KernelSandbox, s: Scenario, findings: Findings): Promise<number> {
  const NEW = f(s.newFiles);
  const journal = sb.hostPath(join(sb.stateDir, 'journal.json'));
  const lock = sb.hostPath(join(sb.stateDir, 'lock'));
  if (s.oldFiles) await sb.netreconOk(['apply', ...f(s.oldFiles)]);
  const planBefore = await sb.netrecon(['plan', ...NEW]);
  assert.equal(planBefore.exitCode, 0, planBefore.stderr);
  let before = await sb.normalisedSnapshot();
  for (let n = 1; n <= MAX_BATCHES; n++) {
    const child = sb.spawnNetrecon(['apply', ...NEW], { env: { NETRECON_FAULT: `kill=${n}` } });
    const killed = await child.exited;
    if (killed.signal !== 'SIGKILL') {
      assert.equal(killed.exitCode, 0, `kill=${n} was never reached, so the apply ran in full: ${killed.stderr}`);
      assert.equal(await exists(journal), false, 'a completed apply leaves no journal');
      const converged = await sb.netrecon(['plan', ...NEW, '--detailed-exitcode']);
      assert.deepEqual([converged.exitCode, converged.stdout.trim()], [0, 'No changes.'], converged.stderr);
      t.diagnostic(`the apply has ${n - 1} batches: ${n - 1} kill points tested, all recovered`);
      return n - 1;
    }
    assert.ok(await exists(journal), `kill=${n}: the journal survives the crash`);
    assert.ok(await exists(lock), `kill=${n}: the dead apply's lock is left behind`);

    const warned = await sb.netrecon(['plan', ...NEW]);
    assert.equal(INTERRUPTED.exec(warned.stderr)?.[1], String(child.pid), `kill=${n}: plan names the interrupted pid: ${warned.stderr}`);
    if (warned.exitCode !== 0) findings.planFailed.push(`kill=${n}: exit ${warned.exitCode}: ${warned.stderr.trim()}`);
    assert.equal(warned.exitCode, 0, `kill=${n}: plan works while the apply is pending: ${warned.stderr}`);
    assert.ok(await exists(journal), `kill=${n}: plan is read-only, the journal stays`);

    // Any command that takes the lock recovers first: here a dry-run delete of a sandbox that was never made
    // (NEW's own delete may be refused: it would take a network from a sandbox only the old manifests have).
    const recovered = await sb.netrecon(['delete', '--dry-run', '-f', NOTHING_OWNED]);
    assert.equal(recovered.exitCode, 0, `kill=${n}: recovery: ${recovered.stderr}`);
    assert.match(recovered.stderr, RECOVERED, `kill=${n}: the recovery is reported`);
    assert.equal(await exists(journal), false, `kill=${n}: the journal is cleared after recovery`);
    assert.equal(await exists(lock), false, `kill=${n}: the stale lock was taken over and released`);
    const after = await settled(sb, before);
    assertRestored(before, after, `kill=${n}: after recovery the kernel differs from before the interrupted apply`);
    before = after;

    const planAfter = await sb.netrecon(['plan', ...NEW]);
    assert.doesNotMatch(planAfter.stderr, INTERRUPTED, `kill=${n}: nothing is pending any more`);
    assert.equal(planAfter.stdout, planBefore.stdout, `kill=${n}: the plan is the one from before the crash`);
  }
  assert.fail(`kill=${MAX_BATCHES} was still reached`);
}

/** Kill halfway, then let `apply -f NEW` recover and converge in one run. */
async function recoverInsideApply(sb: KernelSandbox, s: Scenario, batches: number): Promise<void> {
  const NEW = f(s.newFiles);
  const n = Math.max(1, Math.ceil(batches / 2));
  const killed = await sb.netrecon(['apply', ...NEW], { env: { NETRECON_FAULT: `kill=${n}` } });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const applied = await sb.netrecon(['apply', ...NEW]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  assert.match(applied.stderr, RECOVERED, 'apply reports the recovery it did first');
  const converged = await sb.netrecon(['plan', ...NEW, '--detailed-exitcode']);
  assert.deepEqual([converged.exitCode, converged.stdout.trim()], [0, 'No changes.'], converged.stderr);
}

async function makeUplink(sb: KernelSandbox): Promise<void> {
  for (const argv of [
    ['ip', 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink0p'],
    ['ip', 'link', 'set', 'uplink0', 'up'],
    ['ip', 'link', 'set', 'uplink0p', 'up'],
  ]) {
    const r = await sb.run(argv);
    assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
}

const scenarios: readonly { name: string; uplink: boolean; scenario: Scenario; min: number }[] = [
  { name: 'cold apply, bridge + 3 sandboxes + firewall', uplink: false, min: 5,
    scenario: { newFiles: ['bridge-v1'], reset: ['delete', ...f(['bridge-v1'])] } },
  { name: 'update apply, bridge: a sandbox removed, one added, an address, a route and a network changed', uplink: false, min: 5,
    scenario: { oldFiles: ['bridge-v1'], newFiles: ['bridge-v2'], reset: ['apply', ...f(['bridge-v1'])] } },
  { name: 'cold apply, macvlan network with 2 sandboxes on a veth parent', uplink: true, min: 3,
    scenario: { newFiles: ['macvlan-v1'], reset: ['delete', ...f(['macvlan-v1'])] } },
  { name: 'update apply, macvlan: a sandbox removed, one added, an address and a route changed', uplink: true, min: 3,
    scenario: { oldFiles: ['macvlan-v1'], newFiles: ['macvlan-v2'], reset: ['apply', ...f(['macvlan-v1'])] } },
];

for (const { name, uplink, scenario, min } of scenarios) {
  test(`SIGKILL at every batch boundary (${name}): the next run restores the old state exactly, then it converges`, async (t) => {
    const sb = await sandboxFor(t);
    if (sb === undefined) return;
    if (uplink) await makeUplink(sb);
    const findings: Findings = { planFailed: [] };
    const batches = await killEveryBatch(t, sb, scenario, findings);
    assert.ok(batches >= min, `expected at least ${min} batches, got ${batches}`);
    await sb.netreconOk(scenario.reset);
    await recoverInsideApply(sb, scenario, batches);
    if (findings.planFailed.length > 0) {
      await t.test('plan works while an interrupted apply is pending', () => assert.deepEqual(findings.planFailed, []));
    }
  });
}
