import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { isObject, ROOT_NS, type JsonObject, type Snapshot } from '../helpers/snapshot.js';
import { normalise } from '../helpers/normalise.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Host safety (issue 5, item 6): objects netrecon does not own, set up beside
 * its own (a bridge with addresses, a veth pair on it, a netns holding the
 * peer with an address, a route and its own nftables table, an nftables
 * table with rules in the root namespace, and a file under /etc/netns), are
 * never changed by a full apply / update-with-prune / delete cycle; and a
 * manifest naming one of them is refused before anything changes.
 */
const fixture = (name: string): string[] => ['-f', join(repoRoot, 'test/fixtures/reliability', name)];
const V1 = fixture('bridge-v1');
const V2 = fixture('bridge-v2');

const FOREIGN_LINKS = new Set(['lo', 'br-user', 'uveth0', 'upair0', 'upair1']);

const SETUP: readonly string[][] = [
  ['ip', 'link', 'add', 'br-user', 'type', 'bridge'],
  ['ip', 'link', 'set', 'br-user', 'up'],
  ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'br-user'],
  ['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'br-user'],
  ['ip', 'link', 'add', 'uveth0', 'type', 'veth', 'peer', 'name', 'uveth1'],
  ['ip', 'link', 'set', 'uveth0', 'master', 'br-user', 'up'],
  ['ip', 'link', 'add', 'upair0', 'type', 'veth', 'peer', 'name', 'upair1'],
  ['ip', 'link', 'set', 'upair0', 'up'],
  ['ip', 'addr', 'add', '203.0.113.7/32', 'dev', 'upair0'],
  ['ip', 'netns', 'add', 'userns'],
  ['ip', 'link', 'set', 'uveth1', 'netns', 'userns'],
  ['ip', '-n', 'userns', 'link', 'set', 'lo', 'up'],
  ['ip', '-n', 'userns', 'link', 'set', 'uveth1', 'up'],
  ['ip', '-n', 'userns', 'addr', 'add', '192.0.2.10/24', 'dev', 'uveth1'],
  ['ip', '-n', 'userns', 'route', 'add', 'default', 'via', '192.0.2.1'],
  ['ip', 'netns', 'exec', 'userns', 'nft', 'add table ip userns_fw; add chain ip userns_fw input { type filter hook input priority 0; policy accept; }; add rule ip userns_fw input tcp dport 22 counter accept'],
  ['nft', 'add table inet usertable; add chain inet usertable input { type filter hook input priority 0; policy accept; }; add rule inet usertable input iifname "br-user" tcp dport { 22, 80 } counter accept; add chain inet usertable userfwd { type filter hook forward priority 0; policy accept; }; add rule inet usertable userfwd ip saddr 192.0.2.0/24 counter accept'],
  ['ip', 'route', 'add', '10.200.0.0/16', 'via', '192.0.2.10', 'dev', 'br-user'],
  ['mkdir', '-p', '/etc/netns/userns'],
  ['sh', '-c', 'echo "nameserver 192.0.2.53" > /etc/netns/userns/resolv.conf'],
];

async function setUpForeign(sb: KernelSandbox): Promise<void> {
  for (const argv of SETUP) {
    const r = await sb.run(argv);
    assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
}

const devOf = (o: JsonObject): string => String(o['dev'] ?? o['ifname'] ?? '');

/** Only the objects the test made: foreign links, their addresses and routes, netns userns, every nft table but netrecon's. */
function foreignPart(snap: Snapshot): Snapshot {
  const root = snap.namespaces[ROOT_NS];
  const userns = snap.namespaces['userns'];
  assert.ok(root !== undefined && userns !== undefined, 'root and userns are in the snapshot');
  const notNetrecon = (entry: JsonObject): boolean => !Object.values(entry).some((body) => isObject(body) && (body['table'] === 'netrecon' || (body['name'] === 'netrecon' && body['family'] === 'inet' && !('table' in body))));
  return normalise({
    namespaces: {
      [ROOT_NS]: {
        links: root.links.filter((l) => FOREIGN_LINKS.has(String(l['ifname']))),
        addresses: root.addresses.filter((a) => FOREIGN_LINKS.has(String(a['ifname']))),
        routes4: root.routes4.filter((r) => FOREIGN_LINKS.has(devOf(r))),
        routes6: root.routes6.filter((r) => FOREIGN_LINKS.has(devOf(r))),
        nftables: root.nftables === null ? null : root.nftables.filter(notNetrecon),
      },
      userns,
    },
  });
}

test('apply, update with prune, delete: unowned bridges, veths, netns, addresses, routes, nftables and files are untouched', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await setUpForeign(sb);
  const initial = await sb.snapshot();
  const foreign = foreignPart(initial);
  assert.ok(JSON.stringify(foreign).includes('usertable') && JSON.stringify(foreign).includes('userns_fw'), 'the foreign nft tables are seen');
  const resolv = sb.hostPath('/etc/netns/userns/resolv.conf');
  const resolvText = await readFile(resolv, 'utf8');

  for (const args of [['apply', ...V1], ['apply', ...V1], ['apply', ...V2], ['apply', '--no-prune', ...V1], ['apply', ...V2], ['delete', ...V2]]) {
    await sb.netreconOk(args);
    const now = foreignPart(await sb.snapshot());
    assert.deepEqual(now, foreign, `after ${args[0]} ${args.slice(1).filter((a) => !a.startsWith('-')).map((a) => a.split('/').pop()).join(' ')}:\n${diffSnapshots(foreign, now).join('\n')}`);
    assert.equal(await readFile(resolv, 'utf8'), resolvText, 'the foreign /etc/netns file is untouched');
  }
  // All of netrecon's own objects are gone again: the whole sandbox is as the test left it.
  const start = normalise(initial);
  let end = normalise(await sb.snapshot());
  // The kernel removes a deleted netns's veth peers in the background.
  await waitFor(async () => diffSnapshots(start, (end = normalise(await sb.snapshot()))).length === 0, { what: 'the host ends to go', timeoutMs: 5_000 }).catch(() => undefined);
  assert.deepEqual(end, start, `after delete:\n${diffSnapshots(start, end).join('\n')}`);
  assert.ok(await sb.ping('userns', '192.0.2.1'), 'the foreign netns still reaches its bridge');
});

test('a manifest naming an existing unowned netns or bridge is refused before anything changes', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await setUpForeign(sb);
  await sb.netreconOk(['apply', ...V1]);
  const before = await sb.normalisedSnapshot();
  const stateFiles = (await sb.run(['sh', '-c', `cd ${sb.stateDir} && cat *.json | sha256sum`])).stdout;
  for (const [name, what] of [['foreign-netns', /netns\/userns .*netns userns, which netrecon does not own/], ['foreign-bridge', /link\/@host\/br-user .*which netrecon does not own/]] as const) {
    // Alone, and beside valid manifests whose changes must not be made either.
    for (const args of [['apply', ...fixture(name)], ['apply', ...V2, ...fixture(name)]]) {
      const r = await sb.netrecon(args);
      assert.equal(r.exitCode, 1, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /refusing to adopt objects netrecon does not own; nothing was changed/, name);
      assert.match(r.stderr, what, `${name}: names the object`);
      const after = await sb.normalisedSnapshot();
      assert.deepEqual(after, before, `${name}: the kernel changed:\n${diffSnapshots(before, after).join('\n')}`);
    }
  }
  assert.equal((await sb.run(['sh', '-c', `cd ${sb.stateDir} && cat *.json | sha256sum`])).stdout, stateFiles, 'no state file changed');
});
