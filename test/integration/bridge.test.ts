import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot } from '../helpers/sandbox.js';
import { ROOT_NS, type JsonObject, type NamespaceSnapshot, type Snapshot } from '../helpers/snapshot.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What a bridge network and a `none` sandbox look like in the kernel after
 * one apply, checked with `ip -j` the way a user of Docker would check it.
 */
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/integration', name);

const GATEWAY = '172.17.0.1';
/** web's address is dynamic: the first free one, as Docker hands out; db's is static. */
const SANDBOXES = [
  { name: 'web', attachment: 'web-bridge', ip: '172.17.0.2' },
  { name: 'db', attachment: 'db-bridge', ip: '172.17.0.20' },
] as const;

const macFromIp = (ip: string): string =>
  `02:42:${ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0')).join(':')}`;

function netns(snapshot: Snapshot, name: string): NamespaceSnapshot {
  const ns = snapshot.namespaces[name];
  assert.ok(ns, `netns ${name} exists (have: ${Object.keys(snapshot.namespaces).join(', ')})`);
  return ns;
}

function link(ns: NamespaceSnapshot, ifname: string): JsonObject {
  const found = ns.links.find((l) => l['ifname'] === ifname);
  assert.ok(found, `link ${ifname} exists`);
  return found;
}

const flagsOf = (l: JsonObject): unknown[] => (Array.isArray(l['flags']) ? l['flags'] : []);
const kindOf = (l: JsonObject): unknown => (l['linkinfo'] as JsonObject | undefined)?.['info_kind'];

/** "ADDRESS/PREFIX" of every address of `family` on `ifname`. */
function addrs(ns: NamespaceSnapshot, ifname: string, family: 'inet' | 'inet6'): string[] {
  const entry = ns.addresses.find((a) => a['ifname'] === ifname);
  const infos = Array.isArray(entry?.['addr_info']) ? (entry['addr_info'] as JsonObject[]) : [];
  return infos.filter((i) => i['family'] === family).map((i) => `${String(i['local'])}/${String(i['prefixlen'])}`);
}

function assertLoopback(ns: NamespaceSnapshot, sandbox: string): void {
  const lo = link(ns, 'lo');
  assert.ok(flagsOf(lo).includes('UP'), `${sandbox}: lo is up`);
  assert.equal(lo['ifalias'], `netrecon:sandbox/${sandbox}`, `${sandbox}: lo carries the ownership mark`);
  assert.deepEqual(addrs(ns, 'lo', 'inet'), ['127.0.0.1/8'], `${sandbox}: lo has 127.0.0.1/8`);
}

test("Docker's default bridge: two sandboxes with eth0 (MAC from IP, default route) on an owned bridge reach each other and the gateway", async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const applied = await sb.netrecon(['apply', '-f', fixture('default-bridge')]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  const snap = await sb.snapshot();
  assert.deepEqual(Object.keys(snap.namespaces).sort(), [ROOT_NS, 'db', 'web'].sort());

  const root = netns(snap, ROOT_NS);
  const bridge = link(root, 'nr-bridge');
  assert.equal(kindOf(bridge), 'bridge');
  assert.ok(flagsOf(bridge).includes('UP'), 'bridge is up');
  assert.equal(bridge['ifalias'], 'netrecon:network/bridge');
  assert.deepEqual(addrs(root, 'nr-bridge', 'inet'), [`${GATEWAY}/16`], 'gateway address on the bridge');

  const hostEnds: string[] = [];
  for (const s of SANDBOXES) {
    const ns = netns(snap, s.name);
    assert.deepEqual(ns.links.map((l) => l['ifname']).sort(), ['eth0', 'lo'], `${s.name}: only lo and eth0`);
    assertLoopback(ns, s.name);
    const eth0 = link(ns, 'eth0');
    assert.equal(kindOf(eth0), 'veth', `${s.name}: eth0 is a veth`);
    assert.equal(eth0['address'], macFromIp(s.ip), `${s.name}: MAC derived from ${s.ip}`);
    assert.ok(flagsOf(eth0).includes('UP'), `${s.name}: eth0 up`);
    assert.equal(eth0['ifalias'], `netrecon:attachment/${s.attachment}`);
    assert.deepEqual(addrs(ns, 'eth0', 'inet'), [`${s.ip}/16`], `${s.name}: eth0 address`);
    const defaults = ns.routes4.filter((r) => r['dst'] === 'default');
    assert.deepEqual(defaults.map((r) => [r['gateway'], r['dev']]), [[GATEWAY, 'eth0']], `${s.name}: default route via the gateway`);

    const host = root.links.find((l) => l['ifalias'] === `netrecon:attachment/${s.attachment}`);
    assert.ok(host, `${s.name}: host end of the veth carries the attachment mark`);
    assert.match(String(host['ifname']), /^nrv[0-9a-f]{8}$/, `${s.name}: host end name`);
    assert.equal(kindOf(host), 'veth');
    assert.equal(host['master'], 'nr-bridge', `${s.name}: host end enslaved to the bridge`);
    assert.ok(flagsOf(host).includes('UP'), `${s.name}: host end up`);
    hostEnds.push(String(host['ifname']));
  }
  assert.notEqual(hostEnds[0], hostEnds[1], 'host ends have distinct names');
  assert.deepEqual(root.links.map((l) => l['ifname']).sort(), ['lo', 'nr-bridge', ...hostEnds].sort(), 'nothing else on the host side');

  const [web, db] = SANDBOXES;
  for (const [from, to] of [[web.name, db.ip], [db.name, web.ip], [web.name, GATEWAY], [db.name, GATEWAY]] as const) {
    await waitFor(() => sb.ping(from, to), { what: `ping from ${from} to ${to}`, timeoutMs: 15_000 });
  }
});

test('a none sandbox is a netns with lo up and nothing else; the host side stays empty', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const before = await sb.snapshot();
  const applied = await sb.netrecon(['apply', '-f', fixture('none')]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  const snap = await sb.snapshot();
  assert.deepEqual(Object.keys(snap.namespaces).sort(), [ROOT_NS, 'isolated'].sort());
  assert.deepEqual(snap.namespaces[ROOT_NS], before.namespaces[ROOT_NS], 'nothing made in the sandbox root');

  const ns = netns(snap, 'isolated');
  assert.deepEqual(ns.links.map((l) => l['ifname']), ['lo']);
  assertLoopback(ns, 'isolated');
  assert.deepEqual(addrs(ns, 'lo', 'inet6'), ['::1/128']);
  assert.deepEqual(ns.routes4, [], 'no routes in the main table');
  assert.equal(await sb.ping('isolated', '127.0.0.1'), true, 'lo answers');
});
