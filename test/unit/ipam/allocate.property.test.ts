import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allocateAddresses, emptyLeaseTable, isLeaseTable, leasesFromObserved, type AllocateResult, type LeaseTable } from '../../../src/ipam/index.js';
import type { AttachmentSpec, ManifestSet, NetworkSpec } from '../../../src/model/manifest.js';
import { bigintToIp, contains, ipToBigint, lastAddress, parseCidr } from '../../../src/util/cidr.js';
import { attachment, manifests, network, observedFrom } from '../../helpers/ipam-fixtures.js';

interface Scenario {
  readonly net: NetworkSpec;
  readonly attachments: AttachmentSpec[];
}

/** One network 10.20.0.0/P (P 24..30), maybe a half-subnet ipRange, maybe IPv6, with up to 40 attachments, some static. */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    prefix: fc.integer({ min: 24, max: 30 }),
    upperHalf: fc.boolean(),
    dual: fc.boolean(),
    gatewayOffset: fc.nat(),
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 39 }), { maxLength: 40 }),
    staticOffsets: fc.uniqueArray(fc.nat(), { maxLength: 6 }),
  })
  .map(({ prefix, upperHalf, dual, gatewayOffset, ids, staticOffsets }) => {
    const size = 2 ** (32 - prefix);
    const base = ipToBigint('10.20.0.0');
    const gateway = bigintToIp(base + 1n + BigInt(gatewayOffset % (size - 2)), 4);
    const half = `10.20.0.${size / 2}/${prefix + 1}`;
    const net = network('net', `10.20.0.0/${prefix}`, { gateway, ...(upperHalf ? { ipRange: half } : {}), ...(dual ? { subnet6: 'fd00:20::/120' } : {}) });
    const statics = [...new Set(staticOffsets.map((o) => bigintToIp(base + 1n + BigInt(o % (size - 2)), 4)))].filter((ip) => ip !== gateway);
    const attachments = ids.map((id, i) => attachment(`a${String(id).padStart(2, '0')}`, 'net', i < statics.length ? { address: statics[i] } : {}));
    return { net, attachments };
  });

const setOf = (s: Scenario, atts: readonly AttachmentSpec[] = s.attachments): ManifestSet => manifests([s.net], [...atts]);
const run = (m: ManifestSet, leases: LeaseTable = emptyLeaseTable()): AllocateResult => allocateAddresses({ manifests: m, leases });
const snapshot = (r: AllocateResult): string => JSON.stringify({ a: [...r.assignments], l: r.leases, d: r.diagnostics });

function assertInvariants(s: Scenario, r: AllocateResult): void {
  const subnet = parseCidr(s.net.subnet);
  const range = parseCidr(s.net.ipRange);
  assert.ok(subnet && range);
  const reserved = new Set([bigintToIp(subnet.base, 4), bigintToIp(lastAddress(subnet), 4), s.net.gateway]);
  const ips = [...r.assignments.values()].map((a) => a.ipv4);
  assert.equal(new Set(ips).size, ips.length, 'no duplicate IPv4 addresses');
  const ip6s = [...r.assignments.values()].flatMap((a) => (a.ipv6 === undefined ? [] : [a.ipv6]));
  assert.equal(new Set(ip6s).size, ip6s.length, 'no duplicate IPv6 addresses');
  for (const a of s.attachments) {
    const got = r.assignments.get(a.name);
    if (got === undefined || a.address !== undefined) continue;
    assert.ok(!reserved.has(got.ipv4), `${got.ipv4} is network, broadcast or gateway`);
    assert.ok(contains(range, got.ipv4), `${got.ipv4} outside ${s.net.ipRange}`);
    if (s.net.subnet6 !== undefined) assert.ok(got.ipv6 !== 'fd00:20::' && got.ipv6 !== s.net.gateway6);
  }
  assert.equal(r.assignments.size + r.diagnostics.length, s.attachments.length);
  assert.ok(isLeaseTable(JSON.parse(JSON.stringify(r.leases))));
}

describe('allocateAddresses properties', () => {
  it('never duplicates and never hands out network, broadcast or gateway', () => {
    fc.assert(fc.property(scenario, (s) => assertInvariants(s, run(setOf(s)))));
  });

  it('is stable: re-running with the returned leases changes nothing', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const first = run(setOf(s));
        assert.equal(snapshot(run(setOf(s), first.leases)), snapshot(first));
      }),
    );
  });

  it('does not depend on the order of the input maps', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (s, seed) => {
        const shuffled = [...s.attachments].sort((a, b) => ((a.name.charCodeAt(2) * seed) % 7) - ((b.name.charCodeAt(2) * seed) % 7));
        assert.equal(snapshot(run(setOf(s, shuffled))), snapshot(run(setOf(s, [...s.attachments].reverse()))));
      }),
    );
  });

  it('gives a removed-then-re-added attachment its address back', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (s, pick) => {
        const first = run(setOf(s));
        fc.pre(first.diagnostics.length === 0 && s.attachments.length > 0);
        const gone = s.attachments[pick % s.attachments.length] as AttachmentSpec;
        const without = run(setOf(s, s.attachments.filter((a) => a !== gone)), first.leases);
        assertInvariants({ ...s, attachments: s.attachments.filter((a) => a !== gone) }, without);
        const back = run(setOf(s), without.leases);
        assert.deepEqual(back.assignments.get(gone.name), first.assignments.get(gone.name));
      }),
    );
  });

  it('keeps every address when the lease file is lost and rebuilt from live state', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const first = run(setOf(s));
        const rebuilt = leasesFromObserved(observedFrom(first.assignments), setOf(s));
        assert.deepEqual([...run(setOf(s), rebuilt).assignments], [...first.assignments]);
      }),
    );
  });

  it('keeps the addresses of attachments that survive a sequence of changes', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), { minLength: 1, maxLength: 5 }), (s, steps) => {
        let prior = run(setOf(s));
        for (const keep of steps) {
          const atts = s.attachments.filter((_, i) => keep[i]);
          const next = run(setOf(s, atts), prior.leases);
          assertInvariants({ ...s, attachments: atts }, next);
          const statics = new Set(s.attachments.flatMap((a) => (a.address === undefined ? [] : [a.address])));
          for (const [name, a] of next.assignments) {
            const before = prior.assignments.get(name);
            if (before !== undefined && !statics.has(before.ipv4)) assert.equal(a.ipv4, before.ipv4, `${name} moved`);
          }
          prior = next;
        }
      }),
    );
  });
});
