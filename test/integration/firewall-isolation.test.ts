import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';
import { fixture, netrecon, OUTSIDE, probe, runScript, UPLINK_HOST } from '../fixtures/integration3/probe.js';

/**
 * Who may talk to whom: two bridge networks are isolated from each other,
 * `icc: false` keeps the sandboxes of one bridge apart, and an `internal`
 * network neither reaches nor is reached from off the bridge. Every blocked
 * path is one the host would otherwise route: the negative checks run only
 * after the positive ones showed the sandboxes are up.
 */

/** Each [netns (null: the host), address] answers ping, within a bounded wait. */
async function reachable(sb: KernelSandbox, pairs: readonly (readonly [string | null, string])[]): Promise<void> {
  for (const [from, to] of pairs) {
    await waitFor(() => sb.ping(from, to), { what: `ping from ${from ?? 'the host'} to ${to}`, timeoutMs: 10_000 });
  }
}

/** Neither ping nor a tcp connection gets from `from` to `to` (a server listens in `toNs`). */
async function blocked(sb: KernelSandbox, from: string, toNs: string, to: string): Promise<void> {
  const [ping, tcp] = await Promise.all([sb.ping(from, to), probe(sb, 'pair', 'tcp', toNs, '0.0.0.0', from, to, '9000')]);
  assert.equal(ping, false, `ping from ${from} to ${to} must fail`);
  assert.deepEqual([tcp.ok, tcp.error], [false, 'timed out'], `tcp from ${from} to ${toNs} (${to}) must be dropped`);
}

test('two bridge networks are isolated: a1 and b1 cannot reach each other (ping, tcp); each reaches its own gateway', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('isolation'));
  await reachable(sb, [['a1', '172.30.10.1'], ['b1', '172.30.20.1'], [null, '172.30.10.10'], [null, '172.30.20.10']]);
  const tcp = await probe(sb, 'pair', 'tcp', 'a1', '0.0.0.0', '-', '172.30.10.10', '9000');
  assert.deepEqual(tcp, { ok: true, peer: '172.30.10.1' }, 'the host reaches a1 over tcp (so the path exists)');
  await Promise.all([blocked(sb, 'a1', 'b1', '172.30.20.10'), blocked(sb, 'b1', 'a1', '172.30.10.10')]);
});

test('icc: false: two sandboxes on one bridge cannot talk; each still reaches the gateway and the host reaches each', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('icc'));
  await reachable(sb, [['c1', '172.30.30.1'], ['c2', '172.30.30.1'], [null, '172.30.30.10'], [null, '172.30.30.11']]);
  for (const ns of ['c1', 'c2']) {
    const fromHost = await probe(sb, 'pair', 'tcp', ns, '0.0.0.0', '-', ns === 'c1' ? '172.30.30.10' : '172.30.30.11', '9000');
    assert.equal(fromHost.ok, true, `tcp from the host to ${ns}: ${JSON.stringify(fromHost)}`);
    const toHost = await probe(sb, 'pair', 'tcp', '-', '0.0.0.0', ns, '172.30.30.1', '9000');
    assert.deepEqual(toHost, { ok: true, peer: ns === 'c1' ? '172.30.30.10' : '172.30.30.11' }, `tcp from ${ns} to the gateway`);
  }
  await Promise.all([blocked(sb, 'c1', 'c2', '172.30.30.11'), blocked(sb, 'c2', 'c1', '172.30.30.10')]);
});

test('internal: true: s1 and s2 reach each other, but not the outside, and the outside cannot reach them even with a route', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await runScript(sb, 'outside.sh');
  await netrecon(sb, 'apply', '-f', fixture('internal'));
  // Routes back to both subnets: without them the outside could not answer anyway.
  for (const subnet of ['172.30.40.0/24', '172.30.50.0/24']) {
    const route = await sb.run(['ip', '-n', 'outside', 'route', 'add', subnet, 'via', UPLINK_HOST]);
    assert.equal(route.exitCode, 0, route.stderr);
  }
  // The control: o1 on the ordinary network and the outside reach each other.
  await reachable(sb, [['s1', '172.30.50.11'], ['s2', '172.30.50.10'], ['o1', OUTSIDE], ['outside', '172.30.40.10']]);
  const control = await probe(sb, 'pair', 'tcp', 'o1', '0.0.0.0', 'outside', '172.30.40.10', '9000');
  assert.deepEqual(control, { ok: true, peer: OUTSIDE }, 'the outside reaches o1 on the ordinary network');
  const peers = await probe(sb, 'pair', 'tcp', 's2', '0.0.0.0', 's1', '172.30.50.11', '9000');
  assert.deepEqual(peers, { ok: true, peer: '172.30.50.10' }, 'tcp from s1 to s2 on the internal bridge');

  await Promise.all([
    blocked(sb, 's1', 'outside', OUTSIDE),
    blocked(sb, 'outside', 's1', '172.30.50.10'),
    blocked(sb, 's2', 'o1', '172.30.40.10'),
  ]);
});

test('icc: false survives a bridge rename: the moved ports are isolated again and apply converges at once', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('icc'));
  const text = await readFile(join(fixture('icc'), 'manifests.yaml'), 'utf8');
  const renamed = await sb.writeFiles('renamed', { 'manifests.yaml': text.replace('bridge: {icc: false}', 'bridge: {icc: false, name: br-quiet}') });
  const applied = await sb.netrecon(['apply', '-f', renamed]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  const ports = await sb.run(['bridge', '-j', '-d', 'link', 'show']);
  const flags = (JSON.parse(ports.stdout) as { master?: string; isolated?: boolean }[]).filter((p) => p.master === 'br-quiet').map((p) => p.isolated);
  assert.deepEqual(flags, [true, true], ports.stdout);
  await reachable(sb, [['c1', '172.30.30.1'], ['c2', '172.30.30.1']]);
  await Promise.all([blocked(sb, 'c1', 'c2', '172.30.30.11'), blocked(sb, 'c2', 'c1', '172.30.30.10')]);
});
