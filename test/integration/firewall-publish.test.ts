import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
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
