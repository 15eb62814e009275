import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateAddresses, emptyLeaseTable, isLeaseTable, type LeaseTable } from '../../../src/ipam/index.js';
import type { AttachmentSpec, NetworkSpec } from '../../../src/model/manifest.js';
import { attachment, manifests, network } from '../../helpers/ipam-fixtures.js';

const step = (nets: NetworkSpec[], atts: AttachmentSpec[], leases: LeaseTable) => allocateAddresses({ manifests: manifests(nets, atts), leases });

const net = network('frontend', '172.30.0.0/24');
const small = network('frontend', '10.0.0.0/29'); // .1 gateway; .2-.6 usable
const dyn = (...names: string[]) => names.map((n) => attachment(n, 'frontend'));

describe('lease stability', () => {
  it('keeps addresses when an attachment that sorts first is added', () => {
    const first = step([net], dyn('b', 'c'), emptyLeaseTable());
    const second = step([net], dyn('a', 'b', 'c'), first.leases);
    assert.equal(second.assignments.get('b')?.ipv4, '172.30.0.2');
    assert.equal(second.assignments.get('c')?.ipv4, '172.30.0.3');
    assert.equal(second.assignments.get('a')?.ipv4, '172.30.0.4');
  });

  it('keeps a deleted attachment lease, released, and gives it back on re-creation', () => {
    const first = step([net], dyn('a', 'b'), emptyLeaseTable());
    const deleted = step([net], dyn('b'), first.leases);
    assert.deepEqual(deleted.leases.networks.frontend?.a, { ipv4: '172.30.0.2', released: 1 });
    assert.equal(deleted.leases.counter, 1);
    const other = step([net], dyn('b', 'c'), deleted.leases);
    assert.equal(other.assignments.get('c')?.ipv4, '172.30.0.4', 'a new attachment does not get the released lease');
    const back = step([net], dyn('a', 'b', 'c'), other.leases);
    assert.equal(back.assignments.get('a')?.ipv4, '172.30.0.2');
    assert.deepEqual(back.leases.networks.frontend?.a, { ipv4: '172.30.0.2' });
    assert.equal(back.leases.counter, 1, 'the counter only moves on release');
  });

  it('hands released leases out only when the pool is full, oldest release first', () => {
    const full = step([small], dyn('a', 'b', 'c', 'd', 'e'), emptyLeaseTable());
    const gone1 = step([small], dyn('a', 'b', 'c', 'e'), full.leases); // d (.5) released at 1
    const gone2 = step([small], dyn('b', 'c', 'e'), gone1.leases); // a (.2) released at 2
    const refill = step([small], dyn('b', 'c', 'e', 'x'), gone2.leases);
    assert.equal(refill.assignments.get('x')?.ipv4, '10.0.0.5', 'oldest release (d) goes first');
    assert.equal(refill.leases.networks.frontend?.d, undefined);
    assert.deepEqual(refill.leases.networks.frontend?.a, { ipv4: '10.0.0.2', released: 2 });
    const more = step([small], dyn('b', 'c', 'e', 'x', 'y'), refill.leases);
    assert.equal(more.assignments.get('y')?.ipv4, '10.0.0.2');
    assert.equal(more.leases.networks.frontend?.a, undefined);
  });

  it('keeps a lease holder\'s address when another attachment claims it as static: the claim is the error', () => {
    const first = step([net], dyn('a'), emptyLeaseTable());
    const second = step([net], [...dyn('a'), attachment('s', 'frontend', { address: '172.30.0.2' })], first.leases);
    assert.equal(second.assignments.get('a')?.ipv4, '172.30.0.2');
    assert.equal(second.assignments.has('s'), false);
    assert.deepEqual(second.diagnostics.map((d) => d.code), ['address-in-use']);
  });

  it('reallocates a lease that fell out of a narrowed ipRange', () => {
    const first = step([net], dyn('a'), emptyLeaseTable());
    const narrowed = network('frontend', '172.30.0.0/24', { ipRange: '172.30.0.64/26' });
    assert.equal(step([narrowed], dyn('a'), first.leases).assignments.get('a')?.ipv4, '172.30.0.64');
  });

  it('releases the leases of a network that is gone, and of an attachment that moved', () => {
    const back = network('backend', '10.1.0.0/24');
    const first = step([net, back], [attachment('a', 'frontend'), attachment('b', 'backend')], emptyLeaseTable());
    const moved = step([net], [attachment('b', 'frontend')], first.leases);
    assert.deepEqual(moved.leases.networks.backend, { b: { ipv4: '10.1.0.2', released: 1 } });
    assert.deepEqual(moved.leases.networks.frontend?.a, { ipv4: '172.30.0.2', released: 2 }, 'released in network-name order');
    assert.equal(moved.assignments.get('b')?.ipv4, '172.30.0.3');
  });

  it('resolves a corrupt table with two holders of one address by name order', () => {
    const leases: LeaseTable = { version: 1, counter: 0, networks: { frontend: { a: { ipv4: '172.30.0.9' }, b: { ipv4: '172.30.0.9' } } } };
    const r = step([net], dyn('a', 'b'), leases);
    assert.equal(r.assignments.get('a')?.ipv4, '172.30.0.9');
    assert.equal(r.assignments.get('b')?.ipv4, '172.30.0.2');
  });
});

describe('isLeaseTable', () => {
  it('accepts what allocation returns', () => {
    const r = step([net], dyn('a', 'b'), emptyLeaseTable());
    assert.equal(isLeaseTable(JSON.parse(JSON.stringify(r.leases))), true);
  });

  for (const [what, value] of [
    ['null', null],
    ['wrong version', { version: 2, counter: 0, networks: {} }],
    ['negative counter', { version: 1, counter: -1, networks: {} }],
    ['unknown field', { version: 1, counter: 0, networks: {}, extra: 1 }],
    ['bad address', { version: 1, counter: 0, networks: { n: { a: { ipv4: '300.0.0.1' } } } }],
    ['IPv6 in ipv4', { version: 1, counter: 0, networks: { n: { a: { ipv4: 'fd00::1' } } } }],
    ['bad name', { version: 1, counter: 0, networks: { __proto__x: {} } }],
    ['bad released', { version: 1, counter: 0, networks: { n: { a: { released: 1.5 } } } }],
  ] as const) {
    it(`rejects ${what}`, () => assert.equal(isLeaseTable(value), false));
  }
});
