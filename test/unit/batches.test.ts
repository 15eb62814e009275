import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Wave, type Command, type Step } from '../../src/model/plan.js';
import { HOST_NS, linkKey, netnsKey, type Resource, type VethResource } from '../../src/model/resource.js';
import { batchesOf, forwardLines, inverseLines } from '../../src/reconcile/batches.js';
import { planSteps } from '../../src/reconcile/plan.js';

const ip = (ns: string, wave: Wave, ...args: string[]): Command => ({ tool: 'ip', ns, wave, args });
const step = (id: number, commands: Command[], inverse: Command[] = []): Step =>
  ({ id, address: `x/${id}`, action: 'create', owner: 'sandbox/x', covers: [], commands, inverse });

test('commands group into ascending waves, one ip batch per namespace, order kept inside a batch', () => {
  const steps = [
    step(0, [ip(HOST_NS, Wave.hostCreate, 'netns', 'add', 'a'), ip('a', Wave.nsCreate, 'link', 'set', 'lo', 'up')]),
    step(1, [ip(HOST_NS, Wave.hostCreate, 'netns', 'add', 'b'), ip('b', Wave.nsCreate, 'link', 'set', 'lo', 'up')]),
    step(2, [ip('a', Wave.nsDelete, 'addr', 'del', '10.0.0.2/24', 'dev', 'eth0')]),
    step(3, [{ tool: 'nft', wave: Wave.firewall, format: 'text', script: 'table inet netrecon {}' }]),
  ];
  const waves = batchesOf(forwardLines(steps));
  assert.deepEqual(waves.map((w) => w.map((b) => `${b.wave}:${b.kind}:${b.ns}:${b.lines.map((l) => l.stepId).join(',')}`)), [
    ['0:ip:a:2'],
    ['2:ip:@host:0,1'],
    ['3:ip:a:0', '3:ip:b:1'],
    ['4:single:@single:3'],
  ]);
});

test('inverse lines run last step first', () => {
  const steps = [
    step(0, [], [ip(HOST_NS, Wave.hostDelete, 'netns', 'del', 'a')]),
    step(1, [], [ip('a', Wave.nsDelete, 'route', 'del', 'default'), ip('a', Wave.nsDelete, 'addr', 'del', '10.0.0.2/24', 'dev', 'eth0')]),
    step(2, [], [ip('a', Wave.nsDelete, 'link', 'del', 'x')]),
  ];
  const [first] = batchesOf(inverseLines(steps));
  assert.deepEqual(first?.[0]?.lines.map((l) => (l.command.tool === 'ip' ? l.command.args[0] : l.command.tool)), ['link', 'route', 'addr']);
  assert.deepEqual(first?.[0]?.lines.map((l) => l.stepId), [2, 1, 1]);
});

test('rollback brings bridge ports back in ascending order of their old numbers; steps without a port keep their place', () => {
  const port = (id: number, bridgePort: number): Step => ({
    ...step(id, [], [ip(HOST_NS, Wave.hostCreate, 'link', 'add', `v${id}`), ip(HOST_NS, Wave.hostCreate, 'link', 'set', `v${id}`, 'master', 'br0')]),
    bridgePort,
  });
  const other = step(1, [], [ip(HOST_NS, Wave.hostCreate, 'link', 'add', 'br1', 'type', 'bridge')]);
  // Plain reversal would run 3 (port 1), 2 (port 3), 1, 0 (port 2): ports 2 and 3 would swap numbers.
  const [first] = batchesOf(inverseLines([port(0, 2), other, port(2, 3), port(3, 1)]));
  assert.deepEqual(first?.[0]?.lines.map((l) => l.stepId), [3, 3, 0, 0, 1, 2, 2]);
});

test('a step that takes host veth ends off a bridge (delete, replace, moving update) records the lowest of their port numbers', () => {
  const veth = (ns: string, hostName: string, hostPort?: number): VethResource => ({
    type: 'veth', key: linkKey(ns, 'eth0'), ns, name: 'eth0', owner: `attachment/${ns}`, mac: '02:42:0a:00:00:02', up: true,
    hostName, hostMaster: 'br0', hostUp: true, hostIsolated: false, hostHairpin: false, ...(hostPort === undefined ? {} : { hostPort }),
  });
  const netns = (ns: string): Resource => ({ type: 'netns', key: netnsKey(ns), ns, owner: `sandbox/${ns}`, loUp: true });
  const plan = planSteps([
    { action: 'delete', observed: netns('a'), covers: [veth('a', 'nrv1', 5), veth('a', 'nrv2', 4)] },
    { action: 'replace', desired: veth('b', 'nrv3'), observed: veth('b', 'nrv4', 7), fields: [], covers: [] },
    { action: 'delete', observed: netns('c'), covers: [] },
    { action: 'create', desired: veth('d', 'nrv5') },
    { action: 'update', desired: { ...veth('e', 'nrv6'), hostMaster: 'br1' }, observed: veth('e', 'nrv6', 9), fields: [{ field: 'hostMaster', from: 'br0', to: 'br1' }] },
    { action: 'update', desired: { ...veth('f', 'nrv7'), up: false }, observed: veth('f', 'nrv7', 8), fields: [{ field: 'up', from: true, to: false }] },
  ], 'digest');
  assert.deepEqual(plan.steps.map((s) => s.bridgePort), [4, 7, undefined, undefined, 9, undefined]);
});
