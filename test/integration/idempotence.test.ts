import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { normalise } from '../helpers/normalise.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { ROOT_NS, type Snapshot } from '../helpers/snapshot.js';

/**
 * Plans are honest: they report changes before an apply and none after it,
 * dry runs change nothing, and `plan -o sh` builds what `apply` builds.
 */
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/integration', name);
const MANIFESTS = ['-f', fixture('default-bridge'), '-f', fixture('none')];

interface JsonPlan {
  readonly steps: readonly { readonly address: string; readonly action: string; readonly commands: readonly unknown[]; readonly inverse: readonly unknown[] }[];
}

const ACTIONS: Record<string, string> = { '+': 'create', '~': 'update', '-': 'delete', '-/+': 'replace' };
/** The step lines of `plan -o text` (no blank line, no summary). */
const stepLines = (stdout: string): string[] => stdout.split('\n').filter((line) => /^(\+|-|~|-\/\+) /.test(line));
/** The resource address of a step line: `+ addr/web/eth0/172.17.0.2/16  (note)` -> `addr/web/eth0/172.17.0.2/16`. */
const addressOf = (line: string): string => line.split(/\s+/)[1] ?? '';

const stateFiles = async (sb: KernelSandbox): Promise<string> => (await sb.run(['ls', '-A', sb.stateDir])).stdout;

function assertSame(actual: Snapshot, expected: Snapshot, what: string): void {
  assert.deepEqual(actual, expected, `${what}:\n${diffSnapshots(expected, actual).join('\n')}`);
}

test('plan reports changes before the first apply and none after; dry runs and a second apply change nothing', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const empty = await sb.snapshot();

  const plan = await sb.netrecon(['plan', ...MANIFESTS, '--detailed-exitcode']);
  assert.equal(plan.exitCode, 2, `changes present: ${plan.stderr}`);
  const lines = stepLines(plan.stdout);
  for (const address of ['netns/web', 'netns/db', 'netns/isolated', 'link/@host/nr-bridge', 'link/web/eth0', 'addr/db/eth0/172.17.0.20/16', 'route/web/default']) {
    assert.ok(lines.some((line) => line === `+ ${address}` || line.startsWith(`+ ${address} `)), `plan creates ${address}:\n${plan.stdout}`);
  }
  const count = (symbol: string): number => lines.filter((line) => line.startsWith(`${symbol} `)).length;
  assert.match(plan.stdout, new RegExp(`^Plan: ${count('+')} to create, ${count('~')} to update, 0 to delete\\.$`, 'm'));

  const json = await sb.netrecon(['plan', ...MANIFESTS, '-o', 'json']);
  assert.equal(json.exitCode, 0, json.stderr);
  const data = JSON.parse(json.stdout) as JsonPlan;
  assert.ok(Array.isArray(data.steps) && data.steps.length > 0, 'json plan has steps');
  assert.deepEqual(data.steps.map((s) => s.address), lines.map(addressOf), 'json and text plans list the same steps in the same order');
  assert.deepEqual(data.steps.map((s) => s.action), lines.map((line) => ACTIONS[line.split(' ')[0] ?? '']), 'json actions match the text symbols');
  for (const step of data.steps) assert.ok(step.commands.length > 0 && step.inverse.length > 0, `${step.address} has commands and an inverse`);

  const dry = await sb.netrecon(['apply', ...MANIFESTS, '--dry-run']);
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.deepEqual(stepLines(dry.stdout), lines, 'apply --dry-run shows the plan');
  assert.equal((await sb.netrecon(['plan', ...MANIFESTS, '-o', 'sh'])).exitCode, 0);
  assertSame(await sb.snapshot(), empty, 'plan and apply --dry-run changed the kernel');
  assert.equal(await stateFiles(sb), '', 'plan and apply --dry-run wrote nothing to the state directory');
  assert.equal((await sb.run(['ls', '-A', '/etc/netns'])).stdout, '', 'plan and apply --dry-run wrote no files under /etc/netns');

  const applied = await sb.netrecon(['apply', ...MANIFESTS]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  assert.deepEqual(stepLines(applied.stdout), lines, 'apply ran the plan it showed');
  const converged = await sb.normalisedSnapshot();

  const again = await sb.netrecon(['plan', ...MANIFESTS, '--detailed-exitcode']);
  assert.deepEqual([again.exitCode, again.stdout.trim()], [0, 'No changes.'], again.stderr);
  const reapplied = await sb.netrecon(['apply', ...MANIFESTS]);
  assert.equal(reapplied.exitCode, 0, reapplied.stderr);
  assert.deepEqual(stepLines(reapplied.stdout), [], `second apply has no steps:\n${reapplied.stdout}`);
  assert.match(reapplied.stdout, /No changes/);
  assertSame(await sb.normalisedSnapshot(), converged, 'a second apply changed the kernel');

  const dryDelete = await sb.netrecon(['delete', ...MANIFESTS, '--dry-run']);
  assert.equal(dryDelete.exitCode, 0, dryDelete.stderr);
  assert.ok(stepLines(dryDelete.stdout).includes('- netns/web'), `delete --dry-run shows the deletes:\n${dryDelete.stdout}`);
  assertSame(await sb.normalisedSnapshot(), converged, 'delete --dry-run changed the kernel');
});

