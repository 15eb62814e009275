import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';
import { fixture, netrecon, PROBE, type Probe } from '../fixtures/integration3/probe.js';

/**
 * Sandboxes without a namespace of their own: `host` runs in the host's
 * (here the test sandbox root), `container:web` in web's, so a listener on
 * web's 127.0.0.1 is reached from the sidecar.
 */

async function refusedWithNothingChanged(sb: KernelSandbox, args: readonly string[], message: RegExp): Promise<void> {
  const before = await sb.normalisedSnapshot();
  for (const command of ['validate', 'apply']) {
    const result = await sb.netrecon([command, ...args]);
    assert.equal(result.exitCode, 1, `${command}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, message, `${command}: the error`);
  }
  const after = await sb.normalisedSnapshot();
  assert.deepEqual(after, before, `a refused apply changed the kernel:\n${diffSnapshots(before, after).join('\n')}`);
}

test('host: exec runs in the host namespace (ip -br link lists its links), no netns is made; an attachment to it is refused', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const marker = await sb.run(['ip', 'link', 'add', 'hostmark0', 'type', 'veth', 'peer', 'name', 'hostmark1']);
  assert.equal(marker.exitCode, 0, marker.stderr);
  await netrecon(sb, 'apply', '-f', fixture('modes-host'));
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout, '', 'a host sandbox has no netns');

  const seen = await sb.netrecon(['exec', 'monitor', '--', 'ip', '-br', 'link']);
  assert.equal(seen.exitCode, 0, seen.stderr);
  assert.equal(seen.stdout, (await sb.run(['ip', '-br', 'link'])).stdout, 'exec monitor sees the host links');
  assert.match(seen.stdout, /^hostmark0@hostmark1 /m);

  await refusedWithNothingChanged(sb, ['-f', fixture('modes-host'), '-f', fixture('modes-host-attach')],
    /modes-host-attach\/attachment\.yaml:\d+:\d+: spec\.sandbox: sandbox monitor has mode host/);
});

test('container:web: a listener on 127.0.0.1 in web is reached from the sidecar, not from another sandbox', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('modes-container'));
  assert.deepEqual((await sb.run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort(), ['other', 'web'],
    'the sidecar has no netns of its own');
  const addr = await sb.netrecon(['exec', 'sidecar', '--', 'ip', '-br', 'addr', 'show', 'eth0']);
  assert.match(addr.stdout, /172\.30\.1\.10\/24/, `the sidecar sees web's eth0: ${addr.stdout}${addr.stderr}`);

  const server = sb.spawnNetrecon(['exec', 'web', '--', 'python3', PROBE, 'serve', 'tcp', '127.0.0.1', '7000'], { env: { PROBE_TIMEOUT: '10' } });
  await waitFor(async () => server.output().stdout.includes('listening'), { what: 'the listener in web', timeoutMs: 10_000 });
  const other = await sb.netrecon(['exec', 'other', '--', 'python3', PROBE, 'connect', 'tcp', '127.0.0.1', '7000']);
  assert.equal(other.exitCode, 1, `another sandbox has its own lo: ${other.stdout}${other.stderr}`);
  assert.match((JSON.parse(other.stdout) as Probe).error ?? '', /refused/, 'nothing listens on its 127.0.0.1:7000');
  const sidecar = await sb.netrecon(['exec', 'sidecar', '--', 'python3', PROBE, 'connect', 'tcp', '127.0.0.1', '7000']);
  assert.equal(sidecar.exitCode, 0, `sidecar to web's 127.0.0.1:7000: ${sidecar.stdout}${sidecar.stderr}`);
  assert.deepEqual(JSON.parse(sidecar.stdout), { ok: true, peer: '127.0.0.1' });
  assert.equal((await server.exited).exitCode, 0, 'the listener answered and exited');
});

test("container:web: applying without web's manifest while the sidecar still names it is refused, nothing changed", async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('modes-container'));
  await refusedWithNothingChanged(sb, ['-f', fixture('modes-container', 'sidecar.yaml')],
    /modes-container\/sidecar\.yaml:\d+:\d+: spec\.mode: sandbox web not found/);
  assert.equal((await sb.netrecon(['plan', '-f', fixture('modes-container'), '--detailed-exitcode'])).exitCode, 0, 'web is still in place');
});

test('container:web: delete -f of web alone, while the applied sidecar still shares its netns, is refused', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await netrecon(sb, 'apply', '-f', fixture('modes-container'));
  const deleted = await sb.netrecon(['delete', '-f', fixture('modes-container', 'web.yaml')]);
  assert.equal(deleted.exitCode, 1, `delete of web while sidecar shares it: ${deleted.stdout}${deleted.stderr}`);
  assert.match(deleted.stderr, /sidecar/, 'the sharer is named');
  const exec = await sb.netrecon(['exec', 'sidecar', '--', 'ip', '-br', 'addr', 'show', 'eth0']);
  assert.match(exec.stdout, /172\.30\.1\.10\/24/, `the sidecar still has web's namespace: ${exec.stderr}`);
});
