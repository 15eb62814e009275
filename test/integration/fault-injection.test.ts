import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox, type RunResult } from '../helpers/sandbox.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { settled } from '../helpers/settled.js';

/**
 * Failures of the apply's commands (issue 5, item 2), on the real kernel.
 *
 * 1. NETRECON_FAULT=batch=N makes the Nth batch fail before it runs, for
 *    every N of a cold apply (bridge + 3 sandboxes + firewall: NAT, a
 *    published port, forwarding) and of an update apply: exit 1, "rolled
 *    back" on stderr, and the normalised snapshot (nftables included) equal
 *    to the one before; then a clean apply converges.
 * 2. A command fails for real and so does one of the inverses: a test double
 *    for `ip` first in PATH (written by the test, see IP_DOUBLE) turns chosen
 *    lines into a command the kernel rejects. Exit 3 with the list of what is
 *    left, and the next run repairs it.
 */
const fixture = (name: string): string[] => ['-f', join(repoRoot, 'test/fixtures/reliability', name)];
const V1 = fixture('bridge-v1');
const V2 = fixture('bridge-v2');
const MAX_BATCHES = 40;

/** `delete` of V1, then the sandbox settles back to `empty`. */
async function assertDeleteLeavesNothing(sb: KernelSandbox, empty: Snapshot): Promise<void> {
  await sb.netreconOk(['delete', ...V1]);
  const gone = await settled(sb, empty);
  assert.deepEqual(gone, empty, `delete leaves nothing:\n${diffSnapshots(empty, gone).join('\n')}`);
}

async function assertConverged(sb: KernelSandbox, manifests: readonly string[]): Promise<void> {
  const plan = await sb.netrecon(['plan', ...manifests, '--detailed-exitcode']);
  assert.deepEqual([plan.exitCode, plan.stdout.trim()], [0, 'No changes.'], plan.stderr);
}

async function assertDeleted(sb: KernelSandbox, manifests: readonly string[]): Promise<void> {
  const again = await sb.netrecon(['delete', '--dry-run', ...manifests]);
  assert.deepEqual([again.exitCode, again.stdout.trim()], [0, 'No changes.'], again.stderr);
}

/**
 * Fails batch N = 1, 2, ... until the apply succeeds (which counts the
 * batches). Each failure must restore the state exactly (recreated host veth
 * ends included: their MACs and bridge port numbers), so the next N starts
 * from the same state. The N that is never reached is the clean apply from
 * that restored state, which must converge.
 */
async function failEveryBatch(t: TestContext, sb: KernelSandbox, manifests: readonly string[], findings: Findings, reset: readonly string[], command: 'apply' | 'delete' = 'apply'): Promise<number> {
  let before = await sb.normalisedSnapshot();
  for (let n = 1; n <= MAX_BATCHES; n++) {
    const fault = `batch=${n}`;
    const result = await sb.netrecon([command, ...manifests], { env: { NETRECON_FAULT: fault } });
    if (!result.stderr.includes(`NETRECON_FAULT=${fault}`)) {
      assert.equal(result.exitCode, 0, `${fault} was never reached, so the ${command} ran in full: ${result.stderr}`);
      if (command === 'apply') await assertConverged(sb, manifests);
      else await assertDeleted(sb, manifests);
      t.diagnostic(`the ${command} has ${n - 1} batches: ${n - 1} failure points tested, all rolled back`);
      return n - 1;
    }
    if (result.exitCode === 3 && VETH_RACE.test(result.stderr)) {
      // Known bug (see VETH_RACE_BUG): note it, put the old state back and go on with the next N.
      findings.vethRace.push(`${fault}: ${result.stderr.trim()}`);
      await sb.netreconOk(reset);
      before = await sb.normalisedSnapshot();
      continue;
    }
    assert.equal(result.exitCode, 1, `${fault}: ${result.stderr}`);
    assert.match(result.stderr, /rolled back/, fault);
    const after = await settled(sb, before);
    const diff = diffSnapshots(before, after);
    assert.deepEqual(after, before, `${fault}: the rollback did not restore the state:\n${diff.join('\n')}`);
    before = after;
  }
  assert.fail(`the fault was still reached with NETRECON_FAULT=batch=${MAX_BATCHES}`);
}

/**
 * Known bug: rolling back the removal of a sandbox right after `ip netns del`
 * recreates its veth while the kernel is still removing the old host end in
 * the background: `ip link add nrv… type veth …` fails with "File exists",
 * the rollback is incomplete (exit 3). Noted per N, then the old state is
 * re-applied and the next N runs.
 */