/** Host veth ends get a random MAC (the manifests pin only the sandbox side): drop just those. */
function withoutHostVethMacs(snapshot: Snapshot): Snapshot {
  const copy = structuredClone(snapshot);
  for (const l of copy.namespaces[ROOT_NS]?.links ?? []) {
    if (String(l['ifname']).startsWith('nrv')) delete l['address'];
  }
  return copy;
}

test('plan -o sh, run with bash in a fresh sandbox, builds the state apply builds in another', async (t) => {
  const scripted = await sandboxFor(t);
  const applied = await sandboxFor(t);
  if (scripted === undefined || applied === undefined) return;

  const plan = await scripted.netrecon(['plan', ...MANIFESTS, '-o', 'sh']);
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stdout, /^#!\/usr\/bin\/env bash\n/);
  assert.match(plan.stdout, /^set -e$/m);
  await scripted.writeFiles('.', { 'plan.sh': plan.stdout });
  const ran = await scripted.run(['bash', 'plan.sh']);
  assert.equal(ran.exitCode, 0, `plan.sh failed: ${ran.stderr}`);

  const apply = await applied.netrecon(['apply', ...MANIFESTS]);
  assert.equal(apply.exitCode, 0, apply.stderr);

  const [fromScript, fromApply] = await Promise.all([scripted.snapshot(), applied.snapshot()]);
  assert.deepEqual(Object.keys(fromScript.namespaces).sort(), [ROOT_NS, 'db', 'isolated', 'web'].sort());
  assertSame(withoutHostVethMacs(normalise(fromScript)), withoutHostVethMacs(normalise(fromApply)), 'plan.sh built another state than apply');

  const after = await scripted.netrecon(['plan', ...MANIFESTS, '--detailed-exitcode']);
  assert.deepEqual([after.exitCode, after.stdout.trim()], [0, 'No changes.'], `netrecon sees the scripted state as converged: ${after.stderr}`);

  // A prune by script leaves what a prune by apply leaves: db's /etc/netns directory goes with its last file.
  const withoutDb = ['-f', join(fixture('default-bridge'), 'network.yaml'), '-f', join(fixture('default-bridge'), 'web.yaml'), '-f', fixture('none')];
  const prune = await scripted.netrecon(['plan', ...withoutDb, '-o', 'sh']);
  await scripted.writeFiles('.', { 'prune.sh': prune.stdout });
  const pruned = await scripted.run(['bash', 'prune.sh']);
  assert.equal(pruned.exitCode, 0, `prune.sh failed: ${pruned.stderr}`);
  assert.equal((await scripted.run(['test', '-e', '/etc/netns/db'])).exitCode, 1, 'no empty /etc/netns/db left behind');
  const converged = await scripted.netrecon(['plan', ...withoutDb, '--detailed-exitcode']);
  assert.deepEqual([converged.exitCode, converged.stdout.trim()], [0, 'No changes.'], converged.stderr);
});
