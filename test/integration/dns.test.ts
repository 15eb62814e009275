import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { fixture, netrecon } from '../fixtures/integration3/probe.js';

/**
 * A sandbox's resolv.conf and hosts, as its processes see them through
 * `netrecon exec` (ip netns exec binds /etc/netns/<ns>/* over /etc/*): web's
 * nameservers, search list and extra hosts, and the names of the sandboxes
 * sharing a network with it (api), not of the others (lone). Lookups use
 * `getent -s files`: the hosts file only, no query to the (unreachable) nameserver.
 */
const MANIFESTS = ['-f', fixture('dns')];

async function exec(sb: KernelSandbox, sandbox: string, ...argv: string[]): Promise<{ exitCode: number; stdout: string }> {
  const result = await sb.netrecon(['exec', sandbox, '--', ...argv]);
  assert.equal(result.stderr, '', `exec ${sandbox} ${argv.join(' ')} (exit ${result.exitCode})`);
  return result;
}

test("dns and hosts: exec sees web's resolv.conf, its extra hosts and its network peers by name; delete removes the files", async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', ...MANIFESTS);

  const resolv = (await exec(sb, 'web', 'cat', '/etc/resolv.conf')).stdout;
  assert.match(resolv, /^nameserver 203\.0\.113\.53$/m, resolv);
  assert.match(resolv, /^search svc\.local$/m, resolv);
  assert.equal(resolv.match(/^nameserver /gm)?.length, 1, `only the declared nameserver: ${resolv}`);

  const lookups = await Promise.all([
    exec(sb, 'web', 'getent', '-s', 'files', 'hosts', 'db'),
    exec(sb, 'web', 'getent', '-s', 'files', 'hosts', 'api'),
    exec(sb, 'web', 'getent', '-s', 'files', 'hosts', 'web'),
    exec(sb, 'api', 'getent', '-s', 'files', 'hosts', 'web'),
    exec(sb, 'web', 'getent', '-s', 'files', 'hosts', 'lone'),
    exec(sb, 'lone', 'getent', '-s', 'files', 'hosts', 'web'),
  ]);
  const answers = lookups.map((r) => [r.exitCode, r.stdout.trim().split(/\s+/).slice(0, 2).join(' ')]);
  assert.deepEqual(answers, [
    [0, '203.0.113.20 db'],
    [0, '172.30.70.20 api'],
    [0, '172.30.70.10 web'],
    [0, '172.30.70.10 web'],
    [2, ''],
    [2, ''],
  ], 'getent hosts: db (extra), api and web (front peers) resolve in web and api; lone (back) and web do not see each other');
  assert.doesNotMatch((await exec(sb, 'web', 'cat', '/etc/hosts')).stdout, /lone/, "lone is not in web's hosts");

  await netrecon(sb, 'delete', ...MANIFESTS);
  assert.equal((await sb.run(['ls', '-A', '/etc/netns'])).stdout, '', 'no files left under /etc/netns');
});

test('a host resolver on loopback (systemd-resolved) that sandboxes without dns would inherit is said, naming them', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  // The sandbox's /etc is an overlay: this resolv.conf is the sandbox host's only.
  assert.equal((await sb.run(['sh', '-c', 'rm -f /etc/resolv.conf && printf "nameserver 127.0.0.53\\noptions edns0\\n" > /etc/resolv.conf'])).exitCode, 0);
  const applied = await sb.netreconOk(['apply', ...MANIFESTS]);
  assert.match(applied.stderr, /"nameservers":\["127\.0\.0\.53"\],"sandboxes":\["api","lone"\].*only-local resolvers.*set spec\.dns\.nameservers/, applied.stderr);
  assert.doesNotMatch(applied.stderr, /"web"/, 'web declares its own nameservers');
  const again = await sb.netreconOk(['apply', ...MANIFESTS]);
  assert.doesNotMatch(again.stderr, /only-local/, 'a run that changes nothing says nothing');
});