const VETH_RACE = /rollback failed: .*`ip link add nrv[0-9a-f]{8} [^`]*type veth[^`]*` failed: RTNETLINK answers: File exists/;
const VETH_RACE_BUG = 'bug: rolling back a sandbox removal races the kernel\'s asynchronous removal of the old host veth end ("File exists"), so the rollback is incomplete (exit 3)';

interface Findings {
  readonly vethRace: string[];
}

/** Shared with the exit-3 test: how many batches the cold apply has. */
let coldBatches: number | undefined;

test('a failure before any batch of a cold apply (bridge + 3 sandboxes + firewall) is rolled back exactly; then it converges', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const empty = await sb.normalisedSnapshot();
  const findings: Findings = { vethRace: [] };
  coldBatches = await failEveryBatch(t, sb, V1, findings, ['delete', ...V1]);
  assert.ok(coldBatches >= 5, `host, 3 sandboxes and the firewall: several batches, got ${coldBatches}`);
  assert.deepEqual(findings, { vethRace: [] }, 'a cold apply recreates nothing');
  const root = (await sb.snapshot()).namespaces['(sandbox root)'];
  assert.ok(JSON.stringify(root?.nftables).includes('"netrecon"'), 'the firewall table is there after the clean apply');
  await assertDeleteLeavesNothing(sb, empty);
});

test('a failure before any batch of an update apply is rolled back to the old state (nft included); then it converges', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...V1]);
  const findings: Findings = { vethRace: [] };
  const batches = await failEveryBatch(t, sb, V2, findings, ['apply', ...V1]);
  assert.ok(batches >= 5, `the update touches the host, 3 sandboxes and the firewall, got ${batches}`);
  t.diagnostic(`${batches - findings.vethRace.length} of ${batches} rolled back fully; ${findings.vethRace.length} hit the veth race`);
  if (findings.vethRace.length > 0) {
    await t.test('rolling back a sandbox removal does not race the kernel', () => assert.deepEqual(findings.vethRace, []));
  }
});

test('a failure before any batch of a delete (bridge + 3 sandboxes + firewall) is rolled back exactly: the bridge comes back before the sandboxes whose veths it holds', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...V1]);
  const findings: Findings = { vethRace: [] };
  const batches = await failEveryBatch(t, sb, V1, findings, ['apply', ...V1], 'delete');
  assert.ok(batches >= 3, `namespaces and bridge, files, the firewall: several batches, got ${batches}`);
  t.diagnostic(`${batches - findings.vethRace.length} of ${batches} rolled back fully; ${findings.vethRace.length} hit the veth race`);
  if (findings.vethRace.length > 0) {
    await t.test('rolling back a sandbox removal does not race the kernel', () => assert.deepEqual(findings.vethRace, []));
  }
});

test('the same for delete --no-refresh: namespaces taken from the record, not read, come back exactly as they were', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...V1]);
  const findings: Findings = { vethRace: [] };
  const batches = await failEveryBatch(t, sb, [...V1, '--no-refresh'], findings, ['apply', ...V1], 'delete');
  assert.ok(batches >= 3, `namespaces and bridge, files, the firewall: several batches, got ${batches}`);
  t.diagnostic(`${batches - findings.vethRace.length} of ${batches} rolled back fully; ${findings.vethRace.length} hit the veth race`);
  if (findings.vethRace.length > 0) {
    await t.test('rolling back a sandbox removal does not race the kernel', () => assert.deepEqual(findings.vethRace, []));
  }
});

/**
 * A stand-in for `ip` (first in PATH; nsenter finds it too). In a forward
 * batch (`ip -batch -`) a line starting with $NR_FAIL_FORWARD, and in a
 * rollback batch (`ip -force -batch -`) one starting with $NR_FAIL_INVERSE,
 * is replaced by a command the kernel rejects; everything else runs for real.
 */
const IP_DOUBLE = (real: string): string => `#!/bin/sh
case " $* " in
  *" -force "*) bad="$NR_FAIL_INVERSE" ;;
  *) bad="$NR_FAIL_FORWARD" ;;
esac
case " $* " in
  *" -batch "*)
    if [ -n "$bad" ]; then
      awk -v bad="$bad" 'index($0, bad) == 1 { print "link set dev nr-no-such0 up"; next } { print }' | ${real} "$@"
      exit $?
    fi ;;
esac
exec ${real} "$@"
`;

