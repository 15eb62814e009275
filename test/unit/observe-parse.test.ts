/** Pure parsers and the digest: edge cases the recorded output does not show. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, digestObserved, observedFromSnapshots, type NamespaceSnapshot } from '../../src/observe/index.js';
import { splitJsonValues } from '../../src/observe/ipjson.js';
import { canonicalDst, linksFromIpJson, routesFromIpJson } from '../../src/observe/parse.js';
import type { ObservedState, Resource } from '../../src/model/resource.js';

const link = (ifindex: number, ifname: string, extra: Record<string, unknown> = {}) => ({ ifindex, ifname, flags: ['UP'], ...extra });
const owned = (ifindex: number, ifname: string, kind: string, owner: string) =>
  link(ifindex, ifname, { ifalias: `netrecon:${owner}`, linkinfo: { info_kind: kind } });
const snap = (ns: string, parts: Partial<Omit<NamespaceSnapshot, 'ns'>>): NamespaceSnapshot => ({ ns, links: [], addrs: [], routes: [], ...parts });

describe('splitJsonValues', () => {
  it('splits concatenated arrays, brackets inside strings included', () => {
    assert.deepEqual(splitJsonValues('[{"a":"]["}]\n[]\n[{"b":"\\"]"}]\n'), [[{ a: '][' }], [], [{ b: '"]' }]]);
  });
  it('reads one value per line, and values spread over lines or sharing one', () => {
    assert.deepEqual(splitJsonValues('[1]\n  \n{"a":[2]}\n'), [[1], { a: [2] }]);
    assert.deepEqual(splitJsonValues('[1,\n2] [3]\n'), [[1, 2], [3]]);
  });
  it('rejects text between values and unterminated values', () => {
    assert.throws(() => splitJsonValues('[] x []'), SyntaxError);
    assert.throws(() => splitJsonValues('[[]'), SyntaxError);
  });
});

describe('links and routes from ip JSON', () => {
  it('ignores unknown fields, lower-cases MACs and skips entries without a name', () => {
    const links = linksFromIpJson([link(2, 'x', { address: 'AA:BB:CC:DD:EE:FF', future_field: { deep: 1 } }), { ifindex: 3 }]);
    assert.deepEqual(links.map((l) => [l.ifname, l.mac, l.up, l.kind]), [['x', 'aa:bb:cc:dd:ee:ff', true, undefined]]);
  });

  it('reads a bridge port number printed in hex, and ignores one that is not a number', () => {
    const port = (no: unknown) => link(5, 'p', { linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { no } } });
    assert.deepEqual(linksFromIpJson([port('0x1f'), port(3), port('abc'), link(6, 'q')]).map((l) => l.portNo), [31, 3, undefined, undefined]);
  });

  it('canonicalises destinations', () => {
    assert.equal(canonicalDst('10.1.2.3', 4), '10.1.2.3/32');
    assert.equal(canonicalDst('10.1.2.3/16', 4), '10.1.0.0/16');
    assert.equal(canonicalDst('2001:DB8:0:0::/32', 6), '2001:db8::/32');
    assert.equal(canonicalDst('default', 6), 'default');
    assert.equal(canonicalDst('nonsense', 4), undefined);
  });

  it('tells IPv6 routes by address or by the pref field', () => {
    const routes = routesFromIpJson([{ dst: 'default', dev: 'e', pref: 'medium' }, { dst: 'default', gateway: '10.0.0.1' }, { dst: 'fd00::/8' }]);
    assert.deepEqual(routes.map((r) => r.family), [6, 4, 6]);
  });
});

describe('routes and addresses kept', () => {
  const web = snap('web', {
    links: [owned(1, 'lo', 'loopback', 'sandbox/web'), owned(2, 'eth0', 'veth', 'attachment/web-a'), link(3, 'fx0')],
    addrs: [link(2, 'eth0', { addr_info: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: 'global' }] }),
      link(3, 'fx0', { addr_info: [{ family: 'inet', local: '10.9.0.5', prefixlen: 24, scope: 'global' }] })],
    routes: [
      { type: 'unicast', dst: '10.1.0.0/16', gateway: '10.0.0.1', dev: 'eth0', table: 'main', protocol: 'boot' },
      { type: 'unicast', dst: '10.2.0.0/16', gateway: '10.0.0.1', dev: 'eth0', table: '100' },
      { type: 'unicast', dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', pref: 'medium' },
      { type: 'unicast', dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel' },
      { type: 'unicast', dst: '10.9.0.0/16', gateway: '10.9.0.1', dev: 'fx0' },
    ],
  });
  const host = snap('@host', { links: [owned(9, 'nrv1', 'veth', 'attachment/web-a')] });
  const state = observedFromSnapshots(host, [web]);

  it('keeps main-table routes on owned links that the kernel did not add', () => {
    assert.deepEqual([...state.resources.keys()].filter((k) => k.startsWith('route/')), ['route/web/10.1.0.0/16']);
  });
  it('keeps addresses on owned links only', () => {
    assert.deepEqual([...state.resources.keys()].filter((k) => k.startsWith('addr/')), ['addr/web/eth0/10.0.0.5/24']);
  });
  it('a veth whose host end has another owner is two strays', () => {
    const other = observedFromSnapshots(snap('@host', { links: [owned(9, 'nrv1', 'veth', 'attachment/other')] }), [web]);
    assert.deepEqual([...other.resources.values()].filter((r) => r.type === 'stray-link').map((r) => r.key), ['link/@host/nrv1', 'link/web/eth0']);
  });
});

describe('digestObserved', () => {
  const r1: Resource = { type: 'netns', key: 'netns/a', ns: 'a', owner: 'sandbox/a', loUp: true };
  const r2: Resource = { type: 'netns', key: 'netns/b', ns: 'b', owner: 'sandbox/b', loUp: false };
  const state = (...rs: Resource[]): ObservedState => ({ resources: new Map(rs.map((r) => [r.key, r])), foreign: new Map() });

  it('does not depend on insertion order or property order', () => {
    const reordered: Resource = { loUp: true, owner: 'sandbox/a', ns: 'a', key: 'netns/a', type: 'netns' };
    assert.equal(digestObserved(state(r1, r2)), digestObserved(state(r2, reordered)));
    assert.match(digestObserved(state(r1)), /^[0-9a-f]{64}$/);
  });
  it('changes when a field changes', () => {
    assert.notEqual(digestObserved(state(r1, r2)), digestObserved(state(r1, { ...r2, loUp: true })));
  });
  it('canonical JSON sorts keys at every level and drops undefined fields', () => {
    assert.equal(canonicalJson({ b: [{ d: 1, c: undefined }], a: 'x' }), '{"a":"x","b":[{"d":1}]}');
  });
});
