import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot } from '../helpers/sandbox.js';

/** The command line around the reconciler: usage errors, the apply lock, exec. */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration', ...path);
const MANIFESTS = ['-f', fixture('default-bridge')];

test('a command without -f is a usage error (exit 1) naming -f PATH', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  for (const command of ['apply', 'plan', 'delete', 'validate']) {
    const result = await sb.netrecon([command]);
    assert.equal(result.exitCode, 1, `${command}: ${result.stderr}`);
    assert.equal(result.stdout, '', command);
    assert.match(result.stderr, /-f PATH/, `${command}: usage text`);
    assert.doesNotMatch(result.stderr, /^\s+at /m, `${command}: no stack trace`);
  }
  assert.equal((await sb.run(['ls', '-A', sb.stateDir])).stdout, '', 'nothing written');
});

test('a second path after -f PATH is not silently dropped', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const result = await sb.netrecon(['plan', '-f', fixture('default-bridge', 'network.yaml'), fixture('default-bridge', 'web.yaml')]);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^\+ netns\/web$/m, 'web.yaml, the second path after -f, is planned');
});

test('the apply lock: a live holder is refused by pid, a dead or reused pid is taken over', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const lockPath = sb.hostPath(join(sb.stateDir, 'lock'));
  const lockOf = (pid: number, extra: Record<string, string> = {}): string =>
    `${JSON.stringify({ pid, startedAt: '2024-01-01T00:00:00.000Z', command: 'apply -f elsewhere', token: '0123456789abcdef', ...extra })}\n`;
  const holder = sb.spawn(['sleep', '30']);
  const live = lockOf(holder.pid);
  await writeFile(lockPath, live, { mode: 0o600 });

  const before = await sb.snapshot();
  const refused = await sb.netrecon(['apply', ...MANIFESTS]);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`\\bpid ${holder.pid}\\b`), 'names the holder');
  const after = await sb.snapshot();
  assert.deepEqual(after, before, `a refused apply changed the kernel:\n${diffSnapshots(before, after).join('\n')}`);
  assert.equal(await readFile(lockPath, 'utf8'), live, "the holder's lock is left alone");

  // The same pid, but a process that started at another time: the pid was reused.
  await writeFile(lockPath, lockOf(holder.pid, { procStart: '1' }), { mode: 0o600 });
  const reused = await sb.netrecon(['apply', ...MANIFESTS]);
  assert.equal(reused.exitCode, 0, `a reused pid's lock is taken over: ${reused.stderr}`);
  await assert.rejects(readFile(lockPath), /ENOENT/, 'the lock is released after the apply');

  holder.kill('SIGKILL');
  await holder.exited;
  await writeFile(lockPath, lockOf(holder.pid), { mode: 0o600 });
  const deleted = await sb.netrecon(['delete', ...MANIFESTS]);
  assert.equal(deleted.exitCode, 0, `a dead pid's lock is taken over: ${deleted.stderr}`);
  assert.match(deleted.stdout, /^- netns\/web$/m);
  await assert.rejects(readFile(lockPath), /ENOENT/, 'the lock is released after the delete');
});

test('exec runs a command inside the sandbox netns and passes its exit code through; unknown or unowned sandboxes are refused', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const applied = await sb.netrecon(['apply', ...MANIFESTS]);
  assert.equal(applied.exitCode, 0, applied.stderr);

  const addr = await sb.netrecon(['exec', 'web', '--', 'ip', '-j', 'addr']);
  assert.equal(addr.exitCode, 0, addr.stderr);
  const links = JSON.parse(addr.stdout) as { ifname: string; addr_info: { local: string }[] }[];
  assert.deepEqual(links.map((l) => l.ifname).sort(), ['eth0', 'lo'], "web's interfaces, not the host's");
  assert.ok(links.find((l) => l.ifname === 'eth0')?.addr_info.some((a) => a.local === '172.17.0.2'), addr.stdout);

  assert.equal((await sb.netrecon(['exec', 'web', '--', 'sh', '-c', 'exit 7'])).exitCode, 7, 'exit code passed through');
  assert.equal((await sb.netrecon(['exec', 'db', '--', 'ping', '-c1', '-W2', '172.17.0.2'])).exitCode, 0, 'db reaches web from inside');

  assert.equal((await sb.run(['ip', 'netns', 'add', 'ghost'])).exitCode, 0);
  for (const name of ['nosuch', 'ghost']) {
    const result = await sb.netrecon(['exec', name, '--', 'true']);
    assert.equal(result.exitCode, 1, `${name}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`no sandbox "${name}"`), `${name}: a clear message`);
  }
  const noCommand = await sb.netrecon(['exec', 'web']);
  assert.equal(noCommand.exitCode, 1, noCommand.stderr);
  assert.match(noCommand.stderr, /exec SANDBOX -- CMD/);
});
