/**
 * A new published port a host socket listens on is refused (Docker refuses
 * a port in use too): /proc/net parsing, which publishes are new, and which
 * listeners a DNAT rule would take traffic from. Pure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttachmentSpec, PublishSpec } from '../../src/model/manifest.js';
import { parseListeners, type Listener } from '../../src/observe/listeners.js';
import { newPublishes, portsInUse, type Published } from '../../src/reconcile/ports.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, remote: string, st: string): string => `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 511 1 0000 100 0 0 10 0\n`;

test('/proc/net/tcp and tcp6: listening sockets only, addresses decoded from host byte order', () => {
  const tcp = HEADER + row('00000000:08AE', '00000000:0000', '0A') + row('0100007F:0CEA', '00000000:0000', '0A') +
    row('0201A8C0:0016', '0101A8C0:D431', '01') + row('0201A8C0:1F90', '00000000:0000', '0A');
  assert.deepEqual(parseListeners(tcp, 'tcp', 4), [
    { protocol: 'tcp', family: 4, address: '0.0.0.0', port: 2222 },
    { protocol: 'tcp', family: 4, address: '127.0.0.1', port: 3306 },
    { protocol: 'tcp', family: 4, address: '192.168.1.2', port: 8080 },
  ], 'the established connection (st 01) is no listener');
  const tcp6 = HEADER + row('00000000000000000000000000000000:0050', '00000000000000000000000000000000:0000', '0A') +
    row('00000000000000000000000001000000:1538', '00000000000000000000000000000000:0000', '0A') +
    row('000080FE000000000000000001000000:01BB', '00000000000000000000000000000000:0000', '0A');
  assert.deepEqual(parseListeners(tcp6, 'tcp', 6).map((l) => `${l.address} ${l.port}`), [':: 80', '::1 5432', 'fe80::1 443']);
});

test('/proc/net/udp: bound and unconnected sockets only', () => {
  const udp = HEADER + row('00000000:0044', '00000000:0000', '07') + row('0201A8C0:A1B2', '08080808:0035', '01');
  assert.deepEqual(parseListeners(udp, 'udp', 4), [{ protocol: 'udp', family: 4, address: '0.0.0.0', port: 68 }]);
  assert.deepEqual(parseListeners('', 'udp', 6), []);
  assert.deepEqual(parseListeners(HEADER + 'garbage line\n', 'tcp', 4), []);
});

const attachment = (name: string, publish: PublishSpec[]): AttachmentSpec => ({ name, publish } as unknown as AttachmentSpec);
const pub = (hostPort: number, hostIP = '0.0.0.0', protocol: 'tcp' | 'udp' = 'tcp'): PublishSpec => ({ hostPort, port: 80, protocol, hostIP });
const set = (...as: AttachmentSpec[]) => ({ attachments: new Map(as.map((a) => [a.name, a])) });

test('new publishes: those the same attachment did not publish in the last apply', () => {
  const before = set(attachment('web', [pub(8080)]), attachment('db', [pub(5432)]));
  const now = set(attachment('web', [pub(8080), pub(8443)]), attachment('db', [pub(5432, '0.0.0.0', 'udp')]), attachment('api', [pub(8080, '10.0.0.1')]));
  assert.deepEqual(newPublishes(now, before).map((p) => `${p.attachment} ${p.protocol} ${p.hostIP}:${p.hostPort}`),
    ['web tcp 0.0.0.0:8443', 'db udp 0.0.0.0:5432', 'api tcp 10.0.0.1:8080']);
  assert.equal(newPublishes(now, undefined).length, 4, 'no record of the last apply: every publish is new');
});

test('a publish takes a listener on the same protocol and port when the addresses overlap; IPv4 loopback too, ::1 never', () => {
  const l = (protocol: 'tcp' | 'udp', family: 4 | 6, address: string, port: number): Listener => ({ protocol, family, address, port });
  const p = (hostIP: string, hostPort = 2222, protocol: 'tcp' | 'udp' = 'tcp'): Published => ({ ...pub(hostPort, hostIP, protocol), attachment: 'web' });
  const taken = (publish: Published, listener: Listener): boolean => portsInUse([publish], [listener]).length > 0;
  assert.equal(taken(p('0.0.0.0'), l('tcp', 4, '0.0.0.0', 2222)), true);
  assert.equal(taken(p('0.0.0.0'), l('tcp', 4, '192.168.1.2', 2222)), true);
  assert.equal(taken(p('192.168.1.2'), l('tcp', 4, '0.0.0.0', 2222)), true);
  assert.equal(taken(p('192.168.1.2'), l('tcp', 4, '192.168.1.3', 2222)), false, 'two different addresses');
  assert.equal(taken(p('0.0.0.0'), l('tcp', 4, '127.0.0.1', 2222)), true, 'the host\'s own connections to 127.0.0.1 are published too');
  assert.equal(taken(p('192.168.1.2'), l('tcp', 4, '127.0.0.1', 2222)), false, 'a publish on one host address leaves loopback alone');
  assert.equal(taken(p('127.0.0.1'), l('tcp', 4, '127.0.0.1', 2222)), true);
  assert.equal(taken(p('0.0.0.0'), l('tcp', 6, '::', 2222)), true, 'a dual-stack wildcard listener takes IPv4 too');
  assert.equal(taken(p('0.0.0.0'), l('tcp', 6, 'fe80::1', 2222)), false);
  assert.equal(taken(p('::'), l('tcp', 6, '::1', 2222)), false);
  assert.equal(taken(p('fd00::1'), l('tcp', 6, 'fd00::1', 2222)), true);
  assert.equal(taken(p('::'), l('tcp', 4, '0.0.0.0', 2222)), false, 'an IPv6 publish does not take IPv4');
  assert.equal(taken(p('0.0.0.0'), l('udp', 4, '0.0.0.0', 2222)), false, 'another protocol');
  assert.equal(taken(p('0.0.0.0', 2223), l('tcp', 4, '0.0.0.0', 2222)), false, 'another port');
  assert.deepEqual(portsInUse([p('0.0.0.0', 53, 'udp')], [l('udp', 4, '0.0.0.0', 53), l('udp', 6, '::', 53)]), [
    'attachment/web: host port udp 0.0.0.0:53 is in use on this host (listening: 0.0.0.0:53, [::]:53); publishing it would take that traffic from it: ' +
    'stop that service or choose another hostPort (find it with: ss -ulnp \'sport = :53\')',
  ]);
});
