import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { diffSnapshots } from '../helpers/diff.js';
import { settled } from '../helpers/settled.js';
import { glanceArgv } from '../../src/observe/glance.js';
import { snapshotsFromDumps } from '../../src/observe/rtnetlink.js';
import { namespaceToResources, readArgv, snapshotFromBatch } from '../../src/observe/index.js';
import { batchInput, type NamespaceSnapshot } from '../../src/observe/ipjson.js';
import { hostIfindexTable } from '../../src/observe/resources.js';
import { HOST_NS } from '../../src/model/resource.js';
import { addrsFromIpJson, linksFromIpJson, routesFromIpJson } from '../../src/observe/parse.js';

/**
 * The glance (observe/glance.ts: one perl process asks each namespace's
 * kernel tables over netlink, no process per namespace) against `ip -j`,
 * on the same namespaces; and a plain delete, which takes from the record
 * only the namespaces a glance finds exactly as the record builds them.
 */
const DOCS = [
  'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: front}\nspec: {subnet: 10.77.0.0/24, subnet6: "fd77::/64", mtu: 1400, bridge: {icc: false, masquerade: true}}\n',
  'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: back}\nspec: {subnet: 10.78.0.0/24, bridge: {internal: true}}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: alpha}\nspec: {}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: bravo}\nspec: {netns: bravo-ns}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: quiet}\nspec: {mode: none}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: alpha-front}\nspec: {sandbox: alpha, network: front, publish: [{hostPort: 8080, port: 80}]}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: alpha-back}\nspec: {sandbox: alpha, network: back, routes: [{to: 10.60.0.0/16, via: 10.78.0.254}]}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: bravo-front}\nspec: {sandbox: bravo, network: front, address: 10.77.0.20, mac: "02:00:00:00:77:20"}\n',
];

/** The debug log's count of namespaces taken from the record (absent: none were). */
const vouchedCount = (stderr: string): number[] => [...stderr.matchAll(/"vouched":(\d+)/g)].map((m) => Number(m[1]));

async function setUp(sb: KernelSandbox): Promise<string[]> {
  const dir = await sb.writeFiles('m', { 'all.yaml': DOCS.join('---\n') });
  await sb.netreconOk(['apply', '-f', dir]);
  return ['-f', dir];
}

