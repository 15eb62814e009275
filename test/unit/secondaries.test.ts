/**
 * Deleting a primary IPv4 address makes the kernel delete the secondaries
 * of its subnet: the plan puts back the owned ones that stay (reconcile/plan.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IpCommand } from '../../src/model/plan.js';
import { addrKey, type AddrResource, type Resource } from '../../src/model/resource.js';
import { diffStates } from '../../src/reconcile/diff.js';
import { planSteps } from '../../src/reconcile/plan.js';

const addr = (cidr: string, dev = 'eth0'): AddrResource =>
  ({ type: 'addr', key: addrKey('web', dev, cidr), ns: 'web', dev, cidr, family: cidr.includes(':') ? 6 : 4, owner: 'attachment/web-front' });
const byKey = (...rs: Resource[]): Map<string, Resource> => new Map(rs.map((r) => [r.key, r]));

function lines(observed: Map<string, Resource>, desired: Map<string, Resource>): string[] {
  const plan = planSteps(diffStates(desired, observed, { prune: () => true }), 'd', { observed });
  return plan.steps.flatMap((s) => (s.commands as IpCommand[]).map((c) => c.args.join(' ')));
}

test('an address delete puts back the owned addresses of its subnet that stay, in the same step', () => {
  const observed = byKey(addr('10.77.0.20/24'), addr('10.77.0.21/24'), addr('10.88.0.5/16'), addr('10.77.0.22/24', 'eth1'), addr('fd00::5/64'));
  const desired = byKey(addr('10.77.0.21/24'), addr('10.88.0.5/16'), addr('10.77.0.22/24', 'eth1'), addr('fd00::5/64'));
  assert.deepEqual(lines(observed, desired), ['addr del 10.77.0.20/24 dev eth0', 'addr replace 10.77.0.21/24 dev eth0']);
});

test('nothing is put back when no owned address of that subnet stays, or for IPv6 (no primaries there)', () => {
  assert.deepEqual(lines(byKey(addr('10.77.0.20/24'), addr('10.77.0.21/24')), byKey()).sort(), ['addr del 10.77.0.20/24 dev eth0', 'addr del 10.77.0.21/24 dev eth0']);
  assert.deepEqual(lines(byKey(addr('fd00::5/64'), addr('fd00::6/64')), byKey(addr('fd00::6/64'))), ['addr del fd00::5/64 dev eth0']);
});
