import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot } from '../helpers/sandbox.js';
import type { Snapshot } from '../helpers/snapshot.js';

/**
 * `delete` and `apply --no-prune` read only the namespaces their manifests
 * own (and the host): adding or removing one sandbox among many does not
 * read them all. When the record of the last apply is wrong about where a
 * veth is, the read is widened to everything rather than leave it behind.
 */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration', ...path);
const NETWORK = fixture('default-bridge', 'network.yaml');
const ALL = ['-f', fixture('default-bridge'), '-f', fixture('none')];

/** What the debug log says was read: a count, or "all". */
const namespacesRead = (stderr: string): string[] => [...stderr.matchAll(/"namespaces":("all"|\d+)/g)].map((m) => (m[1] ?? '').replaceAll('"', ''));

const without = (s: Snapshot, ...names: string[]): Snapshot =>
  ({ ...s, namespaces: Object.fromEntries(Object.entries(s.namespaces).filter(([ns]) => !names.includes(ns))) });

/** One sandbox on one network, its namespace named `netns`. */
const app = (netns: string): Record<string, string> => ({ 'app.yaml': [
  'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: lan}\nspec: {driver: bridge, subnet: 10.66.0.0/24, gateway: 10.66.0.1}\n',
  `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: app}\nspec: {netns: ${netns}}\n`,
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: app-lan}\nspec: {sandbox: app, network: lan}\n',
].join('---\n') });