async function must(sb: KernelSandbox, ...argvs: string[][]): Promise<void> {
  for (const argv of argvs) {
    const r = await sb.run(argv);
    assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
}

async function readWithIp(sb: KernelSandbox, ns: string): Promise<NamespaceSnapshot> {
  const [file, args] = readArgv(ns);
  const r = await sb.run([file, ...args], { input: batchInput() });
  assert.equal(r.exitCode, 0, r.stderr);
  return snapshotFromBatch(ns, r.stdout);
}

const sortedJson = <T>(items: readonly T[]): string[] => items.map((i) => JSON.stringify(i)).sort();

test('a glance finds in each namespace what `ip -j` finds: links, every address and route, and the resources and foreign objects built from them', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const argv = glanceArgv('/run/netns');
  if (argv === undefined) {
    t.skip(`the glance needs the setns(2) number and a little-endian CPU, not known here for ${process.arch}`);
    return;
  }
  await setUp(sb);
  // What users do by hand: addresses and routes of both families (another table too), a link down, another MTU, an alias removed, links of their own.
  await must(sb,
    ['ip', '-n', 'alpha', 'addr', 'add', '192.0.2.7/32', 'dev', 'eth0'],
    ['ip', '-n', 'alpha', 'addr', 'add', 'fd77::99/64', 'dev', 'eth0', 'nodad'],
    ['ip', '-n', 'alpha', 'route', 'add', '198.51.100.0/24', 'via', '10.77.0.254', 'metric', '50'],
    ['ip', '-n', 'alpha', '-6', 'route', 'add', 'fd99::/48', 'via', 'fd77::fe'],
    ['ip', '-n', 'alpha', 'route', 'add', '203.0.113.0/24', 'dev', 'eth1', 'table', '100'],
    ['ip', '-n', 'alpha', 'link', 'set', 'eth1', 'mtu', '1280'],
    ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'down'],
    ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'alias', ''],
    ['ip', '-n', 'quiet', 'link', 'add', 'fx0', 'type', 'veth', 'peer', 'name', 'fx1'],
    ['ip', '-n', 'quiet', 'link', 'set', 'fx0', 'up'],
    ['ip', '-n', 'quiet', 'addr', 'add', '10.9.9.9/8', 'dev', 'fx0'],
    ['ip', 'netns', 'add', 'theirs'],
    ['ip', 'link', 'add', 'their0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'theirs'],
  );
  const names = ['alpha', 'bravo-ns', 'quiet', 'theirs'];
  const [file, args] = argv;
  const glanced = await sb.run([file, ...args], { input: names.join('\0') });
  assert.deepEqual([glanced.exitCode, glanced.stderr], [0, '']);
  const seen = snapshotsFromDumps(glanced.stdout);
  assert.deepEqual([...seen.keys()], names, 'every namespace seen whole, in order');
  const hostIndex = hostIfindexTable(await readWithIp(sb, HOST_NS));
  for (const ns of names) {
    const byIp = await readWithIp(sb, ns);
    const byGlance = seen.get(ns);
    assert.ok(byGlance);
    const fields = (s: NamespaceSnapshot) => linksFromIpJson(s.links).map((l) => [l.ifindex, l.ifname, l.up, l.mtu, l.mac, l.alias, l.kind, l.link, l.linkIndex, l.linkNetnsid, l.master]);
    assert.deepEqual(fields(byGlance), fields(byIp), `${ns}: links`);
    assert.deepEqual(addrsFromIpJson(byGlance.addrs), addrsFromIpJson(byIp.addrs), `${ns}: every address, lo and link-local ones too`);
    assert.deepEqual(sortedJson(routesFromIpJson(byGlance.routes)), sortedJson(routesFromIpJson(byIp.routes)), `${ns}: every unicast route of every table`);
    assert.deepEqual(namespaceToResources(byGlance, hostIndex), namespaceToResources(byIp, hostIndex), `${ns}: resources, foreign objects and veth ends`);
  }
  // The hand changes are in what both see (the comparison above is not of two empty lists).
  const alpha = addrsFromIpJson((seen.get('alpha') as NamespaceSnapshot).addrs).map((a) => a.cidr);
  assert.ok(alpha.includes('192.0.2.7/32') && alpha.includes('fd77::99/64'), alpha.join(' '));
  const routes = routesFromIpJson((seen.get('alpha') as NamespaceSnapshot).routes).map((r) => `${r.table} ${r.dst} ${r.via ?? ''}`);
  for (const r of ['main 198.51.100.0/24 10.77.0.254', 'main fd99::/48 fd77::fe', '100 203.0.113.0/24 ']) assert.ok(routes.includes(r), `${r} in ${routes.join(', ')}`);
  assert.deepEqual(namespaceToResources(seen.get('quiet') as NamespaceSnapshot, hostIndex).foreign.map((f) => f.key).sort(), ['link/quiet/fx0', 'link/quiet/fx1']);

  const gone = await sb.run([file, ...args], { input: ['alpha', 'nowhere'].join('\0') });
  assert.equal(gone.exitCode, 123, 'not 0: one namespace could not be opened');
  assert.match(gone.stderr, /cannot open \/run\/netns\/nowhere: No such file or directory/);
  assert.deepEqual([...snapshotsFromDumps(gone.stdout).keys()], ['alpha'], 'the others are still seen');
});

