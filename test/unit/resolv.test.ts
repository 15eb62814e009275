/** Which nameservers of a resolv.conf only the host can reach. Pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loopbackNameservers } from '../../src/observe/resolv.js';

test('loopback nameservers of a resolv.conf: systemd-resolved\'s stub, any 127/8, ::1; not others, comments or junk', () => {
  const text = '# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n  nameserver\t::1\nnameserver 127.0.1.1 # dnsmasq\n;nameserver 127.0.0.1\nnameserver bogus\nsearch lan\noptions edns0\n';
  assert.deepEqual(loopbackNameservers(text), ['127.0.0.53', '::1', '127.0.1.1']);
  assert.deepEqual(loopbackNameservers(''), []);
  assert.deepEqual(loopbackNameservers('nameserver 10.255.255.53\n'), []);
});
