/**
 * Deleting a namespace a process is still in: `ip netns del` only unmounts
 * it, so the plan removes its links inside it first; which namespaces are
 * in use is read from /proc; and verification waits for (or reports) host
 * veth ends whose namespace is deleted but still alive.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wave, type IpCommand } from '../../src/model/plan.js';
import { HOST_NS, addrKey, linkKey, netnsKey, type Owner, type Resource, type VethResource } from '../../src/model/resource.js';
import { namespacesInUse } from '../../src/observe/holders.js';
import { diffStates } from '../../src/reconcile/diff.js';
import { planSteps } from '../../src/reconcile/plan.js';
import { lingeringHostEnds } from '../../src/reconcile/verify.js';

const netns = (ns: string): Resource => ({ type: 'netns', key: netnsKey(ns), ns, owner: `sandbox/${ns}`, loUp: true });
const veth = (ns: string, hostName: string): VethResource => ({
  type: 'veth', key: linkKey(ns, 'eth0'), ns, name: 'eth0', owner: `attachment/${ns}-eth0`, mac: '02:42:ac:11:00:02', up: true,
  hostName, hostMaster: 'br0', hostUp: true, hostIsolated: false, hostHairpin: false,
});
const addr = (ns: string): Resource => ({ type: 'addr', key: addrKey(ns, 'eth0', '172.17.0.2/16'), ns, dev: 'eth0', cidr: '172.17.0.2/16', family: 4, owner: `attachment/${ns}-eth0` });

const observed = new Map<string, Resource>([web(), db()].flat().map((r) => [r.key, r]));
function web(): Resource[] { return [netns('web'), veth('web', 'nrvweb'), addr('web')]; }
function db(): Resource[] { return [netns('db'), veth('db', 'nrvdb')]; }

const deleteAll = () => diffStates(new Map(), observed, { prune: () => true });
const ipLines = (cmds: readonly unknown[]): string[] =>
  (cmds as IpCommand[]).filter((c) => c.tool === 'ip').map((c) => `${c.ns} ${c.wave} ${c.args.join(' ')}`);

test('a namespace in use loses its links inside it before it is deleted; one not in use is only unmounted', () => {
  const plan = planSteps(deleteAll(), 'digest', { inUse: new Set(['web']) });
  const step = (ns: string) => plan.steps.find((s) => s.address === netnsKey(ns));
  assert.deepEqual(ipLines(step('web')?.commands ?? []), [`web ${Wave.nsDelete} link del eth0`, `${HOST_NS} ${Wave.hostDelete} netns del web`]);
  assert.deepEqual(ipLines(step('db')?.commands ?? []), [`${HOST_NS} ${Wave.hostDelete} netns del db`]);
  assert.deepEqual(step('web')?.inverse, planSteps(deleteAll(), 'digest').steps.find((s) => s.address === netnsKey('web'))?.inverse,
    'the inverse is the same: the namespace and its links are recreated as observed');
});

test('a sandbox moved to another namespace: the old namespace\'s veth is deleted by its host end name first, so the new one can take it', () => {
  const moved = veth('web2', 'nrvweb');
  const desired = new Map<string, Resource>([netns('web2'), moved, ...db()].map((r) => [r.key, { ...r, owner: r.owner.replace('web2', 'web') as Owner }]));
  const plan = planSteps(diffStates(desired, observed, { prune: () => true }), 'digest');
  const step = plan.steps.find((s) => s.address === netnsKey('web'));
  assert.deepEqual(ipLines(step?.commands ?? []), [`${HOST_NS} ${Wave.hostDelete} link del nrvweb`, `${HOST_NS} ${Wave.hostDelete} netns del web`]);
  const create = plan.steps.find((s) => s.address === linkKey('web2', 'eth0'));
  assert.ok(create && (create.commands[0]?.wave ?? 0) > Wave.hostDelete, 'the new veth is made in a later wave');
  assert.deepEqual(ipLines(plan.steps.find((s) => s.address === netnsKey('db'))?.commands ?? []), [], 'db is kept');
  assert.deepEqual(ipLines(planSteps(deleteAll(), 'digest').steps.find((s) => s.address === netnsKey('web'))?.commands ?? []),
    [`${HOST_NS} ${Wave.hostDelete} netns del web`], 'a plain delete only unmounts');
});

test('without namespaces in use the plan is as before', () => {
  assert.deepEqual(planSteps(deleteAll(), 'digest', { inUse: new Set() }), planSteps(deleteAll(), 'digest'));
});

test('a removed veth whose host end is still there is reported; ends of kept or recreated veths are not', () => {
  const desired = new Map<string, Resource>([netns('db'), veth('db', 'nrvdb')].map((r) => [r.key, r]));
  const removedOwners = new Set<Owner>(['sandbox/web', 'attachment/web-eth0']);
  const check = lingeringHostEnds(observed, desired, (r) => removedOwners.has(r.owner));
  assert.deepEqual(check(['attachment/web-eth0']), [
    `${linkKey(HOST_NS, 'nrvweb')}: still present (host end of attachment/web-eth0's veth: its namespace was deleted but something still holds it, a process or a mount)`,
  ]);
  assert.deepEqual(check(['attachment/db-eth0', 'attachment/other-eth0']), [], 'kept (desired) and unknown owners are not this plan\'s');
  assert.deepEqual(check([]), []);
  const noPrune = lingeringHostEnds(observed, desired, () => false);
  assert.deepEqual(noPrune(['attachment/web-eth0']), [], 'what is not pruned stays: its host end is expected');
});

test('namespacesInUse matches the namespaces mounted under the netns directory against every process\'s ns/net link', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'netrecon-holders-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const netnsDir = join(dir, 'netns');
  const proc = join(dir, 'proc');
  await mkdir(netnsDir);
  // A namespace file: this test's own namespace (any file on nsfs will do); a plain file is no namespace.
  await symlink('/proc/self/ns/net', join(netnsDir, 'web'));
  await writeFile(join(netnsDir, 'plain'), '');
  const ino = (await stat(join(netnsDir, 'web'))).ino;
  const plainIno = (await stat(join(netnsDir, 'plain'))).ino;
  const processLink = async (pid: string, target: string) => {
    await mkdir(join(proc, pid, 'ns'), { recursive: true });
    await symlink(target, join(proc, pid, 'ns', 'net'));
  };
  await processLink('self', '/proc/self/ns/net');
  await processLink('31', `net:[${ino}]`);
  await processLink('7', `net:[${ino}]`);
  await processLink('12', `net:[${plainIno}]`);
  await processLink('40', 'net:[1]');
  await mkdir(join(proc, '55')); // exited meanwhile: no ns/
  await mkdir(join(proc, 'sys'));
  const inUse = await namespacesInUse(netnsDir, ['web', 'plain', 'gone'], { procDir: proc });
  assert.deepEqual([...inUse], [['web', [7, 31]]]);
  assert.deepEqual([...(await namespacesInUse(netnsDir, ['plain'], { procDir: proc }))], [], 'no namespace: no lookup hits');
});