test('apply --no-prune of one more sandbox and delete of it (its own file is enough) read only its namespace; the others stay as they were', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const first = await sb.netreconOk(['apply', ...ALL, '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(first.stderr), ['all'], 'the first apply has no record: it reads everything');
  const before = await sb.normalisedSnapshot();

  const dir = await sb.writeFiles('extra', { 'extra.yaml': [
    'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: extra}\nspec: {}\n',
    'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: extra-bridge}\nspec: {sandbox: extra, network: bridge}\n',
  ].join('---\n') });
  const added = await sb.netreconOk(['apply', '--no-prune', '-f', NETWORK, '-f', dir, '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(added.stderr), ['1'], added.stderr);
  const withExtra = await sb.normalisedSnapshot();
  for (const ns of ['web', 'db', 'isolated']) assert.deepEqual(withExtra.namespaces[ns], before.namespaces[ns], `${ns} untouched`);
  assert.ok(withExtra.namespaces['extra'], 'extra exists');
  assert.ok(await sb.ping('extra', '172.17.0.20'), 'extra reaches db');

  // The network cannot go while attachments this delete keeps are on it: their veths would lose the bridge.
  const refused = await sb.netrecon(['delete', '-f', NETWORK]);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /refusing to delete/);
  assert.match(refused.stderr, /network\/bridge is still used by attachment\/db-bridge, attachment\/extra-bridge, attachment\/web-bridge, which this delete keeps/);
  assert.deepEqual(await sb.normalisedSnapshot(), withExtra, 'a refused delete changes nothing');

  // extra's own file is enough: its network comes from the record of the last apply, and stays.
  const removed = await sb.netreconOk(['delete', '-f', dir, '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(removed.stderr), ['1'], removed.stderr);
  const afterExtra = await sb.normalisedSnapshot();
  assert.deepEqual(afterExtra, before, `only extra went:\n${diffSnapshots(before, afterExtra).join('\n')}`);
  assert.ok(await sb.ping('web', '172.17.0.20'), 'web still reaches db');

  const gone = await sb.netreconOk(['delete', '-f', fixture('none'), '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(gone.stderr), ['1'], gone.stderr);
  const after = await sb.normalisedSnapshot();
  assert.deepEqual(after, without(before, 'isolated'), `only isolated went:\n${diffSnapshots(without(before, 'isolated'), after).join('\n')}`);

  const pruned = await sb.netreconOk(['apply', ...ALL.slice(0, 2), '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(pruned.stderr), ['all'], 'an apply that prunes reads everything');
  assert.deepEqual(await sb.normalisedSnapshot(), without(before, 'isolated'), 'a full apply without isolated changes nothing more');
});

test('a record wrong about a sandbox\'s namespace widens the read to everything, and delete leaves nothing', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const empty = await sb.normalisedSnapshot();
  await sb.netreconOk(['apply', '-f', await sb.writeFiles('a', app('app-a'))]);
  // The record now claims another namespace; the manifests name a third one.
  const recordPath = sb.hostPath(`${sb.stateDir}/applied.json`);
  const record = await readFile(recordPath, 'utf8');
  assert.match(record, /"app-a"/);
  await writeFile(recordPath, record.replaceAll('"app-a"', '"app-c"'));
  const deleted = await sb.netreconOk(['delete', '-f', await sb.writeFiles('b', app('app-b')), '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(deleted.stderr), ['all'], deleted.stderr);
  assert.match(deleted.stderr, /reading all/);
  assert.match(deleted.stdout, /^- netns\/app-a$/m, deleted.stdout);
  assert.deepEqual(await sb.normalisedSnapshot(), empty, 'nothing left');
});

test('deleting a sandbox by its own document takes its attachment\'s published port and hosts line with it', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', '-f', NETWORK, '-f', fixture('default-bridge', 'web.yaml'), '-f', fixture('no-prune', 'db.yaml')]);
  const ports = async (): Promise<boolean> => (await sb.run(['nft', 'list', 'table', 'inet', 'netrecon'])).stdout.includes('15432');
  assert.equal(await ports(), true, 'db publishes 15432');
  const dir = await sb.writeFiles('db-only', { 'db.yaml': 'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: db}\nspec: {}\n' });
  const deleted = await sb.netreconOk(['delete', '-f', dir]);
  assert.match(deleted.stdout, /^- netns\/db$/m, deleted.stdout);
  assert.equal(await ports(), false, 'the DNAT of db\'s port is gone');
  assert.doesNotMatch((await sb.run(['cat', '/etc/netns/web/hosts'])).stdout, /\tdb$/m, 'web no longer resolves db');
  const plan = await sb.netrecon(['plan', '-f', NETWORK, '-f', fixture('default-bridge', 'web.yaml'), '--detailed-exitcode']);
  assert.deepEqual([plan.exitCode, plan.stdout.trim()], [0, 'No changes.'], plan.stderr);
});

test('a namespace apply --no-prune left behind when it gave a sandbox another one goes with the sandbox\'s delete', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const empty = await sb.normalisedSnapshot();
  const solo = (netns: string): Record<string, string> =>
    ({ 'solo.yaml': `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: solo}\nspec: {netns: ${netns}}\n` });
  await sb.netreconOk(['apply', '-f', await sb.writeFiles('a', solo('solo-a'))]);
  const b = await sb.writeFiles('b', solo('solo-b'));
  await sb.netreconOk(['apply', '--no-prune', '-f', b]);
  const named = Object.keys((await sb.normalisedSnapshot()).namespaces).filter((ns) => ns.startsWith('solo-')).sort();
  assert.deepEqual(named, ['solo-a', 'solo-b'], '--no-prune kept the old namespace');

  const deleted = await sb.netreconOk(['delete', '-f', b, '--log-level', 'debug']);
  assert.deepEqual(namespacesRead(deleted.stderr), ['2'], deleted.stderr);
  assert.match(deleted.stdout, /^- netns\/solo-a$/m, deleted.stdout);
  assert.match(deleted.stdout, /^- netns\/solo-b$/m, deleted.stdout);
  assert.deepEqual(await sb.normalisedSnapshot(), empty, 'nothing left');
});

test('apply --no-prune that moves a sandbox to another namespace under the same interface name is refused before anything changes (the kept veth holds the host end name)', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', '-f', await sb.writeFiles('a', app('app-a'))]);
  const before = await sb.normalisedSnapshot();
  const moved = await sb.writeFiles('b', app('app-b'));
  const refused = await sb.netrecon(['apply', '--no-prune', '-f', moved]);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /link\/app-b\/eth0 \(attachment\/app-lan\): its host end nrv[0-9a-f]+ is still the host end of link\/app-a\/eth0, which this apply keeps/);
  assert.deepEqual(await sb.normalisedSnapshot(), before, 'nothing changed');
  await sb.netreconOk(['apply', '-f', moved]);
  assert.deepEqual(Object.keys((await sb.normalisedSnapshot()).namespaces).filter((ns) => ns.startsWith('app')), ['app-b'], 'a pruning apply moves it');
  await sb.netreconOk(['delete', '-f', moved]);
});