/** The environment that puts the IP_DOUBLE stand-in first in PATH, failing `forward` and then its `inverse`. */
async function failingIp(sb: KernelSandbox, forward: string, inverse: string): Promise<Record<string, string>> {
  const real = (await sb.run(['sh', '-c', 'command -v ip'])).stdout.trim();
  assert.match(real, /^\/.+\/ip$/, 'ip is installed');
  const bin = await sb.writeFiles('fakebin', { ip: IP_DOUBLE(real) });
  await chmod(sb.hostPath(join(bin, 'ip')), 0o755);
  return { PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, NR_FAIL_FORWARD: forward, NR_FAIL_INVERSE: inverse };
}

/** A cold apply of V1 with `forward` and its `inverse` failing: exit 3; the empty snapshot before, the result and its "left" list. */
async function coldApplyExit3(sb: KernelSandbox, forward: string, inverse: string): Promise<{ empty: Snapshot; failed: RunResult; left: string }> {
  const env = await failingIp(sb, forward, inverse);
  const empty = await sb.normalisedSnapshot();
  const failed = await sb.netrecon(['apply', ...V1], { env });
  assert.equal(failed.exitCode, 3, failed.stderr);
  return { empty, failed, left: failed.stderr.slice(failed.stderr.indexOf('left differing from the previous state:')) };
}

test('a failed command whose rollback also fails: exit 3 naming what is left; the next apply repairs it', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { empty, failed, left } = await coldApplyExit3(sb, 'addr add 10.77.0.30/24', 'link del nr-front');
  assert.match(failed.stderr, /netns charlie: `ip addr add 10\.77\.0\.30\/24 dev eth0` failed/, 'names the failed command');
  assert.match(failed.stderr, /rollback failed: .*host: `ip link del nr-front` failed/, 'names the failed inverse');
  assert.match(left, /link\/@host\/nr-front/, `lists the bridge that is left: ${failed.stderr}`);
  assert.doesNotMatch(left, /netns\/(alpha|bravo|charlie)/, 'the namespaces were rolled back and are not listed');
  const snap = await sb.snapshot();
  assert.deepEqual(Object.keys(snap.namespaces).sort(), ['(sandbox root)'], 'only the bridge is left');
  assert.ok(snap.namespaces['(sandbox root)']?.links.some((l) => l['ifname'] === 'nr-front'), 'the bridge is left');
  if (coldBatches === undefined) t.diagnostic('(cold batch count unknown: run with the first test)');

  const repaired = await sb.netrecon(['apply', ...V1]);
  assert.equal(repaired.exitCode, 0, `the next apply repairs it: ${repaired.stderr}`);
  await assertConverged(sb, V1);
  await assertDeleteLeavesNothing(sb, empty);
});

test('exit 3 with a namespace left unmarked (its mark and its removal both failed): listed as made by this apply, to remove by hand', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { empty, failed, left } = await coldApplyExit3(sb, 'link set lo alias netrecon:sandbox/charlie', 'netns del charlie');
  assert.match(left, /netns\/charlie: made by this apply but not marked as netrecon's \(netns charlie\); remove it by hand/, failed.stderr);
  // Not netrecon's, so the next apply refuses the name until it is removed.
  const blocked = await sb.netrecon(['apply', ...V1]);
  assert.equal(blocked.exitCode, 1, blocked.stderr);
  assert.match(blocked.stderr, /netns\/charlie/);
  assert.equal((await sb.run(['ip', 'netns', 'del', 'charlie'])).exitCode, 0);
  await sb.netreconOk(['apply', ...V1]);
  await assertConverged(sb, V1);
  await assertDeleteLeavesNothing(sb, empty);
});

test('exit 3 during an update: what is left is listed, and re-applying the old manifests restores the old state', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...V1]);
  const old: Snapshot = await sb.normalisedSnapshot();
  // delta's address fails; undoing the creation of netns delta fails too.
  const env = await failingIp(sb, 'addr add 10.77.0.40/24', 'netns del delta');
  const failed = await sb.netrecon(['apply', ...V2], { env });
  assert.equal(failed.exitCode, 3, failed.stderr);
  assert.match(failed.stderr.slice(failed.stderr.indexOf('left differing')), /netns\/delta/, failed.stderr);
  await sb.netreconOk(['apply', ...V1]);
  const back = await settled(sb, old);
  const diff = diffSnapshots(old, back);
  assert.deepEqual(diff, [], 'the old manifests restore the old state');
  await assertConverged(sb, V1);
  await sb.netreconOk(['apply', ...V2]);
  await assertConverged(sb, V2);
});
