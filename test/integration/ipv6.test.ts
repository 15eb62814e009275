import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';
import { fixture, netrecon, OUTSIDE6, probe, runScript, UPLINK_HOST6 } from '../fixtures/integration3/probe.js';

/**
 * A dual-stack bridge network (subnet6 fd00:60::/64, gateway6 fd00:60::1):
 * v1 with a static address6, v2 with an allocated one. Over IPv6 they reach
 * each other and the gateway, leave through the uplink masqueraded, and v1's
 * port 80 is published on the host's [::]:8080 (outside.sh: uplink fd51:100::/64).
 */
const GATEWAY6 = 'fd00:60::1';
const V1 = 'fd00:60::10';

interface AddrInfo { readonly local?: string; readonly prefixlen?: number }
/** Global IPv6 addresses (ADDRESS/PREFIX) on eth0 of a netns. */
async function global6(sb: KernelSandbox, ns: string): Promise<string[]> {
  const result = await sb.run(['ip', '-n', ns, '-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']);
  assert.equal(result.exitCode, 0, result.stderr);
  const [entry] = JSON.parse(result.stdout) as { addr_info: AddrInfo[] }[];
  return (entry?.addr_info ?? []).flatMap((a) => (a.local === undefined ? [] : [`${a.local}/${String(a.prefixlen)}`]));
}

test('dual stack: static and allocated IPv6 addresses, default6 route, ping between sandboxes and to gateway6', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('ipv6'));

  assert.deepEqual(await global6(sb, 'v1'), [`${V1}/64`], 'v1 has its static address6');
  const [v2cidr, ...more] = await global6(sb, 'v2');
  assert.equal(more.length, 0, 'v2 has one global IPv6 address');
  const v2 = String(v2cidr).replace(/\/64$/, '');
  assert.match(String(v2cidr), /^fd00:60::[0-9a-f:]+\/64$/, `v2's allocated address6 is in subnet6: ${v2cidr}`);
  assert.ok(v2 !== V1 && v2 !== GATEWAY6 && v2 !== 'fd00:60::', `v2's address is neither v1's, the gateway nor the subnet: ${v2}`);

  for (const ns of ['v1', 'v2']) {
    const routes = await sb.run(['ip', '-n', ns, '-j', '-6', 'route', 'show', 'default']);
    const defaults = JSON.parse(routes.stdout) as { dst: string; gateway?: string; dev: string }[];
    assert.deepEqual(defaults.map((r) => [r.dst, r.gateway, r.dev]), [['default', GATEWAY6, 'eth0']], `${ns}: default6 via gateway6`);
  }
  for (const [from, to] of [['v1', v2], ['v2', V1], ['v1', GATEWAY6], ['v2', GATEWAY6]] as const) {
    await waitFor(() => sb.ping(from, to), { what: `ping -6 from ${from} to ${to}`, timeoutMs: 10_000 });
  }
  const tcp = await probe(sb, 'pair', 'tcp', 'v2', '::', 'v1', v2, '9000');
  assert.deepEqual(tcp, { ok: true, peer: V1 }, 'tcp over IPv6 from v1 to v2 keeps its source on the bridge');
});

test('IPv6 to and from the outside: masquerade to the uplink address, and a port published on [::]:8080', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await runScript(sb, 'outside.sh');
  await netrecon(sb, 'apply', '-f', fixture('ipv6'));
  assert.equal((await sb.run(['cat', '/proc/sys/net/ipv6/conf/all/forwarding'])).stdout.trim(), '1', 'IPv6 forwarding is on');
  await waitFor(() => sb.ping('v1', OUTSIDE6), { what: `ping -6 from v1 to ${OUTSIDE6}`, timeoutMs: 10_000 });

  const out = await probe(sb, 'pair', 'tcp', 'outside', '::', 'v1', OUTSIDE6, '9000');
  assert.deepEqual(out, { ok: true, peer: UPLINK_HOST6 }, 'the outside sees the uplink address6 as the source');
  for (const protocol of ['tcp', 'udp']) {
    const published = await probe(sb, 'pair', protocol, 'v1', '::', 'outside', UPLINK_HOST6, '80', '8080');
    assert.deepEqual(published, { ok: true, peer: OUTSIDE6 }, `${protocol} from the outside to [${UPLINK_HOST6}]:8080`);
  }
  const fromHost = await probe(sb, 'pair', 'tcp', 'v1', '::', '-', UPLINK_HOST6, '80', '8080');
  assert.equal(fromHost.ok, true, `tcp from the host to [${UPLINK_HOST6}]:8080: ${JSON.stringify(fromHost)}`);
  const ipv4 = await probe(sb, 'pair', 'tcp', 'v1', '0.0.0.0', 'outside', '198.51.100.1', '80', '8080');
  assert.deepEqual(ipv4, { ok: true, peer: '198.51.100.2' }, 'the IPv4 entry still publishes 0.0.0.0:8080');

  await netrecon(sb, 'delete', '-f', fixture('ipv6'));
  assert.equal((await sb.run(['cat', '/proc/sys/net/ipv6/conf/all/forwarding'])).stdout.trim(), '0', 'delete turns IPv6 forwarding off again');
});
