/**
 * rtnetlink dumps → the entries `ip -j` prints (observe/rtnetlink.ts), on
 * dumps recorded beside `ip -j` output of the same state
 * (test/fixtures/netlink/README.md), and on messages made here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { namespaceToResources, snapshotFromBatch } from '../../src/observe/index.js';
import type { NamespaceSnapshot } from '../../src/observe/ipjson.js';
import { addrsFromIpJson, linksFromIpJson, routesFromIpJson } from '../../src/observe/parse.js';
import { hostIfindexTable } from '../../src/observe/resources.js';
import { addressText, NetlinkParseError, snapshotsFromDumps } from '../../src/observe/rtnetlink.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/netlink/', import.meta.url));
const recorded = (name: string): string => readFileSync(join(dir, name), 'utf8');
const glanced = snapshotsFromDumps(recorded('glance.txt'));
const byIp = (ns: string): NamespaceSnapshot => snapshotFromBatch(ns, recorded(`${ns}.out`));
const sortedJson = <T>(items: readonly T[]): string[] => items.map((i) => JSON.stringify(i)).sort();

test('recorded dumps give what `ip -j` printed of the same namespaces: links, every address and unicast route, resources and foreign links', () => {
  assert.deepEqual([...glanced.keys()], ['alpha', 'quiet']);
  const hostIndex = hostIfindexTable(byIp('@host'));
  for (const ns of ['alpha', 'quiet']) {
    const glance = glanced.get(ns);
    assert.ok(glance);
    const ip = byIp(ns);
    const fields = (s: NamespaceSnapshot) => linksFromIpJson(s.links).map((l) => [l.ifindex, l.ifname, l.up, l.mtu, l.mac, l.alias, l.kind, l.link, l.linkIndex, l.linkNetnsid, l.master]);
    assert.deepEqual(fields(glance), fields(ip), `${ns}: links`);
    assert.deepEqual(addrsFromIpJson(glance.addrs), addrsFromIpJson(ip.addrs), `${ns}: addresses`);
    assert.deepEqual(sortedJson(routesFromIpJson(glance.routes)), sortedJson(routesFromIpJson(ip.routes)), `${ns}: routes`);
    assert.deepEqual(namespaceToResources(glance, hostIndex), namespaceToResources(ip, hostIndex), `${ns}: what observe builds`);
  }
  const alpha = namespaceToResources(glanced.get('alpha') as NamespaceSnapshot, hostIndex).resources.map((r) => r.key);
  for (const key of ['netns/alpha', 'addr/alpha/eth0/192.0.2.7/32', 'addr/alpha/eth0/fd77::99/64', 'route/alpha/198.51.100.0/24', 'route/alpha/fd99::/48', 'route/alpha/10.60.0.0/16']) {
    assert.ok(alpha.includes(key), `${key} in ${alpha.join(' ')}`);
  }
  assert.ok(!alpha.some((k) => k.includes('203.0.113.0')), 'a route of table 100 is no resource');
  const quiet = namespaceToResources(glanced.get('quiet') as NamespaceSnapshot, hostIndex);
  assert.deepEqual(quiet.foreign.map((f) => f.key).sort(), ['link/quiet/fx0', 'link/quiet/fx1']);
});

/** One message: header (length, type, flags) and body. */
function message(type: number, body: Buffer, flags = 2): string {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + body.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  return `M ${Buffer.concat([header, body]).toString('hex')}`;
}
function attribute(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(4 + payload.length, 0);
  head.writeUInt16LE(type, 2);
  return Buffer.concat([head, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}
const cstring = (s: string): Buffer => Buffer.from(`${s}\0`);
function link(index: number, name: string, up: boolean): string {
  const info = Buffer.alloc(16);
  info.writeInt32LE(index, 4);
  info.writeUInt32LE(up ? 1 : 0, 8);
  return message(16, Buffer.concat([info, attribute(3, cstring(name)), attribute(4, Buffer.from([0xdc, 0x05, 0, 0]))]));
}
function addr(index: number, bytes: number[], prefix: number, scope: number): string {
  const head = Buffer.from([bytes.length === 4 ? 2 : 10, prefix, 0, scope, 0, 0, 0, 0]);
  head.writeUInt32LE(index, 4);
  return message(20, Buffer.concat([head, attribute(1, Buffer.from(bytes))]));
}
function route(dst: number[], len: number, type: number, table: number, oif: number, gateway?: number[]): string {
  const head = Buffer.from([dst.length === 16 ? 10 : 2, len, 0, 0, table, 4, 0, type, 0, 0, 0, 0]);
  const oifBuf = Buffer.alloc(4);
  oifBuf.writeUInt32LE(oif);
  return message(24, Buffer.concat([head, ...(len > 0 ? [attribute(1, Buffer.from(dst))] : []), attribute(4, oifBuf), ...(gateway ? [attribute(5, Buffer.from(gateway))] : [])]));
}
const WHOLE = ['N one', link(1, 'lo', true), link(2, 'eth0', false), 'D 18', addr(2, [10, 1, 2, 3], 24, 0), 'D 22',
  route([], 0, 1, 254, 2, [10, 1, 2, 1]), route([10, 9, 0, 0], 16, 1, 254, 2), route([10, 1, 2, 3], 32, 2, 255, 2), 'D 26'];

test('messages made here: names for indexes, "default", the table and protocol names ip prints, local routes left out', () => {
  const one = snapshotsFromDumps(`${WHOLE.join('\n')}\n`).get('one');
  assert.deepEqual(one?.links, [{ ifindex: 1, ifname: 'lo', flags: ['UP'], mtu: 1500 }, { ifindex: 2, ifname: 'eth0', flags: [], mtu: 1500 }]);
  assert.deepEqual(one?.addrs, [{ ifindex: 1, ifname: 'lo', addr_info: [] }, { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.1.2.3', prefixlen: 24, scope: 'global' }] }]);
  assert.deepEqual(one?.routes, [
    { dst: 'default', table: 'main', protocol: 'static', type: 'unicast', gateway: '10.1.2.1', dev: 'eth0' },
    { dst: '10.9.0.0/16', table: 'main', protocol: 'static', type: 'unicast', dev: 'eth0' },
  ]);
});

test('a namespace counts only when its three dumps ended cleanly: not cut short, not failed, not interrupted', () => {
  const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
  const cases: [string, string][] = [
    ['no route dump end', lines(...WHOLE.slice(0, -1))],
    ['an error message', lines(...WHOLE.slice(0, 4), message(2, Buffer.alloc(20)), ...WHOLE.slice(4))],
    ['a message flagged NLM_F_DUMP_INTR', lines(...WHOLE.slice(0, 3), link(3, 'eth1', true).replace(/^M (.{12})0200/, 'M $11200'), ...WHOLE.slice(3))],
  ];
  for (const [what, text] of cases) {
    assert.deepEqual([...snapshotsFromDumps(text).keys()], [], what);
    assert.deepEqual([...snapshotsFromDumps(`${text}${lines(...WHOLE).replace('N one', 'N two')}`).keys()], ['two'], `${what}: the next namespace still counts`);
  }
});

test('a message not as the kernel sends it leaves its namespace out, not the others', () => {
  const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
  const nameless = message(16, Buffer.alloc(16));
  const overrun = link(3, 'eth1', true).replace(/^(M .{64})0900/, '$1ff00');
  const shortAddr = message(20, Buffer.alloc(4));
  for (const [what, bad] of [['a link without a name', nameless], ['an attribute running past its message', overrun], ['an address message cut short', shortAddr]] as const) {
    const text = lines(...WHOLE.slice(0, 3), bad, ...WHOLE.slice(3), ...WHOLE.map((l) => l.replace('N one', 'N two')));
    assert.deepEqual([...snapshotsFromDumps(text).keys()], ['two'], what);
  }
});

test('a veth whose peer is in the same namespace names it, as ip does; one in another namespace gives its index and namespace id', () => {
  const veth = (index: number, name: string, peer: number, nsid?: number): string => {
    const info = Buffer.alloc(16);
    info.writeInt32LE(index, 4);
    const peerBuf = Buffer.alloc(4);
    peerBuf.writeInt32LE(peer);
    const nsidBuf = Buffer.alloc(4);
    nsidBuf.writeInt32LE(nsid ?? 0);
    return message(16, Buffer.concat([info, attribute(3, cstring(name)), attribute(5, peerBuf), ...(nsid === undefined ? [] : [attribute(37, nsidBuf)])]));
  };
  const text = ['N one', veth(2, 'fx0', 3), veth(3, 'fx1', 2), veth(4, 'eth0', 17, 0), veth(5, 'odd', 9), 'D 18', 'D 22', 'D 26', ''].join('\n');
  const links = snapshotsFromDumps(text).get('one')?.links.map((l) => [l['ifname'], l['link'], l['link_index'], l['link_netnsid']]);
  assert.deepEqual(links, [['fx0', 'fx1', undefined, undefined], ['fx1', 'fx0', undefined, undefined], ['eth0', undefined, 17, 0], ['odd', 'if9', undefined, undefined]]);
});

test('output of another shape is refused, not guessed at', () => {
  assert.throws(() => snapshotsFromDumps('M 00\n'), NetlinkParseError, 'a message before any namespace');
  assert.throws(() => snapshotsFromDumps('N a\nM 0g\n'), /not a hex message/);
  assert.throws(() => snapshotsFromDumps('N a\nX 1\n'), /unknown line/);
  assert.throws(() => snapshotsFromDumps(`N a\n${link(1, 'lo', true).replace(/^M ../, 'M 99')}\n`), /length is not its header's/);
});

test('addresses in the text form ip prints (RFC 5952 for IPv6)', () => {
  const v6 = (hex: string): string | undefined => addressText(Buffer.from(hex, 'hex'));
  assert.equal(addressText(Buffer.from([192, 0, 2, 7])), '192.0.2.7');
  assert.equal(v6('00000000000000000000000000000001'), '::1');
  assert.equal(v6('00000000000000000000000000000000'), '::');
  assert.equal(v6('fe8000000000000000420afffe580002'), 'fe80::42:aff:fe58:2');
  assert.equal(v6('20010db8000000000001000000000001'), '2001:db8::1:0:0:1', 'the first of two equal runs');
  assert.equal(v6('20010db8000100000001000100010001'), '2001:db8:1:0:1:1:1:1', 'one zero group stays');
  assert.equal(v6('fd770000000000000000000000000099'), 'fd77::99');
  assert.equal(addressText(Buffer.from([1, 2, 3])), undefined);
});
