import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';
import { fixture, netrecon, OUTSIDE, probe, runScript, UPLINK_HOST } from '../fixtures/integration3/probe.js';

/**
 * Outbound NAT: a sandbox on a bridge network talks to a server in the
 * "outside" netns (outside.sh), which has no route back to the bridge subnet.
 * With masquerade the server sees the uplink address and answers it; without,
 * it sees the sandbox address and can answer only once it is given a route.
 */
const WEB = '172.30.1.10';

async function setUp(sb: KernelSandbox, manifests: string): Promise<void> {
  await runScript(sb, 'outside.sh');
  await netrecon(sb, 'apply', '-f', fixture(manifests));
  const route = await sb.run(['ip', '-n', 'outside', 'route', 'get', WEB]);
  assert.notEqual(route.exitCode, 0, `the outside must have no route to the bridge subnet: ${route.stdout}`);
}

test('masquerade: the outside sees the uplink address as the source, and its replies come back (tcp, udp, ping)', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await setUp(sb, 'masquerade');
  await waitFor(() => sb.ping('web', OUTSIDE), { what: `ping from web to ${OUTSIDE}`, timeoutMs: 10_000 });
  for (const protocol of ['tcp', 'udp']) {
    const seen = await probe(sb, 'pair', protocol, 'outside', '0.0.0.0', 'web', OUTSIDE, '9000');
    assert.deepEqual(seen, { ok: true, peer: UPLINK_HOST }, `${protocol} from web to the outside`);
  }
});

test('masquerade: false: the outside sees the sandbox address, and cannot answer until it has a route back', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await setUp(sb, 'no-masquerade');
  await waitFor(() => sb.ping('web', UPLINK_HOST), { what: `ping from web to the host's ${UPLINK_HOST}`, timeoutMs: 10_000 });
  const lost = await probe(sb, 'pair', 'tcp', 'outside', '0.0.0.0', 'web', OUTSIDE, '9000');
  assert.deepEqual([lost.ok, lost.error], [false, 'timed out'], 'without NAT or a return route the reply is lost');
  assert.equal(await sb.ping('web', OUTSIDE), false, 'ping from web to the outside is not answered');

  const route = await sb.run(['ip', '-n', 'outside', 'route', 'add', '172.30.1.0/24', 'via', UPLINK_HOST]);
  assert.equal(route.exitCode, 0, route.stderr);
  const seen = await probe(sb, 'pair', 'tcp', 'outside', '0.0.0.0', 'web', OUTSIDE, '9000');
  assert.deepEqual(seen, { ok: true, peer: WEB }, 'with a return route the outside sees the sandbox address');
});
