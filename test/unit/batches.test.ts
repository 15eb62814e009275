import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Wave, type Command, type Step } from '../../src/model/plan.js';
import { HOST_NS } from '../../src/model/resource.js';
import { batchesOf, forwardLines, inverseLines } from '../../src/reconcile/batches.js';

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
