/** firewallFromManifests over test/fixtures/nft/cases: the exact script, digest, counts and forwarding. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteTableScript, FirewallBugError, firewallFromManifests } from '../../src/firewall/index.js';
import type { AttachmentSpec, BridgeOptions, ManifestSet, NetworkSpec } from '../../src/model/manifest.js';
import { caseNames, loadCase } from './firewall-cases.js';

const reversed = <K, V>(map: ReadonlyMap<K, V>): Map<K, V> => new Map([...map].reverse());

describe('firewallFromManifests on fixture cases', () => {
  for (const name of caseNames()) {
    it(`${name}: script and summary as in expected.nft and expected.json`, () => {
      const c = loadCase(name);
      const fw = firewallFromManifests(c.manifests, c.assignments);
      if (c.expected === null) return assert.equal(fw, undefined);
      assert.ok(fw !== undefined);
      const { script, ...summary } = fw;
      assert.equal(script, c.script);
      assert.deepEqual(summary, c.expected);
    });

    it(`${name}: the order of the input maps does not matter`, () => {
      const c = loadCase(name);
      const m = c.manifests;
      const shuffled: ManifestSet = { ...m, networks: reversed(m.networks), attachments: reversed(m.attachments) };
      assert.deepEqual(firewallFromManifests(shuffled, reversed(c.assignments)), firewallFromManifests(m, c.assignments));
    });
  }

  it('the script starts by replacing the table and carries the digest once', () => {
    const c = loadCase('publish');
    const fw = firewallFromManifests(c.manifests, c.assignments);
    assert.ok(fw !== undefined);
    assert.ok(fw.script.startsWith(deleteTableScript()));
    assert.equal(fw.script.split(`"netrecon:${fw.digest}"`).length, 2);
    assert.match(fw.digest, /^[0-9a-f]{16}$/);
  });

  it('deleteTableScript creates then deletes, so it succeeds whether or not the table exists', () => {
    assert.equal(deleteTableScript(), 'table inet netrecon {}\ndelete table inet netrecon\n');
  });
});

describe('firewallFromManifests refuses values validation should have stopped', () => {
  const base = loadCase('dual-stack');
  const net = base.manifests.networks.get('dual') as NetworkSpec & { bridge: BridgeOptions };
  const att = base.manifests.attachments.get('web-dual') as AttachmentSpec;
  const run = (m: Partial<ManifestSet>, assignments = base.assignments) => () => firewallFromManifests({ ...base.manifests, ...m }, assignments);
  const withNet = (n: typeof net) => ({ networks: new Map([['dual', n]]) });
  const withAtt = (a: typeof att) => ({ attachments: new Map([['web-dual', a]]) });

  it('a bridge name with a quote', () => {
    assert.throws(run(withNet({ ...net, bridge: { ...net.bridge, name: 'nr-"x' } })), FirewallBugError);
  });
  it('a subnet that is not a CIDR', () => {
    assert.throws(run(withNet({ ...net, subnet: '172.30.0.0/24; flush ruleset' })), FirewallBugError);
  });
  it('an attachment name with a space', () => {
    assert.throws(run(withAtt({ ...att, name: 'web dual' })), FirewallBugError);
  });
  it('a hostIP that is not an address', () => {
    assert.throws(run(withAtt({ ...att, publish: [{ hostPort: 80, port: 80, protocol: 'tcp', hostIP: 'localhost' }] })), FirewallBugError);
  });
  it('a port out of range', () => {
    assert.throws(run(withAtt({ ...att, publish: [{ hostPort: 0, port: 80, protocol: 'tcp', hostIP: '0.0.0.0' }] })), FirewallBugError);
  });
  it('an IPv6 publish on an attachment without an IPv6 address', () => {
    const v4only = new Map([['web-dual', { ipv4: '172.30.0.10', prefix: 24 }]]);
    assert.throws(run({}, v4only), /needs an IPv6 address/);
  });
  it('a publishing attachment without an assignment', () => {
    assert.throws(run({}, new Map()), /no address assignment/);
  });
});
