/**
 * Moving a veth's host end to another bridge makes it a new bridge port,
 * whose isolation and hairpin the kernel resets to off: the update sets
 * them again (found by a review: icc: false was lost on a bridge rename).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IpCommand } from '../../src/model/plan.js';
import { linkKey, type VethResource } from '../../src/model/resource.js';
import { updateCommands } from '../../src/reconcile/commands.js';

const veth = (over: Partial<VethResource>): VethResource => ({
  type: 'veth', key: linkKey('web', 'eth0'), ns: 'web', name: 'eth0', owner: 'attachment/web-front', mac: '02:42:ac:1e:00:02', up: true,
  hostName: 'nrv1', hostMaster: 'nr-front', hostUp: true, hostIsolated: false, hostHairpin: false, ...over,
});
const lines = (from: VethResource, to: VethResource): string[] => (updateCommands(from, to) as IpCommand[]).map((c) => c.args.join(' '));
const FLAGS = (isolated: string, hairpin: string) => `link set nrv1 type bridge_slave isolated ${isolated} hairpin ${hairpin}`;

test('a veth moved to another bridge gets its isolation and hairpin set again, after the move', () => {
  const from = veth({ hostIsolated: true, hostHairpin: true });
  const moved = lines(from, veth({ hostMaster: 'br-x', hostIsolated: true, hostHairpin: true }));
  assert.equal(moved.length, 2, moved.join('\n'));
  assert.match(moved[0] ?? '', /^link set nrv1 master br-x alias netrecon:attachment\/web-front up$/);
  assert.equal(moved[1], FLAGS('on', 'on'));
  assert.deepEqual(lines(veth({ hostMaster: 'br-x', hostIsolated: true, hostHairpin: true }), from).slice(1), [FLAGS('on', 'on')], 'and so does the inverse');
});

test('a move needs no flag line when both flags are off, and a flag change on the same bridge needs no move', () => {
  assert.equal(lines(veth({}), veth({ hostMaster: 'br-x' })).length, 1);
  assert.deepEqual(lines(veth({}), veth({ hostIsolated: true })), [FLAGS('on', 'off')]);
  assert.deepEqual(lines(veth({ hostIsolated: true }), veth({ hostIsolated: true })), []);
});
