import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateAddresses, emptyLeaseTable, type LeaseTable } from '../../../src/ipam/index.js';
import { AddressPool } from '../../../src/ipam/pool.js';
import { ipToBigint, parseCidr } from '../../../src/util/cidr.js';
import { attachment, manifests, network } from '../../helpers/ipam-fixtures.js';

/** Cost is checked by counting cursor steps, never by timing. */
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `att-${String(i).padStart(5, '0')}`);

describe('IPAM at scale', () => {
  it('allocates 5000 attachments on a /16, all distinct', () => {
    const net = network('big', '10.100.0.0/16');
    const r = allocateAddresses({ manifests: manifests([net], names(5000).map((n) => attachment(n, 'big'))), leases: emptyLeaseTable() });
    assert.equal(r.assignments.size, 5000);
    assert.equal(new Set([...r.assignments.values()].map((a) => a.ipv4)).size, 5000);
    assert.equal(r.assignments.get('att-04999')?.ipv4, '10.100.19.137');
  });

  it('re-runs 5000 leases plus 5000 released ones on a /16 without moving anything', () => {
    const net = network('big', '10.100.0.0/16');
    const all = names(10000).map((n) => attachment(n, 'big'));
    const first = allocateAddresses({ manifests: manifests([net], all), leases: emptyLeaseTable() });
    const half = allocateAddresses({ manifests: manifests([net], all.filter((_, i) => i % 2 === 0)), leases: first.leases });
    assert.equal(half.leases.counter, 5000);
    for (const [name, a] of half.assignments) assert.equal(a.ipv4, first.assignments.get(name)?.ipv4);
  });

  it('walks the cursor over taken addresses only, even in a /8', () => {
    const range = parseCidr('10.0.0.0/8');
    assert.ok(range);
    const pool = new AddressPool(range, [range.base, ipToBigint('10.0.0.1'), ipToBigint('10.255.255.255')]);
    for (let i = 0; i < 100; i++) pool.take(range.base + 2n + BigInt(i * 37));
    for (let i = 0; i < 5000; i++) assert.notEqual(pool.takeLowestFree(), undefined);
    assert.ok(pool.probes <= 5000 + 100 + 3, `cursor stepped ${pool.probes} times`);
    assert.equal(pool.inUse, 5100);
  });

  it('allocates in a /8 with leases spread across it', () => {
    const net = network('huge', '10.0.0.0/8');
    const leases: LeaseTable = {
      version: 1,
      counter: 0,
      networks: { huge: Object.fromEntries(names(1000).map((n, i) => [n, { ipv4: `10.${i % 250}.${(i * 7) % 256}.9` }])) },
    };
    const atts = names(2000).map((n) => attachment(n, 'huge'));
    const r = allocateAddresses({ manifests: manifests([net], atts), leases });
    assert.equal(r.assignments.size, 2000);
    assert.equal(r.assignments.get('att-00003')?.ipv4, '10.3.21.9');
    assert.equal(r.assignments.get('att-01000')?.ipv4, '10.0.0.2');
  });

  it('reports every attachment past an exhausted /22 without rescanning the pool', () => {
    const net = network('mid', '10.7.0.0/22');
    const r = allocateAddresses({ manifests: manifests([net], names(2000).map((n) => attachment(n, 'mid'))), leases: emptyLeaseTable() });
    assert.equal(r.assignments.size, 1021);
    assert.equal(r.diagnostics.length, 979);
    assert.match(r.diagnostics[0]?.message ?? '', /\(1021 in use\)$/);
  });
});
