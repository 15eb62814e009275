import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { settled } from '../helpers/settled.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `delete --no-refresh` (observe/vouch.ts): namespaces the host vouches for
 * are taken from the record of the last apply instead of being read, with
 * no glance inside them (a plain delete glances: glance.test.ts). When
 * nothing was changed by hand, what it sees is exactly what a full read sees
 * (same observed digest, same steps and inverses); a namespace the host
 * cannot vouch for is read; and what it cannot see — a user's link made
 * inside an owned namespace — goes with the namespace, as documented.
 */
const DOCS = [
  'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: front}\nspec: {subnet: 10.77.0.0/24, subnet6: "fd77::/64", mtu: 1400, bridge: {icc: false, masquerade: true}}\n',
  'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: back}\nspec: {subnet: 10.78.0.0/24, bridge: {internal: true}}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: alpha}\nspec: {}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: bravo}\nspec: {netns: bravo-ns, dns: {nameservers: [203.0.113.53]}}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: quiet}\nspec: {mode: none}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: alpha-front}\nspec: {sandbox: alpha, network: front, publish: [{hostPort: 8080, port: 80}]}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: alpha-back}\nspec: {sandbox: alpha, network: back, routes: [{to: 10.60.0.0/16, via: 10.78.0.254}]}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: bravo-front}\nspec: {sandbox: bravo, network: front, address: 10.77.0.20}\n',
];

/** The debug log's count of namespaces the host vouched for (absent: none were). */
const vouchedCount = (stderr: string): number[] => [...stderr.matchAll(/"vouched":(\d+)/g)].map((m) => Number(m[1]));

async function setUp(sb: KernelSandbox): Promise<{ files: string[]; empty: Snapshot }> {
  const empty = await sb.normalisedSnapshot();
  const dir = await sb.writeFiles('m', { 'all.yaml': DOCS.join('---\n') });
  await sb.netreconOk(['apply', '-f', dir]);
  return { files: ['-f', dir], empty };
}

test('delete --no-refresh sees what a full read sees (digest, steps, inverses) without reading the namespaces the host vouches for, and leaves nothing', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { files, empty } = await setUp(sb);
  const full = JSON.parse((await sb.netreconOk(['plan', ...files, '-o', 'json'])).stdout) as { observedDigest: string };
  const read = await sb.netreconOk(['delete', '--dry-run', ...files, '-o', 'json', '--log-level', 'debug']);
  const trusted = await sb.netreconOk(['delete', '--dry-run', '--no-refresh', ...files, '-o', 'json', '--log-level', 'debug']);
  assert.deepEqual(vouchedCount(trusted.stderr), [2], `alpha and bravo-ns are vouched for; quiet (mode none) is read:\n${trusted.stderr}`);
  assert.deepEqual(vouchedCount(read.stderr), [2], 'a plain delete takes the same two, once a glance inside confirms them (glance.test.ts)');
  assert.equal((JSON.parse(read.stdout) as { observedDigest: string }).observedDigest, full.observedDigest, 'and sees what a full read sees');
  const trustedPlan = JSON.parse(trusted.stdout) as { observedDigest: string; steps: unknown[] };
  assert.equal(trustedPlan.observedDigest, full.observedDigest, 'the owned resources equal those of a full read');
  assert.deepEqual(trustedPlan, JSON.parse(read.stdout), 'the same plan, inverses included');
  assert.ok(trustedPlan.steps.length >= 8, `a real plan: ${trustedPlan.steps.length} steps`);

  await sb.netreconOk(['delete', '--no-refresh', ...files]);
  const gone = await settled(sb, empty);
  assert.deepEqual(gone, empty, `delete --no-refresh leaves nothing:\n${diffSnapshots(empty, gone).join('\n')}`);
});

test('delete --no-refresh reads what the host cannot vouch for: a veth deleted by hand, a user\'s veth into a sandbox, a namespace replaced by a foreign one', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { files } = await setUp(sb);
  // The count is logged once the kernel is read, before any refusal.
  const vouched = async (): Promise<number[]> =>
    vouchedCount((await sb.netrecon(['delete', '--dry-run', '--no-refresh', ...files, '--log-level', 'debug'])).stderr);
  assert.deepEqual(await vouched(), [2]);

  assert.equal((await sb.run(['ip', '-n', 'bravo-ns', 'link', 'del', 'eth0'])).exitCode, 0);
  assert.deepEqual(await vouched(), [1], 'bravo-ns lost its veth: read');
  await sb.netreconOk(['apply', ...files]);
  assert.deepEqual(await vouched(), [2], 'repaired: vouched for again');

  assert.equal((await sb.run(['ip', 'link', 'add', 'user0', 'type', 'veth', 'peer', 'name', 'user1', 'netns', 'alpha'])).exitCode, 0);
  assert.deepEqual(await vouched(), [1], 'alpha holds the other end of a user\'s veth: read');
  const refused = await sb.netrecon(['delete', '--no-refresh', ...files]);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /netns\/alpha \(sandbox\/alpha\): holds .*user1.*which netrecon does not own/);
  assert.equal((await sb.run(['ip', 'link', 'del', 'user0'])).exitCode, 0);

  // bravo-ns deleted by hand and made again by someone else: its veth died with it, so it is read, and it is not netrecon's.
  assert.equal((await sb.run(['ip', 'netns', 'del', 'bravo-ns'])).exitCode, 0);
  assert.equal((await sb.run(['ip', 'netns', 'add', 'bravo-ns'])).exitCode, 0);
  await waitFor(async () => (await vouched())[0] === 1, { what: 'the old bravo-ns veth to go', timeoutMs: 5_000, intervalMs: 100 });
  await sb.netreconOk(['delete', '--no-refresh', ...files]);
  const left = await sb.run(['ip', 'netns', 'list']);
  assert.match(left.stdout, /^bravo-ns\b/m, 'the foreign bravo-ns is left alone');
  assert.doesNotMatch(left.stdout, /alpha|quiet/);
});

