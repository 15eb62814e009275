import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateAddresses, emptyLeaseTable, type LeaseTable } from '../../../src/ipam/index.js';
import type { AttachmentSpec, NetworkSpec } from '../../../src/model/manifest.js';
import { attachment, manifests, network } from '../../helpers/ipam-fixtures.js';

const run = (nets: NetworkSpec[], atts: AttachmentSpec[], leases: LeaseTable = emptyLeaseTable()) =>
  allocateAddresses({ manifests: manifests(nets, atts), leases });

const ipv4Of = (result: ReturnType<typeof run>): Record<string, string | undefined> =>
  Object.fromEntries([...result.assignments].map(([name, a]) => [name, a.ipv4]));

const net24 = network('frontend', '172.30.0.0/24');

describe('allocateAddresses: dynamic and static', () => {
  it('hands out the lowest free addresses in name order, skipping network and gateway', () => {
    const r = run([net24], ['c', 'a', 'b'].map((n) => attachment(n, 'frontend')));
    assert.deepEqual(ipv4Of(r), { a: '172.30.0.2', b: '172.30.0.3', c: '172.30.0.4' });
    assert.deepEqual([...r.assignments.keys()], ['a', 'b', 'c']);
    assert.equal(r.assignments.get('a')?.prefix, 24);
    assert.deepEqual(r.diagnostics, []);
  });

  it('gives a static address to its attachment and never to another', () => {
    const r = run([net24], [attachment('a', 'frontend'), attachment('s', 'frontend', { address: '172.30.0.2' })]);
    assert.deepEqual(ipv4Of(r), { a: '172.30.0.3', s: '172.30.0.2' });
    assert.deepEqual(r.leases.networks.frontend, { a: { ipv4: '172.30.0.3' }, s: { ipv4: '172.30.0.2' } });
  });

  it('skips a gateway in the middle of the pool', () => {
    const net = network('frontend', '10.0.0.0/29', { gateway: '10.0.0.2' });
    const r = run([net], ['a', 'b', 'c'].map((n) => attachment(n, 'frontend')));
    assert.deepEqual(ipv4Of(r), { a: '10.0.0.1', b: '10.0.0.3', c: '10.0.0.4' });
  });

  it('allocates from ipRange and never the subnet broadcast', () => {
    const net = network('frontend', '172.30.0.0/24', { ipRange: '172.30.0.252/30' });
    const r = run([net], ['a', 'b', 'c', 'd'].map((n) => attachment(n, 'frontend')));
    assert.deepEqual(ipv4Of(r), { a: '172.30.0.252', b: '172.30.0.253', c: '172.30.0.254' });
    assert.equal(r.assignments.get('a')?.prefix, 24, 'the prefix is the subnet one, not the range one');
    assert.equal(r.diagnostics.length, 1);
  });

  it('keeps the networks apart', () => {
    const back = network('backend', '10.1.0.0/24');
    const r = run([net24, back], [attachment('a', 'frontend'), attachment('b', 'backend'), attachment('c', 'backend')]);
    assert.deepEqual(ipv4Of(r), { a: '172.30.0.2', b: '10.1.0.2', c: '10.1.0.3' });
  });
});

describe('allocateAddresses: a static address a live dynamic attachment holds', () => {
  const first = run([net24], [attachment('alpha', 'frontend')]);
  const zeta = attachment('zeta', 'frontend', { address: '172.30.0.2' });

  it('is refused at the static attachment, naming the holder; nobody is renumbered', () => {
    assert.equal(ipv4Of(first).alpha, '172.30.0.2');
    const r = run([net24], [attachment('alpha', 'frontend'), zeta], first.leases);
    assert.deepEqual(ipv4Of(r), { alpha: '172.30.0.2' }, 'alpha keeps its address; zeta gets none');
    assert.deepEqual(r.diagnostics.map((d) => [d.file, d.code]), [['attachments/zeta.yaml', 'address-in-use']], 'one error, not also an exhausted pool');
    assert.match(r.diagnostics[0]?.message ?? '',
      /^attachment zeta: address 172\.30\.0\.2 on network frontend is held by attachment alpha \(attachments\/alpha\.yaml:\d+\), a dynamic address it keeps across applies; choose another address, or give alpha a static one$/);
  });

  it('is free once the holder is gone from the manifests', () => {
    const r = run([net24], [zeta], first.leases);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(ipv4Of(r).zeta, '172.30.0.2');
  });

  it('stays with a static attachment that already had it, and IPv6 is checked the same way', () => {
    const both = run([net24], [attachment('alpha', 'frontend'), zeta]);
    assert.deepEqual(ipv4Of(both), { alpha: '172.30.0.3', zeta: '172.30.0.2' });
    assert.deepEqual(run([net24], [attachment('alpha', 'frontend'), zeta], both.leases).diagnostics, [], 'a re-apply is no conflict');
    const dual = network('dual', '172.31.0.0/24', { subnet6: 'fd00:1::/64' });
    const six = run([dual], [attachment('a', 'dual')]);
    const r = run([dual], [attachment('a', 'dual'), attachment('b', 'dual', { address6: six.assignments.get('a')?.ipv6 ?? '' })], six.leases);
    assert.deepEqual(r.diagnostics.map((d) => [d.file, d.code]), [['attachments/b.yaml', 'address-in-use']]);
    assert.match(r.diagnostics[0]?.message ?? '', /address fd00:1::2 on network dual is held by attachment a/);
  });
});

