/**
 * route_localnet on a bridge IPv4 ports are published to (so 127.0.0.1
 * reaches them, as through Docker's proxy): desired from the manifests, set
 * after the bridge exists, toggled alone, and part of the bridge (it goes
 * and comes back with it). Pure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import { Wave, type Command } from '../../src/model/plan.js';
import { linkKey, HOST_NS, sysctlPath, type BridgeResource } from '../../src/model/resource.js';
import { createCommands, updateCommands } from '../../src/reconcile/commands.js';
import { desiredFromManifests } from '../../src/reconcile/desired.js';

const doc = (kind: string, name: string, spec: string): string => `apiVersion: netrecon.dev/v1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

function bridgeOf(publish: string): BridgeResource {
  const r = manifestsFromTexts([{ file: 'm.yaml', text: [doc('Network', 'front', '{subnet: 10.1.0.0/24, subnet6: "fd00:1::/64"}'), doc('Sandbox', 'web', '{}'),
    doc('Attachment', 'web-front', `{sandbox: web, network: front, publish: ${publish}}`)].join('---\n') }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  const desired = desiredFromManifests({ manifests: r.set, assignments: new Map([['web-front', { ipv4: '10.1.0.2', prefix: 24, ipv6: 'fd00:1::2', prefix6: 64 }]]) });
  const bridge = desired.resources.get(linkKey(HOST_NS, 'nr-front'));
  assert.equal(bridge?.type, 'bridge');
  return bridge as BridgeResource;
}

const show = (cs: readonly Command[]): string[] => cs.map((c) => (c.tool === 'ip' ? `ip ${c.args.join(' ')}` : c.tool === 'sysctl' ? `sysctl ${c.key}=${c.value} wave ${c.wave}` : c.tool));

test('a bridge IPv4 ports are published to wants route_localnet; one with IPv6 ports only, or none, does not', () => {
  assert.equal(bridgeOf('[{hostPort: 8080, port: 80}]').routeLocalnet, true);
  assert.equal(bridgeOf('[{hostPort: 8080, port: 80, hostIP: "127.0.0.1"}]').routeLocalnet, true);
  assert.equal(bridgeOf('[{hostPort: 8080, port: 80, hostIP: "::"}]').routeLocalnet, false);
  assert.equal(bridgeOf('[]').routeLocalnet, false);
});

test('created after the bridge, in the firewall wave; a toggle alone is one sysctl write, no link change', () => {
  const on = bridgeOf('[{hostPort: 8080, port: 80}]');
  assert.deepEqual(show(createCommands(on)).slice(2), [`sysctl net.ipv4.conf.nr-front.route_localnet=1 wave ${Wave.firewall}`]);
  assert.equal(createCommands({ ...on, routeLocalnet: false }).length, 2, 'off is how a new bridge starts');
  assert.deepEqual(show(updateCommands({ ...on, routeLocalnet: false }, on)), [`sysctl net.ipv4.conf.nr-front.route_localnet=1 wave ${Wave.firewall}`]);
  assert.deepEqual(show(updateCommands(on, { ...on, routeLocalnet: false })), [`sysctl net.ipv4.conf.nr-front.route_localnet=0 wave ${Wave.firewall}`]);
  assert.deepEqual(show(updateCommands(on, { ...on, mtu: 1400 })), ['ip link set nr-front address 02:42:0a:01:00:01 mtu 1400 alias netrecon:network/front up']);
});

test('a bridge name with dots keeps them in the /proc path', () => {
  assert.equal(sysctlPath('net.ipv4.conf.br.lan.route_localnet'), 'net/ipv4/conf/br.lan/route_localnet');
  assert.equal(sysctlPath('net.ipv4.ip_forward'), 'net/ipv4/ip_forward');
  assert.equal(sysctlPath('net.ipv6.conf.all.forwarding'), 'net/ipv6/conf/all/forwarding');
});
