import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { normalise } from '../helpers/normalise.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A failure injected before any one batch of an apply (NETRECON_FAULT=batch=N)
 * rolls the apply back: exit 1, and the kernel state exactly as before. N
 * runs from 1 until the apply succeeds, which also counts the batches.
 */
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/integration', name);
const V1 = ['-f', fixture('rollback/v1')];
const V2 = ['-f', fixture('rollback/v2')];
/** Far more batches than either apply needs: the loop must end well before. */
const MAX_BATCHES = 40;
/** Stop after this many failing N: each costs a reset, and the first few say enough. */
const MAX_PROBLEMS = 3;

interface FaultRun {
  /** How many batches the apply has: the first N whose fault was never reached, minus one. */
  readonly batches: number;
  /** What went wrong, one line per N; empty when every rollback restored the state. */
  readonly problems: readonly string[];
}

/**
 * Fails each batch in turn (N = 1, 2, ...) and checks that the apply exits 1
 * ("rolled back") with the state exactly as before. After a failed check
 * `reset` (run as netrecon arguments) restores the starting state, so every N
 * is tried from the same state; up to MAX_PROBLEMS failing N are reported, not just the first.
 */
async function failEveryBatch(t: TestContext, sb: KernelSandbox, manifests: readonly string[], reset: readonly string[]): Promise<FaultRun> {
  const start = await sb.snapshot();
  let before = normalise(start);
  const problems: string[] = [];
  for (let n = 1; n <= MAX_BATCHES; n++) {
    const fault = `batch=${n}`;
    const result = await sb.netrecon(['apply', ...manifests], { env: { NETRECON_FAULT: fault } });
    if (!result.stderr.includes(`NETRECON_FAULT=${fault}`)) {
      t.diagnostic(`the apply has ${n - 1} batches`);
      if (result.exitCode !== 0) problems.push(`${fault} (fault not reached, the apply ran in full): exit ${result.exitCode}: ${result.stderr.trim()}`);
      return { batches: n - 1, problems };
    }
    const after = await sb.normalisedSnapshot();
    const diff = diffSnapshots(before, after);
    if (result.exitCode !== 1 || !/rolled back/.test(result.stderr) || diff.length > 0) {
      problems.push(`${fault}: exit ${result.exitCode}: ${result.stderr.trim()}\n  ${diff.join('\n  ')}`);
      const restored = await sb.netrecon(reset);
      assert.equal(restored.exitCode, 0, `reset after ${fault}: ${restored.stderr}`);
      // A veth the reset had to recreate has a new random host-end MAC; the next N starts from here.
      const now = await sb.snapshot();
      const [want, got] = [normalise(start, { ignoreMacs: true }), normalise(now, { ignoreMacs: true })];
      assert.deepEqual(got, want, `reset after ${fault}:\n${diffSnapshots(want, got).join('\n')}`);
      before = normalise(now);
      if (problems.length >= MAX_PROBLEMS) return { batches: Number.NaN, problems: [...problems, `(stopped after ${MAX_PROBLEMS} failing batches)`] };
    }
  }
  assert.fail(`the fault was still reached with NETRECON_FAULT=batch=${MAX_BATCHES}`);
}

async function assertConverged(sb: KernelSandbox, manifests: readonly string[]): Promise<void> {
  const plan = await sb.netrecon(['plan', ...manifests, '--detailed-exitcode']);
  assert.deepEqual([plan.exitCode, plan.stdout.trim()], [0, 'No changes.'], plan.stderr);
  const again = await sb.netrecon(['apply', ...manifests]);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /^No changes\./);
}

test('cold apply (bridge + 3 sandboxes): a failure before any batch leaves nothing behind; then it converges', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { batches, problems } = await failEveryBatch(t, sb, V1, ['delete', ...V1]);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.ok(batches >= 4, `a cold apply of a bridge and 3 sandboxes runs in several batches (host + one per netns), got ${batches}`);
  await assertConverged(sb, V1);
  await waitFor(() => sb.ping('alpha', '10.88.0.30'), { what: 'ping alpha -> charlie', timeoutMs: 15_000 });
});

test('an update apply (sandbox removed, one added, a static address and a route changed) converges in one go', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const first = await sb.netrecon(['apply', ...V1]);
  assert.equal(first.exitCode, 0, first.stderr);
  const update = await sb.netrecon(['apply', ...V2]);
  assert.equal(update.exitCode, 0, update.stderr);
  const charlie = await sb.run(['ip', '-n', 'charlie', '-j', 'route', 'show', 'default']);
  assert.match(charlie.stdout, /"gateway":"10\.88\.0\.1"/, 'charlie keeps its default route');
  await assertConverged(sb, V2);
});


test('update apply (sandbox removed, one added, address and route changed): a failure before any batch restores the old state; then it converges', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const first = await sb.netrecon(['apply', ...V1]);
  assert.equal(first.exitCode, 0, first.stderr);
  const { batches, problems } = await failEveryBatch(t, sb, V2, ['apply', ...V1]);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.ok(batches >= 3, `the update touches the host, charlie, delta and echo, got ${batches} batches`);
  await assertConverged(sb, V2);

  const snap = await sb.snapshot();
  assert.deepEqual(Object.keys(snap.namespaces).filter((n) => !n.startsWith('(')).sort(), ['alpha', 'charlie', 'delta', 'echo']);
  const charlie = JSON.stringify(snap.namespaces['charlie']?.addresses);
  assert.ok(charlie.includes('"10.88.0.31"') && !charlie.includes('"10.88.0.30"'), `charlie's address changed: ${charlie}`);
  await waitFor(() => sb.ping('delta', '10.88.0.31'), { what: 'ping delta -> charlie', timeoutMs: 15_000 });
});