test('what --no-refresh cannot see: a veth pair a user made inside an owned namespace goes with it (a plain delete refuses)', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { files } = await setUp(sb);
  for (const argv of [['link', 'add', 'fx0', 'type', 'veth', 'peer', 'name', 'fx1'], ['link', 'set', 'fx0', 'up']]) {
    assert.equal((await sb.run(['ip', '-n', 'alpha', ...argv])).exitCode, 0, argv.join(' '));
  }
  const refused = await sb.netrecon(['delete', ...files]);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /netns\/alpha \(sandbox\/alpha\): holds .*fx0.*which netrecon does not own/);
  const deleted = await sb.netreconOk(['delete', '--no-refresh', ...files, '--log-level', 'debug']);
  assert.deepEqual(vouchedCount(deleted.stderr), [2]);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout.trim(), '', 'alpha went, fx0 and fx1 with it');
});

test('a record that differs from the kernel with nothing changed by hand (apply --no-prune left an old address, two default routes recorded) is not trusted: the namespace is read', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const doc = (kind: string, name: string, spec: string): string => `apiVersion: netrecon.dev/v1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
  const networks = [doc('Network', 'front', '{subnet: 10.77.0.0/24}'), doc('Network', 'back', '{subnet: 10.78.0.0/24}')];
  const alpha = (address: string, route: string): string => [doc('Sandbox', 'alpha', '{}'),
    doc('Attachment', 'a-front', `{sandbox: alpha, network: front, address: ${address}, routes: [{to: ${route}, via: 10.77.0.254}]}`)].join('---\n');
  const bravo = (aaDefault: boolean): string => [doc('Sandbox', 'bravo', '{}'),
    doc('Attachment', 'aa', `{sandbox: bravo, network: front, defaultRoute: ${aaDefault}}`),
    ...(aaDefault ? [] : [doc('Attachment', 'zz', '{sandbox: bravo, network: back, defaultRoute: true}')])].join('---\n');
  const first = await sb.writeFiles('first', { 'networks.yaml': networks.join('---\n'), 'alpha.yaml': alpha('10.77.0.20', '10.61.0.0/16'), 'bravo.yaml': bravo(false) });
  await sb.netreconOk(['apply', '-f', first]);
  const all = ['-f', first];
  const vouched = async (): Promise<number[]> =>
    vouchedCount((await sb.netreconOk(['delete', '--dry-run', '--no-refresh', ...all, '--log-level', 'debug'])).stderr);
  assert.deepEqual(await vouched(), [2], 'after a verified apply both are taken from the record');

  // --no-prune: alpha keeps its old address and route next to the new ones; bravo gets a second default route in the record.
  const second = await sb.writeFiles('second', { 'networks.yaml': networks.join('---\n'), 'alpha.yaml': alpha('10.77.0.21', '10.62.0.0/16'), 'bravo.yaml': bravo(true) });
  await sb.netreconOk(['apply', '--no-prune', '-f', second]);
  const both = await sb.run(['ip', '-n', 'alpha', '-br', 'addr', 'show', 'dev', 'eth0']);
  assert.match(both.stdout, /10\.77\.0\.20\/24.*10\.77\.0\.21\/24|10\.77\.0\.21\/24.*10\.77\.0\.20\/24/, 'the old address stays (nothing pruned)');
  const full = JSON.parse((await sb.netreconOk(['plan', '--no-prune', '-f', second, '-o', 'json'])).stdout) as { observedDigest: string };
  const trusted = await sb.netreconOk(['delete', '--dry-run', '--no-refresh', '-f', second, '-o', 'json', '--log-level', 'debug']);
  assert.deepEqual(vouchedCount(trusted.stderr), [0], `neither is taken from the record:\n${trusted.stderr}`);
  const plain = JSON.parse((await sb.netreconOk(['delete', '--dry-run', '-f', second, '-o', 'json'])).stdout) as unknown;
  assert.deepEqual(JSON.parse(trusted.stdout), plain, 'the plan a full read makes, old address and both routes in its inverses');
  assert.equal((JSON.parse(trusted.stdout) as { observedDigest: string }).observedDigest, full.observedDigest, 'what a read of the same namespaces sees');

  // A pruning apply removes the old address; the kernel would take the new one (its secondary) along: it is put back.
  await sb.netreconOk(['apply', '-f', second]);
  const plan = await sb.netrecon(['plan', '-f', second, '--detailed-exitcode']);
  assert.deepEqual([plan.exitCode, plan.stdout.trim()], [0, 'No changes.'], plan.stderr);
  const one = await sb.run(['ip', '-n', 'alpha', '-br', 'addr', 'show', 'dev', 'eth0']);
  assert.match(one.stdout, /10\.77\.0\.21\/24/);
  assert.doesNotMatch(one.stdout, /10\.77\.0\.20\//);
  assert.deepEqual(vouchedCount((await sb.netreconOk(['delete', '--dry-run', '--no-refresh', '-f', second, '--log-level', 'debug'])).stderr), [2],
    'the kernel is what the record says again: trusted');
  await sb.netreconOk(['delete', '--no-refresh', '-f', second]);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout.trim(), '');
});
