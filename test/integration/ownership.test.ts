import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { ROOT_NS, type JsonObject, type NamespaceSnapshot, type Snapshot } from '../helpers/snapshot.js';

/**
 * netrecon changes only what it owns: a user's bridge, veth, netns, and a
 * link of theirs inside a netns netrecon made, survive apply, prune and
 * delete unchanged; a desired name held by something unowned is refused.
 */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration', ...path);
const NETWORK = fixture('default-bridge', 'network.yaml');
const WEB = fixture('default-bridge', 'web.yaml');
const DB = fixture('default-bridge', 'db.yaml');

/** Runs the `ip` commands of a fixture file (blank lines and `#` comments skipped) inside the sandbox. */
async function runCommandFile(sb: KernelSandbox, ...path: string[]): Promise<void> {
  const lines = (await readFile(fixture(...path), 'utf8')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  for (const command of lines) {
    const result = await sb.run(command.split(' '));
    assert.equal(result.exitCode, 0, `${command}: ${result.stderr}`);
  }
}

/** Only the named links of a namespace, with their addresses and routes. */
function only(ns: NamespaceSnapshot | undefined, names: readonly string[]): NamespaceSnapshot {
  assert.ok(ns, 'namespace exists');
  const named = (o: JsonObject, key: string): boolean => names.includes(String(o[key]));
  return {
    links: ns.links.filter((l) => named(l, 'ifname')),
    addresses: ns.addresses.filter((a) => named(a, 'ifname')),
    routes4: ns.routes4.filter((r) => named(r, 'dev')),
    routes6: ns.routes6.filter((r) => named(r, 'dev')),
    nftables: null,
  };
}

/** The foreign objects of foreign.txt (and of inside-owned.txt, with `insideWeb`). */
function foreignView(snap: Snapshot, insideWeb: boolean): Snapshot {
  const namespaces: Record<string, NamespaceSnapshot> = {
    [ROOT_NS]: only(snap.namespaces[ROOT_NS], ['br-user', 'vfor0']),
    foreign: snap.namespaces['foreign'] ?? only(undefined, []),
  };
  if (insideWeb) namespaces['web'] = only(snap.namespaces['web'], ['fx0', 'fx1']);
  return { namespaces };
}

async function assertForeignUntouched(sb: KernelSandbox, expected: Snapshot, insideWeb: boolean, after: string): Promise<void> {
  const actual = foreignView(await sb.normalisedSnapshot(), insideWeb);
  assert.deepEqual(actual, expected, `foreign objects changed by ${after}:\n${diffSnapshots(expected, actual).join('\n')}`);
}

test("a user's bridge, veth, netns, and link inside an owned netns survive apply, re-apply, prune and delete", async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await runCommandFile(sb, 'ownership', 'foreign.txt');
  const foreign = foreignView(await sb.normalisedSnapshot(), false);
  assert.equal(foreign.namespaces[ROOT_NS]?.links.length, 2, 'br-user and vfor0 exist');

  await sb.netreconOk(['apply', '-f', NETWORK, '-f', WEB, '-f', DB]);
  await assertForeignUntouched(sb, foreign, false, 'apply');
  await runCommandFile(sb, 'ownership', 'inside-owned.txt');
  const withInside = foreignView(await sb.normalisedSnapshot(), true);
  assert.equal(withInside.namespaces['web']?.links.length, 2, 'fx0 and fx1 exist in web');

  assert.match((await sb.netreconOk(['apply', '-f', NETWORK, '-f', WEB, '-f', DB])).stdout, /^No changes\./, 'foreign objects cause no steps');
  await assertForeignUntouched(sb, withInside, true, 're-apply');
  assert.match((await sb.netreconOk(['apply', '-f', NETWORK, '-f', WEB])).stdout, /^- netns\/db$/m);
  await assertForeignUntouched(sb, withInside, true, 'prune');
  const refused = await sb.netrecon(['delete', '-f', NETWORK, '-f', WEB, '-f', DB]);
  assert.equal(refused.exitCode, 1, 'deleting netns web would destroy the user\'s fx0: refused');
  assert.match(refused.stderr, /netns\/web .*fx0/);
  await assertForeignUntouched(sb, withInside, true, 'refused delete');
  assert.equal((await sb.run(['ip', '-n', 'web', 'link', 'del', 'fx0'])).exitCode, 0);
  assert.match((await sb.netreconOk(['delete', '-f', NETWORK, '-f', WEB, '-f', DB])).stdout, /^- link\/@host\/nr-bridge$/m);
  await assertForeignUntouched(sb, foreign, false, 'delete');
  const left = await sb.snapshot();
  assert.ok(!left.namespaces[ROOT_NS]?.links.some((l) => String(l['ifalias']).startsWith('netrecon:')), 'owned links deleted');
});

test("delete refuses to remove an owned netns that holds a user's link, and changes nothing", async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', '-f', NETWORK, '-f', WEB]);
  await runCommandFile(sb, 'ownership', 'inside-owned.txt');
  const inside = only((await sb.normalisedSnapshot()).namespaces['web'], ['fx0', 'fx1']);
  assert.equal(inside.links.length, 2, 'fx0 and fx1 exist in web');
  const result = await sb.netrecon(['delete', '-f', NETWORK, '-f', WEB]);
  assert.equal(result.exitCode, 1, `delete refuses: ${result.stderr}`);
  assert.match(result.stderr, /netns\/web \(sandbox\/web\): holds .*fx0.*which netrecon does not own/);
  const after = await sb.normalisedSnapshot();
  assert.ok(after.namespaces['web'], 'netns web, holding a foreign link, still exists');
  assert.deepEqual(only(after.namespaces['web'], ['fx0', 'fx1']), inside, 'fx0/fx1 unchanged');
});

test('a desired bridge or netns name held by an unowned object is a conflict: exit 1, named, nothing changed', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const manifests = ['-f', fixture('default-bridge')];
  const cases = [
    { make: ['ip', 'link', 'add', 'nr-bridge', 'type', 'bridge'], undo: ['ip', 'link', 'del', 'nr-bridge'], names: /bridge nr-bridge/ },
    { make: ['ip', 'netns', 'add', 'web'], undo: ['ip', 'netns', 'del', 'web'], names: /netns web/ },
  ];
  for (const c of cases) {
    assert.equal((await sb.run(c.make)).exitCode, 0, c.make.join(' '));
    const before = await sb.snapshot();
    for (const command of ['apply', 'plan']) {
      const result = await sb.netrecon([command, ...manifests]);
      assert.equal(result.exitCode, 1, `${command} with ${c.make.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, c.names, `${command}: the conflict is named`);
      assert.match(result.stderr, /does not own/);
    }
    const after = await sb.snapshot();
    assert.deepEqual(after, before, `the conflict changed the kernel:\n${diffSnapshots(before, after).join('\n')}`);
    assert.equal((await sb.run(c.undo)).exitCode, 0, c.undo.join(' '));
  }
  assert.equal((await sb.run(['ls', '-A', sb.stateDir])).stdout, '', 'nothing written to the state directory');
});
