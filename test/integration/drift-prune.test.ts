import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { ROOT_NS, type Snapshot } from '../helpers/snapshot.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Drift made by hand is repaired by the next apply, and only it; owned
 * resources no manifest declares any more are pruned, unless told not to,
 * and an empty manifest set prunes only with --allow-empty.
 */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration', ...path);

/** Lines of a fixture text file, without blank lines and `#` comments. */
async function dataLines(...path: string[]): Promise<string[]> {
  const text = await readFile(fixture(...path), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

const stepLines = (stdout: string): string[] => stdout.split('\n').filter((line) => /^(\+|-|~|-\/\+) /.test(line));

function assertSame(actual: Snapshot, expected: Snapshot, what: string): void {
  assert.deepEqual(actual, expected, `${what}:\n${diffSnapshots(expected, actual).join('\n')}`);
}

async function pings(sb: KernelSandbox, pairs: readonly (readonly [string, string])[]): Promise<void> {
  for (const [from, to] of pairs) await waitFor(() => sb.ping(from, to), { what: `ping from ${from} to ${to}`, timeoutMs: 15_000 });
}

/** The MAC of eth0 in each named netns (the sandbox side is pinned, so it must survive a repair). */
const eth0Macs = (snap: Snapshot, names: readonly string[]): unknown[] =>
  names.map((name) => snap.namespaces[name]?.links.find((l) => l['ifname'] === 'eth0')?.['address']);

test('drift made by hand (veth deleted, address and route removed, lo down) is repaired exactly', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const manifests = ['-f', fixture('drift')];
  const applied = await sb.netrecon(['apply', ...manifests]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  const connectivity = [['web', '10.77.0.20'], ['web', '10.77.0.30'], ['db', '10.77.0.1'], ['isolated', '127.0.0.1']] as const;
  await pings(sb, connectivity);
  // Host veth ends get random MACs, and web's is recreated: compare MACs of the sandbox side only.
  const converged = await sb.normalisedSnapshot({ ignoreMacs: true });
  const macs = eth0Macs(await sb.snapshot(), ['web', 'db', 'cache']);
  assert.deepEqual(macs, ['02:42:0a:4d:00:0a', '02:42:0a:4d:00:14', '02:42:0a:4d:00:1e']);

  for (const command of await dataLines('drift', 'drift.txt')) {
    const result = await sb.run(command.split(' '));
    assert.equal(result.exitCode, 0, `${command}: ${result.stderr}`);
  }
  assert.notDeepEqual(await sb.normalisedSnapshot({ ignoreMacs: true }), converged, 'the drift is visible');
  assert.equal(await sb.ping('web', '10.77.0.20'), false, 'web lost its interface');

  const expected = await dataLines('drift', 'plan.txt');
  const plan = await sb.netrecon(['plan', ...manifests, '--detailed-exitcode']);
  assert.equal(plan.exitCode, 2, plan.stderr);
  assert.deepEqual(stepLines(plan.stdout), expected, 'the plan repairs the drift and nothing else');

  const repaired = await sb.netrecon(['apply', ...manifests]);
  assert.equal(repaired.exitCode, 0, repaired.stderr);
  assert.deepEqual(stepLines(repaired.stdout), expected);
  assertSame(await sb.normalisedSnapshot({ ignoreMacs: true }), converged, 'state after the repair');
  assert.deepEqual(eth0Macs(await sb.snapshot(), ['web', 'db', 'cache']), macs, 'the recreated eth0 has its MAC back');
  await pings(sb, connectivity);
  const after = await sb.netrecon(['plan', ...manifests, '--detailed-exitcode']);
  assert.deepEqual([after.exitCode, after.stdout.trim()], [0, 'No changes.'], after.stderr);
});

test('prune: a removed manifest deletes its sandbox, --no-prune keeps it (published port and hosts entry included), an empty directory prunes only with --allow-empty', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const empty = await sb.normalisedSnapshot();
  const network = fixture('default-bridge', 'network.yaml');
  const kept = ['-f', network, '-f', fixture('default-bridge', 'web.yaml'), '-f', fixture('none')];
  const all = [...kept, '-f', fixture('no-prune', 'db.yaml')];
  const applied = await sb.netrecon(['apply', ...all]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  const full = await sb.normalisedSnapshot();
  const dbHostEnd = (await sb.snapshot()).namespaces[ROOT_NS]?.links.find((l) => l['ifalias'] === 'netrecon:attachment/db-bridge');
  assert.ok(dbHostEnd, 'db has a host veth end');

  const hostsBefore = await sb.run(['cat', '/etc/netns/web/hosts']);
  assert.match(hostsBefore.stdout, /^172\.17\.0\.20\tdb$/m, 'web resolves db');
  const noPrune = await sb.netrecon(['apply', ...kept, '--no-prune']);
  assert.equal(noPrune.exitCode, 0, noPrune.stderr);
  // db stays whole: not deleted, and what it shares with the others (its published port, its hosts line) stays too.
  assert.deepEqual(stepLines(noPrune.stdout), [], `--no-prune changes nothing:\n${noPrune.stdout}`);
  assertSame(await sb.normalisedSnapshot(), full, '--no-prune changed the kernel or the firewall');
  assert.equal((await sb.run(['cat', '/etc/netns/web/hosts'])).stdout, hostsBefore.stdout, 'web still resolves db');

  const pruned = await sb.netrecon(['apply', ...kept]);
  assert.equal(pruned.exitCode, 0, pruned.stderr);
  const steps = stepLines(pruned.stdout);
  assert.ok(steps.includes('- netns/db'), `netns/db is pruned:\n${pruned.stdout}`);
  assert.ok(steps.every((line) => line.startsWith('- ') && line.includes('/db')
    || line.startsWith('~ nft/netrecon') || line.startsWith('~ file/@host/bridge.hosts')
    // db published the bridge's only port: the bridge needs no route_localnet any more.
    || line === '~ link/@host/nr-bridge  (routeLocalnet: true -> false)'), `only db's resources are deleted; its port and hosts line go:\n${pruned.stdout}`);
  assert.ok(steps.includes('~ file/@host/bridge.hosts  (content: changed (5 -> 4 lines))'), pruned.stdout);
  const afterPrune = await sb.normalisedSnapshot();
  assert.deepEqual(Object.keys(afterPrune.namespaces).sort(), [ROOT_NS, 'isolated', 'web'].sort());
  assert.ok(!afterPrune.namespaces[ROOT_NS]?.links.some((l) => l['ifname'] === dbHostEnd['ifname']), 'db host end deleted');
  assert.deepEqual(afterPrune.namespaces['web'], full.namespaces['web'], 'web untouched by the prune');
  assert.deepEqual(afterPrune.namespaces['isolated'], full.namespaces['isolated'], 'isolated untouched by the prune');
  await pings(sb, [['web', '172.17.0.1']]);

  const noDocs = await sb.netrecon(['apply', '-f', fixture('prune-empty')]);
  assert.equal(noDocs.exitCode, 0, noDocs.stderr);
  assert.match(noDocs.stderr, /--allow-empty/, 'says how to prune everything');
  assert.equal(noDocs.stdout, 'No changes: the manifests declare nothing, and nothing was pruned.\n', 'and does not claim the host matches');
  assertSame(await sb.normalisedSnapshot(), afterPrune, 'an empty directory pruned something');

  const allowed = await sb.netrecon(['apply', '-f', fixture('prune-empty'), '--allow-empty']);
  assert.equal(allowed.exitCode, 0, allowed.stderr);
  assert.ok(stepLines(allowed.stdout).includes('- netns/web'), allowed.stdout);
  assertSame(await sb.normalisedSnapshot(), empty, '--allow-empty removes everything netrecon owns');
});
