/** Address text: what is an address, and its one canonical form. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bigintToIp, canonicalIp, familyOf, ipToBigint, isIp } from '../../src/util/cidr.js';

const VALID = [
  '0.0.0.0', '10.200.1.5', '255.255.255.255', '::', '::1', 'fe80::42:aff:fec8:105', 'FE80::42:AFF:FEC8:105',
  '2001:db8:0:0:0:0:0:1', '2001:0db8::0001', '2001:db8:0:1:0:0:0:1', '::ffff:10.0.0.1', 'fe80::1%eth0',
];
const INVALID = ['', '10.200.1', '10.200.1.256', '010.1.2.3', '1.2.3.4.5', 'fe80:::1', '2001:db8::1::2', 'fe80::g', 'web', '10.0.0.1/24', ':'];

describe('isIp', () => {
  it('accepts IPv4 four-part decimal and IPv6 text', () => {
    for (const ip of VALID) assert.equal(isIp(ip), true, ip);
  });
  it('rejects everything else, whichever family it resembles', () => {
    for (const ip of INVALID) assert.equal(isIp(ip), false, ip);
  });
});

describe('canonicalIp', () => {
  it('gives RFC 5952 text for IPv6 and four-part decimal for IPv4', () => {
    assert.equal(canonicalIp('FE80::42:AFF:FEC8:105'), 'fe80::42:aff:fec8:105');
    assert.equal(canonicalIp('2001:0db8:0:0:0:0:0:0001'), '2001:db8::1');
    assert.equal(canonicalIp('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalIp('10.200.1.5'), '10.200.1.5');
  });
  it('equals the integer round trip for every valid address', () => {
    const random = Array.from({ length: 200 }, (_, i) => {
      const groups = Array.from({ length: 8 }, (_, g) => ((i * 7919 + g * 104729) % 65536 * (g % 3 === 0 ? 0 : 1)).toString(16));
      return i % 2 === 0 ? groups.join(':') : `${(i * 37) % 256}.${(i * 11) % 256}.${i % 256}.${(i * 3) % 256}`;
    });
    for (const ip of [...VALID, ...random]) {
      assert.equal(canonicalIp(ip), bigintToIp(ipToBigint(ip.replace(/%.*$/, '')), familyOf(ip)), ip);
    }
  });
});
