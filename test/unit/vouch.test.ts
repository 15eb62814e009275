/**
 * delete --no-refresh leaves a namespace unread only when the host's links
 * into it are exactly the record's veths (observe/vouch.ts), and then
 * builds its resources exactly as a read of the same kernel state would.
 * Pure: raw `ip -j` JSON in, resources out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import type { ManifestSet } from '../../src/model/manifest.js';
import type { Resource } from '../../src/model/resource.js';
import { withDigests } from '../../src/engine/applied.js';
import { confirmedByGlance, namespaceDigests, observedFromSnapshots, vouchedNamespaces, type JsonObject, type NamespaceSnapshot } from '../../src/observe/index.js';
import { linksFromIpJson } from '../../src/observe/parse.js';
import { nsidsFromJson } from '../../src/observe/nsids.js';
import { sandboxKernelResources, type Assignment } from '../../src/reconcile/desired.js';
import { hostVethName } from '../../src/reconcile/names.js';

const doc = (kind: string, name: string, spec: string): string => `apiVersion: netrecon.dev/v1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const NETWORKS = [
  doc('Network', 'front', '{driver: bridge, subnet: 10.80.0.0/24, gateway: 10.80.0.1, bridge: {icc: false}}'),
  doc('Network', 'back', '{driver: bridge, subnet: 10.81.0.0/24, gateway: 10.81.0.1}'),
  doc('Network', 'lan', '{driver: macvlan, subnet: 10.82.0.0/24, gateway: 10.82.0.1, macvlan: {parent: eth9}}'),
];
const MANIFESTS = [
  ...NETWORKS,
  doc('Sandbox', 'web', '{}'), doc('Sandbox', 'db', '{}'), doc('Sandbox', 'mv', '{}'), doc('Sandbox', 'idle', '{mode: none}'),
  doc('Attachment', 'web-front', '{sandbox: web, network: front, defaultRoute: true, publish: [{hostPort: 8080, port: 80}]}'),
  doc('Attachment', 'web-back', '{sandbox: web, network: back, interface: eth1, defaultRoute: false}'),
  doc('Attachment', 'db-back', '{sandbox: db, network: back, routes: [{to: 192.168.7.0/24, via: 10.81.0.254}]}'),
  doc('Attachment', 'mv-lan', '{sandbox: mv, network: lan}'),
];

function load(texts: readonly string[]): ManifestSet {
  const r = manifestsFromTexts([{ file: 'm.yaml', text: texts.join('---\n') }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.set;
}
const m = load(MANIFESTS);
const assignments = new Map<string, Assignment>([
  ['web-front', { ipv4: '10.80.0.2', prefix: 24 }], ['web-back', { ipv4: '10.81.0.2', prefix: 24 }],
  ['db-back', { ipv4: '10.81.0.3', prefix: 24 }], ['mv-lan', { ipv4: '10.82.0.2', prefix: 24 }],
]);
const NSIDS = new Map([['web', 0], ['db', 1], ['mv', 2], ['idle', 3]]);
const expected = (...sandboxes: string[]): Resource[] => sandboxKernelResources(m, new Set(sandboxes), assignments);

/** A veth host end as `ip -j -d link show` prints it. */
function hostEnd(ifindex: number, sandbox: string, dev: string, owner: string | undefined, nsid: number, over: Record<string, unknown> = {}): JsonObject {
  return {
    ifindex, ifname: hostVethName(sandbox, dev), flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500,
    address: `7e:2f:88:d6:80:${ifindex.toString(16).padStart(2, '0')}`, link_index: 2, link_netnsid: nsid,
    ...(owner === undefined ? {} : { ifalias: `netrecon:${owner}` }), master: 'nr-front',
    linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { isolated: true, hairpin: true, no: `0x${ifindex}` } },
    ...over,
  };
}
const HOST_LINKS: JsonObject[] = [
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536 },
  hostEnd(10, 'web', 'eth0', 'attachment/web-front', 0),
  hostEnd(11, 'web', 'eth1', 'attachment/web-back', 0, { master: 'nr-back' }),
  hostEnd(12, 'db', 'eth0', 'attachment/db-back', 1, { master: 'nr-back' }),
];
const hostLinks = (links: readonly JsonObject[]) => linksFromIpJson(links);

