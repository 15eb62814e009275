import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Outbound NAT: a sandbox on a bridge network talks to a server in the
 * "outside" netns (outside.sh), which has no route back to the bridge subnet.
 * With masquerade the server sees the uplink address and answers it; without,
 * it sees the sandbox address and can answer only once it is given a route.
 */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration3', ...path);
const UPLINK_HOST = '198.51.100.1';
const OUTSIDE = '198.51.100.2';
const WEB = '172.30.1.10';

interface Probe { readonly ok: boolean; readonly peer?: string; readonly error?: string }
/** One bounded exchange by probe.py (see there); peer is the client address the server saw. */
async function probe(sb: KernelSandbox, ...args: string[]): Promise<Probe> {
  const r = await sb.run(['python3', fixture('probe.py'), ...args], { timeoutMs: 20_000 });
  assert.ok(r.exitCode < 2, `probe ${args.join(' ')} could not run: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

async function setUp(sb: KernelSandbox, manifests: string): Promise<void> {
  const outside = await sb.run(['sh', fixture('outside.sh')]);
  assert.equal(outside.exitCode, 0, `outside.sh: ${outside.stderr}`);
  const applied = await sb.netrecon(['apply', '-f', fixture(manifests)]);
  assert.equal(applied.exitCode, 0, `apply ${manifests}: ${applied.stderr}`);
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