test('a plain delete takes from the record only the namespaces a glance finds as the record builds them; each change by hand makes it read that one', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  if (glanceArgv('/run/netns') === undefined) {
    t.skip(`the glance needs the setns(2) number and a little-endian CPU, not known here for ${process.arch}`);
    return;
  }
  const files = await setUp(sb);
  const first = await sb.netreconOk(['delete', '--dry-run', ...files, '--log-level', 'debug']);
  assert.deepEqual(vouchedCount(first.stderr), [2], 'alpha and bravo-ns; quiet (mode none, no veth) is read');
  // The glance's count: what it confirmed of the namespaces the host vouches for (logged before any refusal).
  const taken = async (): Promise<number[]> =>
    [...(await sb.netrecon(['delete', '--dry-run', ...files, '--log-level', 'debug'])).stderr.matchAll(/"confirmed":(\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(await taken(), [2]);
  const changes: [string, string[], string[]][] = [
    ['an address', ['ip', '-n', 'alpha', 'addr', 'add', '192.0.2.7/32', 'dev', 'eth0'], ['ip', '-n', 'alpha', 'addr', 'del', '192.0.2.7/32', 'dev', 'eth0']],
    ['a route', ['ip', '-n', 'alpha', 'route', 'add', '198.51.100.0/24', 'via', '10.77.0.254'], ['ip', '-n', 'alpha', 'route', 'del', '198.51.100.0/24']],
    ['an IPv6 route', ['ip', '-n', 'alpha', '-6', 'route', 'add', 'fd99::/48', 'via', 'fd77::fe'], ['ip', '-n', 'alpha', '-6', 'route', 'del', 'fd99::/48']],
    // Down takes the link's routes and IPv6 addresses with it: netrecon puts them back.
    ['a link down', ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'down'], ['netrecon', 'apply']],
    ['an MTU', ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'mtu', '1300'], ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'mtu', '1400']],
    ['a MAC', ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'address', '02:00:00:00:77:21'], ['ip', '-n', 'bravo-ns', 'link', 'set', 'eth0', 'address', '02:00:00:00:77:20']],
    ['the mark of lo', ['ip', '-n', 'bravo-ns', 'link', 'set', 'lo', 'alias', ''], ['ip', '-n', 'bravo-ns', 'link', 'set', 'lo', 'alias', 'netrecon:sandbox/bravo']],
  ];
  for (const [what, change, undo] of changes) {
    await must(sb, change);
    assert.deepEqual(await taken(), [1], `${what} changed by hand: that namespace is read`);
    if (undo[0] === 'netrecon') await sb.netreconOk([...undo.slice(1), ...files]);
    else await must(sb, undo);
    assert.deepEqual(await taken(), [2], `${what} put back: taken from the record again`);
  }

  // A link of the user's inside: read, and the delete refuses.
  await must(sb, ['ip', '-n', 'alpha', 'link', 'add', 'fx0', 'type', 'veth', 'peer', 'name', 'fx1']);
  assert.deepEqual(await taken(), [1]);
  const refused = await sb.netrecon(['delete', ...files]);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /netns\/alpha \(sandbox\/alpha\): holds .*fx0.*which netrecon does not own/);
  await must(sb, ['ip', '-n', 'alpha', 'link', 'del', 'fx0']);

  // An address added by hand is read, so a delete that fails anywhere puts it back with the namespace.
  await must(sb, ['ip', '-n', 'alpha', 'addr', 'add', '10.77.0.99/24', 'dev', 'eth0']);
  const before = await sb.normalisedSnapshot();
  let failed = 0;
  for (let n = 1; n <= 10; n++) {
    const result = await sb.netrecon(['delete', ...files], { env: { NETRECON_FAULT: `batch=${n}` } });
    if (!result.stderr.includes(`NETRECON_FAULT=batch=${n}`)) {
      assert.equal(result.exitCode, 0, result.stderr);
      break;
    }
    failed++;
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /rolled back/);
    const after = await settled(sb, before);
    assert.deepEqual(after, before, `batch=${n}: the rollback did not restore the state:\n${diffSnapshots(before, after).join('\n')}`);
    const addrs = await sb.run(['ip', '-n', 'alpha', '-br', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addrs.stdout, /10\.77\.0\.99\/24/, `batch=${n}: the address made by hand is back`);
  }
  assert.ok(failed >= 2, `the delete failed and was rolled back at ${failed} points`);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout.trim(), '', 'the last delete ran in full');
});