/** What `ip -j -d -batch` prints inside web when it holds exactly what the record says. */
function webSnapshot(): NamespaceSnapshot {
  const end = (ifindex: number, ifname: string, mac: string, alias: string): JsonObject => ({
    ifindex, ifname, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, address: mac, ifalias: alias, link_index: ifindex + 8, link_netnsid: 0,
    linkinfo: { info_kind: 'veth' },
  });
  const web0 = expected('web').find((r) => r.type === 'veth' && r.name === 'eth0');
  const web1 = expected('web').find((r) => r.type === 'veth' && r.name === 'eth1');
  if (web0?.type !== 'veth' || web1?.type !== 'veth') throw new Error('fixture: web has eth0 and eth1');
  return {
    ns: 'web',
    links: [
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, ifalias: 'netrecon:sandbox/web' },
      end(2, 'eth0', web0.mac, 'netrecon:attachment/web-front'), end(3, 'eth1', web1.mac, 'netrecon:attachment/web-back'),
    ],
    addrs: [
      { ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.80.0.2', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] },
      { ifname: 'eth1', addr_info: [{ family: 'inet', local: '10.81.0.2', prefixlen: 24, scope: 'global' }] },
    ],
    routes: [
      { type: 'unicast', dst: 'default', gateway: '10.80.0.1', dev: 'eth0', flags: [] },
      { type: 'unicast', dst: '10.80.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.80.0.2', flags: [] },
      { type: 'unicast', dst: '10.81.0.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '10.81.0.2', flags: [] },
    ],
  };
}

test('a namespace whose host-side links are exactly the record\'s veths is vouched for, with the resources a read finds', () => {
  const vouched = vouchedNamespaces(hostLinks(HOST_LINKS), NSIDS, expected('web', 'db'));
  assert.deepEqual([...vouched.namespaces].sort(), ['db', 'web']);
  const read = observedFromSnapshots({ ns: '@host', links: HOST_LINKS, addrs: [], routes: [] }, [webSnapshot()], { partial: true });
  const fromRead = [...read.resources.values()].filter((r) => r.ns === 'web');
  const fromRecord = vouched.resources.filter((r) => r.ns === 'web');
  const byKey = (rs: readonly Resource[]) => new Map(rs.map((r) => [r.key, r]));
  assert.deepEqual(byKey(fromRecord), byKey(fromRead), 'built exactly as a read builds them (host side as observed)');
  assert.equal(fromRead.length, 6, 'netns, two veths, two addresses, the default route');
  const db = vouched.resources.filter((r) => r.ns === 'db').map((r) => r.key).sort();
  assert.deepEqual(db, ['addr/db/eth0/10.81.0.3/24', 'link/db/eth0', 'netns/db', 'route/db/192.168.7.0/24', 'route/db/default']);
});

test('no vouching without the host\'s id for the namespace, or when a host end is missing, renamed, unmarked or points elsewhere', () => {
  const cases: [string, JsonObject[], ReadonlyMap<string, number>][] = [
    ['no nsid', HOST_LINKS, new Map([['db', 1]])],
    ['eth1\'s host end gone (deleted by hand)', HOST_LINKS.filter((l) => l['ifindex'] !== 11), NSIDS],
    ['eth1\'s host end renamed', HOST_LINKS.map((l) => (l['ifindex'] === 11 ? { ...l, ifname: 'other0' } : l)), NSIDS],
    ['eth1\'s host end unmarked', HOST_LINKS.map((l) => (l['ifindex'] === 11 ? { ...l, ifalias: undefined } : l)), NSIDS],
    ['eth1\'s host end marked for another attachment', HOST_LINKS.map((l) => (l['ifindex'] === 11 ? { ...l, ifalias: 'netrecon:attachment/db-back' } : l)), NSIDS],
    ['eth1\'s other end moved to db', HOST_LINKS.map((l) => (l['ifindex'] === 11 ? { ...l, link_netnsid: 1 } : l)), NSIDS],
  ];
  for (const [what, links, nsids] of cases) {
    const vouched = vouchedNamespaces(hostLinks(links), nsids, expected('web'));
    assert.deepEqual([...vouched.namespaces], [], what);
    assert.deepEqual(vouched.resources, [], what);
  }
});

test('a user\'s veth into the namespace (marked or not) stops the vouching: the namespace is read', () => {
  const theirs = hostEnd(20, 'x', 'y', undefined, 1, { ifname: 'user0' });
  const vouched = vouchedNamespaces(hostLinks([...HOST_LINKS, theirs]), NSIDS, expected('web', 'db'));
  assert.deepEqual([...vouched.namespaces], ['web'], 'db holds the other end of user0');
  const extra = hostEnd(21, 'db', 'eth5', 'attachment/db-back', 1);
  assert.deepEqual([...vouchedNamespaces(hostLinks([...HOST_LINKS, extra]), NSIDS, expected('db')).namespaces], [], 'a second end for db-back');
});

test('namespaces with a macvlan, or with no veth at all (mode none), are always read', () => {
  const vouched = vouchedNamespaces(hostLinks(HOST_LINKS), NSIDS, expected('mv', 'idle'));
  assert.deepEqual([...vouched.namespaces], []);
  assert.ok(expected('mv').some((r) => r.type === 'macvlan'), 'the record puts a macvlan in mv');
  assert.deepEqual(expected('idle').map((r) => r.key), ['netns/idle']);
});

test('`ip -j netns list` output: names with an id; namespaces without one are left out; anything else is refused', () => {
  assert.deepEqual(nsidsFromJson('[{"name":"b1","id":1},{"name":"x"},{"name":"b0","id":0}]\n'), new Map([['b1', 1], ['b0', 0]]));
  assert.deepEqual(nsidsFromJson(''), new Map());
  assert.throws(() => nsidsFromJson('{"name":"b1"}'), /JSON array/);
  assert.throws(() => nsidsFromJson('[{"id":1}]'), /without a name/);
});

test('the record\'s digests: carried for untouched namespaces, dropped for touched ones, taken from the verified state, never from the record itself', () => {
  const read = observedFromSnapshots({ ns: '@host', links: HOST_LINKS, addrs: [], routes: [] }, [webSnapshot()], { partial: true });
  const web = namespaceDigests(read.resources.values()).get('web');
  assert.ok(web !== undefined, 'web was read');
  const set = { manifests: m, assignments, digests: new Map([['db', 'old-db'], ['idle', 'old-idle']]) };
  assert.deepEqual(withDigests(set, new Set(['idle'])).digests, new Map([['db', 'old-db']]));
  assert.deepEqual(withDigests(set, new Set(['idle', 'web']), read).digests, new Map([['db', 'old-db'], ['web', web]]));
  assert.deepEqual(withDigests(set, new Set(['web']), { ...read, vouched: ['web'] }).digests, new Map([['db', 'old-db'], ['idle', 'old-idle']]));
  const vouched = vouchedNamespaces(hostLinks(HOST_LINKS), NSIDS, expected('web'));
  assert.equal(namespaceDigests(vouched.resources).get('web'), web, 'what the record builds hashes as the read does');
  const twice = [...vouched.resources, ...vouched.resources.filter((r) => r.type === 'route')];
  assert.notEqual(namespaceDigests(twice).get('web'), web, 'two resources under one key never match a read');
});

test('a plain delete takes a vouched namespace from the record only when a glance inside finds exactly what the record builds', () => {
  const vouched = vouchedNamespaces(hostLinks(HOST_LINKS), NSIDS, expected('web', 'db'));
  const glance = (web: NamespaceSnapshot): Map<string, NamespaceSnapshot> => new Map([['web', web]]);
  const confirmed = confirmedByGlance(vouched, glance(webSnapshot()), hostLinks(HOST_LINKS), NSIDS);
  assert.deepEqual([...confirmed.namespaces], ['web'], 'db was not seen: it is read');
  assert.deepEqual(confirmed.resources, vouched.resources.filter((r) => r.ns === 'web'));

  const w = webSnapshot();
  const [lo, eth0, eth1] = w.links as [JsonObject, JsonObject, JsonObject];
  const [a0, a1] = w.addrs as [JsonObject, JsonObject];
  const cases: [string, NamespaceSnapshot][] = [
    ['a link of the user\'s inside', { ...w, links: [...w.links, { ifindex: 9, ifname: 'fx0', flags: ['UP'], mtu: 1500 }] }],
    ['eth0 unmarked', { ...w, links: [lo, { ...eth0, ifalias: undefined }, eth1] }],
    ['lo unmarked (not netrecon\'s namespace any more)', { ...w, links: [{ ...lo, ifalias: undefined }, eth0, eth1] }],
    ['eth0 with another MAC', { ...w, links: [lo, { ...eth0, address: '02:00:00:00:00:99' }, eth1] }],
    ['eth0 with another MTU', { ...w, links: [lo, { ...eth0, mtu: 1300 }, eth1] }],
    ['eth0 down', { ...w, links: [lo, { ...eth0, flags: [] }, eth1] }],
    ['eth0 paired with a link that is no host end of web', { ...w, links: [lo, { ...eth0, link_index: 12 }, eth1] }],
    ['an address added', { ...w, addrs: [{ ...a0, addr_info: [...(a0['addr_info'] as JsonObject[]), { family: 'inet', local: '192.0.2.7', prefixlen: 32, scope: 'global' }] }, a1] }],
    ['an address gone', { ...w, addrs: [a0, { ...a1, addr_info: [] }] }],
    ['a route added', { ...w, routes: [...w.routes, { type: 'unicast', dst: '198.51.100.0/24', gateway: '10.80.0.254', dev: 'eth0' }] }],
    ['the default route gone', { ...w, routes: w.routes.slice(1) }],
    ['the default route through another gateway', { ...w, routes: [{ ...(w.routes[0] as JsonObject), gateway: '10.80.0.254' }, ...w.routes.slice(1)] }],
    ['an IPv6 address added', { ...w, addrs: [{ ...a0, addr_info: [...(a0['addr_info'] as JsonObject[]), { family: 'inet6', local: 'fd00::7', prefixlen: 64, scope: 'global' }] }, a1] }],
    ['an IPv6 route added', { ...w, routes: [...w.routes, { type: 'unicast', dst: 'fd99::/48', gateway: 'fd00::fe', dev: 'eth0', pref: 'medium' }] }],
    ['eth0\'s peer in this namespace, not on the host', { ...w, links: [lo, { ...eth0, link_netnsid: undefined }, eth1] }],
  ];
  for (const [what, snapshot] of cases) {
    assert.deepEqual([...confirmedByGlance(vouched, glance(snapshot), hostLinks(HOST_LINKS), NSIDS).namespaces], [], what);
  }
  const ignored: [string, NamespaceSnapshot][] = [
    ['a route in another table', { ...w, routes: [...w.routes, { type: 'unicast', dst: '203.0.113.0/24', dev: 'eth0', table: '100' }] }],
    ['a route the kernel made', { ...w, routes: [...w.routes, { type: 'unicast', dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', pref: 'medium' }] }],
    ['a link-local address', { ...w, addrs: [a0, { ...a1, addr_info: [...(a1['addr_info'] as JsonObject[]), { family: 'inet6', local: 'fe80::7', prefixlen: 64, scope: 'link' }] }] }],
  ];
  for (const [what, snapshot] of ignored) {
    assert.deepEqual([...confirmedByGlance(vouched, glance(snapshot), hostLinks(HOST_LINKS), NSIDS).namespaces], ['web'],
      `${what} is nobody's resource, as in a read: the namespace is still as the record builds it`);
  }
  assert.deepEqual([...confirmedByGlance(vouched, glance(webSnapshot()), hostLinks(HOST_LINKS), new Map()).namespaces], [], 'no id for web on the host');
});
