import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { waitFor } from '../helpers/wait.js';
import { fixture, netrecon, OUTSIDE, probe, runScript, UPLINK_HOST } from '../fixtures/integration3/probe.js';

/**
 * Published ports (`publish`, like `docker run -p 8080:80`): the host's
 * 8080 leads to web's port 80, for a client in the "outside" netns
 * (outside.sh) and for the host itself, over tcp and udp. Two attachments
 * publishing the same host port are refused before anything changes.
 */

test('a published port is reached from the outside (the sandbox sees the client) and from the host, over tcp and udp', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await runScript(sb, 'outside.sh');
  await netrecon(sb, 'apply', '-f', fixture('publish'));

  for (const protocol of ['tcp', 'udp']) {
    const fromOutside = await probe(sb, 'pair', protocol, 'web', '0.0.0.0', 'outside', UPLINK_HOST, '80', '8080');
    assert.deepEqual(fromOutside, { ok: true, peer: OUTSIDE }, `${protocol} from the outside to ${UPLINK_HOST}:8080`);
    const fromHost = await probe(sb, 'pair', protocol, 'web', '0.0.0.0', '-', UPLINK_HOST, '80', '8080');
    assert.equal(fromHost.ok, true, `${protocol} from the host to ${UPLINK_HOST}:8080: ${JSON.stringify(fromHost)}`);
  }
  const unpublished = await probe(sb, 'pair', 'tcp', 'web', '0.0.0.0', 'outside', UPLINK_HOST, '80', '80');
  assert.match(String(unpublished.error), /refused/, `only the published host port leads to the sandbox: ${JSON.stringify(unpublished)}`);
});

test('two attachments publishing the same hostIP:hostPort/protocol: a validation error naming both, nothing changed', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('publish'));
  const before = await sb.normalisedSnapshot();
  const files = ['-f', fixture('publish'), '-f', fixture('publish-collision')];

  const collision = /publish-collision\/api\.yaml:16:\d+: spec\.publish\[0\]\.hostPort: .*tcp 0\.0\.0\.0:8080.* attachment web-front \(.*publish\/manifests\.yaml:\d+\)/;
  for (const command of ['validate', 'plan', 'apply']) {
    const result = await sb.netrecon([command, ...files]);
    assert.equal(result.exitCode, 1, `${command}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, collision, `${command} names api-front (by its position) and web-front`);
  }
  const after = await sb.normalisedSnapshot();
  assert.deepEqual(after, before, `the refused apply changed the kernel:\n${diffSnapshots(before, after).join('\n')}`);
  assert.equal((await sb.run(['ls', '/run/netns'])).stdout, 'web\n', 'no netns made for api');
});

test('a new published port a host process listens on is refused, naming the socket; nothing changes; one already published is not checked again', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  // A service of the host's own on 8080 (tcp, all addresses), as sshd is on 22.
  const listen = (port: number) => sb.spawn(['python3', '-c',
    `import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("0.0.0.0",${port}))\ns.listen()\nprint("ready",flush=True)\ntime.sleep(600)`]);
  const service = listen(8080);
  await waitFor(async () => service.output().stdout.includes('ready'), { what: 'the host service listening' });
  const before = await sb.normalisedSnapshot();
  for (const command of ['plan', 'apply']) {
    const refused = await sb.netrecon([command, '-f', fixture('publish')]);
    assert.equal(refused.exitCode, 1, `${command}: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /refusing to publish ports in use; nothing was changed:\n {2}attachment\/web-front: host port tcp 0\.0\.0\.0:8080 is in use on this host \(listening: 0\.0\.0\.0:8080\)/);
    assert.doesNotMatch(refused.stderr, /udp/, 'udp 8080 is free');
  }
  const after = await sb.normalisedSnapshot();
  assert.deepEqual(after, before, `nothing changed:\n${diffSnapshots(before, after).join('\n')}`);

  service.kill();
  await service.exited;
  await netrecon(sb, 'apply', '-f', fixture('publish'));
  const later = listen(8080);
  await waitFor(async () => later.output().stdout.includes('ready'), { what: 'a listener started after the publish' });
  await netrecon(sb, 'apply', '-f', fixture('publish'));
  later.kill();
});

test('the host reaches a published port on 127.0.0.1 too, as through Docker\'s proxy; hostIP 127.0.0.1 publishes to the host alone', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await runScript(sb, 'outside.sh');
  await netrecon(sb, 'apply', '-f', fixture('publish'));
  const localnet = async () => (await sb.run(['cat', '/proc/sys/net/ipv4/conf/nr-front/route_localnet'])).stdout.trim();
  assert.equal(await localnet(), '1', 'the bridge lets DNATed loopback traffic out');
  for (const protocol of ['tcp', 'udp']) {
    const local = await probe(sb, 'pair', protocol, 'web', '0.0.0.0', '-', '127.0.0.1', '80', '8080');
    assert.deepEqual(local, { ok: true, peer: '172.30.1.1' }, `${protocol} from the host to 127.0.0.1:8080 arrives from the bridge's address`);
  }

  // docker run -p 127.0.0.1:8081:80: the host only.
  const text = await readFile(join(fixture('publish'), 'manifests.yaml'), 'utf8');
  const loopback = await sb.writeFiles('loopback', { 'manifests.yaml': text.replace('{hostPort: 8080, port: 80}', '{hostPort: 8081, port: 80, hostIP: 127.0.0.1}') });
  await netrecon(sb, 'apply', '-f', loopback);
  const fromHost = await probe(sb, 'pair', 'tcp', 'web', '0.0.0.0', '-', '127.0.0.1', '80', '8081');
  assert.equal(fromHost.ok, true, `from the host: ${JSON.stringify(fromHost)}`);
  const fromOutside = await probe(sb, 'pair', 'tcp', 'web', '0.0.0.0', 'outside', UPLINK_HOST, '80', '8081');
  assert.equal(fromOutside.ok, false, `not from the outside: ${JSON.stringify(fromOutside)}`);

  // No IPv4 port published to the bridge any more: route_localnet goes back off.
  const none = await sb.writeFiles('none', { 'manifests.yaml': text.replace(/ {2}publish:\n(.*\n)*$/, '') });
  await netrecon(sb, 'apply', '-f', none);
  assert.equal(await localnet(), '0');
  const plan = await sb.netrecon(['plan', '-f', none, '--detailed-exitcode']);
  assert.equal(plan.exitCode, 0, plan.stdout);
});