describe('allocateAddresses: exhaustion and tiny subnets', () => {
  it('reports an exhausted pool at the attachment, naming network and pool', () => {
    const net = network('frontend', '172.30.0.0/24', { ipRange: '172.30.0.128/25' });
    const names = Array.from({ length: 128 }, (_, i) => `web${String(i).padStart(3, '0')}`);
    const r = run([net], names.map((n) => attachment(n, 'frontend')));
    assert.equal(r.assignments.size, 127);
    assert.equal(r.assignments.has('web127'), false);
    assert.deepEqual(r.diagnostics, [
      {
        file: 'attachments/web127.yaml', line: 3, col: 1, code: 'ipam-exhausted',
        message: 'network frontend: no free address in 172.30.0.128/25 for attachment web127 (127 in use)',
      },
    ]);
  });

  it('uses the one non-gateway address of a /31', () => {
    const net = network('p2p', '10.9.0.0/31');
    const r = run([net], [attachment('a', 'p2p'), attachment('b', 'p2p')]);
    assert.deepEqual(ipv4Of(r), { a: '10.9.0.1' });
    assert.match(r.diagnostics[0]?.message ?? '', /no free address in 10\.9\.0\.0\/31 for attachment b \(1 in use\)/);
  });

  it('has nothing to hand out in a /32 whose only address is the gateway', () => {
    const r = run([network('host', '10.9.0.7/32')], [attachment('a', 'host')]);
    assert.equal(r.assignments.size, 0);
    assert.match(r.diagnostics[0]?.message ?? '', /10\.9\.0\.7\/32 for attachment a \(0 in use\)/);
  });

  it('still honours a static address in a /32', () => {
    const net = network('host', '10.9.0.7/32', { gateway: '10.9.0.7' });
    const r = run([net], [attachment('a', 'host', { address: '10.9.0.7' })]);
    assert.deepEqual(ipv4Of(r), { a: '10.9.0.7' });
  });
});

describe('allocateAddresses: IPv6', () => {
  const dual = network('dual', '172.31.0.0/24', { subnet6: 'fd00:1::/64' });

  it('allocates address6 after the anycast and gateway6 addresses', () => {
    const r = run([dual], [attachment('a', 'dual'), attachment('b', 'dual', { address6: 'fd00:1::2' })]);
    assert.deepEqual(r.assignments.get('a'), { ipv4: '172.31.0.2', prefix: 24, ipv6: 'fd00:1::3', prefix6: 64 });
    assert.deepEqual(r.assignments.get('b'), { ipv4: '172.31.0.3', prefix: 24, ipv6: 'fd00:1::2', prefix6: 64 });
    assert.deepEqual(r.leases.networks.dual?.a, { ipv4: '172.31.0.2', ipv6: 'fd00:1::3' });
  });

  it('handles a /127 (no anycast address) and reports IPv6 exhaustion', () => {
    const net = network('p2p6', '10.9.0.0/29', { subnet6: 'fd00::/127' });
    const r = run([net], [attachment('a', 'p2p6'), attachment('b', 'p2p6')]);
    assert.deepEqual(r.assignments.get('a'), { ipv4: '10.9.0.2', prefix: 29, ipv6: 'fd00::1', prefix6: 127 });
    assert.equal(r.assignments.has('b'), false);
    assert.match(r.diagnostics[0]?.message ?? '', /no free address in fd00::\/127 for attachment b/);
  });

  it('does not materialise a /64', () => {
    const net = network('big6', '10.0.0.0/16', { subnet6: 'fd00::/64' });
    const r = run([net], Array.from({ length: 300 }, (_, i) => attachment(`a${i}`, 'big6')));
    assert.equal(r.assignments.size, 300);
    assert.equal(new Set([...r.assignments.values()].map((a) => a.ipv6)).size, 300);
  });
});
