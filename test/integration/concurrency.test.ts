import assert from 'node:assert/strict';
import { access, chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { waitFor } from '../helpers/wait.js';

/**
 * One apply at a time per state directory, and state files that may be lost
 * or damaged (issue 5, items 3 and 4), on the real kernel.
 *
 * To hold the lock deterministically, an apply is paused inside its first
 * host batch by a stand-in for `ip` first in PATH (IP_PAUSE): it waits for a
 * "go" file before running a batch that creates namespaces, and touches a
 * "waiting" file so the test knows the apply is there, lock held.
 */
const fixture = (name: string): string[] => ['-f', join(repoRoot, 'test/fixtures/reliability', name)];
const V1 = fixture('bridge-v1');
const V2 = fixture('bridge-v2');
/** aardvark: a dynamic attachment whose name sorts before alpha's. */
const EXTRA = fixture('lease-extra');

const IP_PAUSE = (real: string): string => `#!/bin/sh
case " $* " in
  *" -batch "*)
    input=$(cat)
    case "$input" in
      *"netns add"*)
        touch "$NR_PAUSE.waiting"
        while [ ! -e "$NR_PAUSE.go" ]; do sleep 0.02; done ;;
    esac
    printf '%s\\n' "$input" | exec ${real} "$@" ;;
esac
exec ${real} "$@"
`;

async function pausingIp(sb: KernelSandbox): Promise<{ env: Record<string, string>; waiting: string; go: string }> {
  const real = (await sb.run(['sh', '-c', 'command -v ip'])).stdout.trim();
  assert.match(real, /^\/.+\/ip$/);
  const bin = await sb.writeFiles('pausebin', { ip: IP_PAUSE(real) });
  await chmod(sb.hostPath(join(bin, 'ip')), 0o755);
  const pause = join(sb.workDir, 'pause');
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, NR_PAUSE: pause },
    waiting: sb.hostPath(`${pause}.waiting`),
    go: sb.hostPath(`${pause}.go`),
  };
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function assertConverged(sb: KernelSandbox, manifests: readonly string[], extra: readonly string[] = []): Promise<void> {
  const plan = await sb.netrecon(['plan', ...manifests, ...extra, '--detailed-exitcode']);
  assert.deepEqual([plan.exitCode, plan.stdout.trim()], [0, 'No changes.'], plan.stderr);
}

function assertSame(want: Snapshot, got: Snapshot, what: string): void {
  assert.deepEqual(got, want, `${what}:\n${diffSnapshots(want, got).join('\n')}`);
}

/** Every IPv4 address in the sandbox, as "netns ifname address/prefix". */
async function addresses(sb: KernelSandbox): Promise<string[]> {
  const snap = await sb.snapshot();
  const out: string[] = [];
  for (const [ns, s] of Object.entries(snap.namespaces)) {
    for (const entry of s.addresses) {
      const infos = Array.isArray(entry['addr_info']) ? entry['addr_info'] : [];
      for (const info of infos) {
        if (typeof info === 'object' && info !== null && !Array.isArray(info) && info['family'] === 'inet') {
          out.push(`${ns} ${String(entry['ifname'])} ${String(info['local'])}/${String(info['prefixlen'])}`);
        }
      }
    }
  }
  return out.sort();
}

test('two applies at once: while one holds the lock the other fails fast naming its pid and changes nothing', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const pause = await pausingIp(sb);
  const first = sb.spawnNetrecon(['apply', ...V1], { env: pause.env });
  await waitFor(() => exists(pause.waiting), { what: 'the first apply to reach its first host batch', timeoutMs: 30_000 });
  const during = await sb.normalisedSnapshot();
  for (const args of [['apply', ...V1], ['apply', ...V2], ['delete', ...V1]]) {
    const started = performance.now();
    const second = await sb.netrecon(args);
    assert.equal(second.exitCode, 1, `${args[0]}: ${second.stderr}`);
    assert.match(second.stderr, new RegExp(`another netrecon \\(pid ${first.pid}\\) holds`), `${args[0]} names the holder`);
    assert.ok(performance.now() - started < 10_000, 'fails fast');
  }
  const plan = await sb.netrecon(['plan', ...V1]);
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stderr, new RegExp(`warning: an apply by pid ${first.pid} is in progress`), 'plan says the apply is running');
  assert.doesNotMatch(plan.stderr, /interrupted/, 'a running apply is not called interrupted');
  assertSame(during, await sb.normalisedSnapshot(), 'the refused commands changed the kernel');
  await writeFile(pause.go, '');
  const done = await first.exited;
  assert.equal(done.exitCode, 0, `the holder finishes: ${done.stderr}`);
  await assertConverged(sb, V1);
  await assert.rejects(access(sb.hostPath(join(sb.stateDir, 'lock'))), /ENOENT/, 'the lock is released');
});

test('two applies started together: never both at once; whichever runs second fails on the lock or finds nothing to do', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const a = sb.spawnNetrecon(['apply', ...V1]);
  const b = sb.spawnNetrecon(['apply', ...V1]);
  const [ra, rb] = await Promise.all([a.exited, b.exited]);
  const results = [{ r: ra, other: b.pid }, { r: rb, other: a.pid }];
  const winners = results.filter(({ r }) => r.exitCode === 0);
  assert.ok(winners.length >= 1, `at least one apply ran: ${ra.stderr}\n${rb.stderr}`);
  for (const { r, other } of results) {
    if (r.exitCode === 0) continue;
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`another netrecon \\(pid ${other}\\) holds`), 'the loser names the winner');
  }
  if (winners.length === 2) {
    // Both ran, so one after the other: exactly one made the changes.
    const created = results.filter(({ r }) => /^Apply complete/m.test(r.stdout)).length;
    const idle = results.filter(({ r }) => /^No changes\./m.test(r.stdout)).length;
    assert.deepEqual([created, idle], [1, 1], `${ra.stdout}\n${rb.stdout}`);
  }
  t.diagnostic(`outcome: ${winners.length === 2 ? 'serialised (both exit 0)' : 'one refused on the lock'}`);
  await assertConverged(sb, V1);
});

test('a lock left by a netrecon killed mid-apply is taken over: the next apply recovers and converges', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const pause = await pausingIp(sb);
  const empty = await sb.normalisedSnapshot();
  const victim = sb.spawnNetrecon(['apply', ...V1], { env: pause.env });
  await waitFor(() => exists(pause.waiting), { what: 'the apply to reach its first host batch', timeoutMs: 30_000 });
  const lockPath = sb.hostPath(join(sb.stateDir, 'lock'));
  const held = JSON.parse(await readFile(lockPath, 'utf8')) as { pid: number };
  assert.equal(held.pid, victim.pid, 'the lock names the apply');
  victim.kill('SIGKILL');
  const killed = await victim.exited;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(await exists(lockPath), 'the dead apply left its lock');

  const recovered = await sb.netrecon(['delete', '--dry-run', ...V1]);
  assert.equal(recovered.exitCode, 0, recovered.stderr);
  assert.match(recovered.stderr, /rolled back an apply that was interrupted/);
  const now = await sb.normalisedSnapshot();
  assertSame(empty, now, 'recovery did not restore the empty state');
  await sb.netreconOk(['apply', ...V1]);
  await assertConverged(sb, V1);
});

for (const [label, damage] of [
  ['truncated', (text: string): string => text.slice(0, Math.floor(text.length / 2))],
  ['empty', (): string => ''],
  ['not JSON', (): string => '\u0000\u0001garbage{'],
  ['wrong shape', (): string => '{"version": 1, "networks": "oops"}\n'],
] as const) {
  test(`a ${label} leases.json (and .bak) is rebuilt from live state without changing any address`, async (t) => {
    const sb = await sandboxFor(t);
    if (sb === undefined) return;
    await sb.netreconOk(['apply', ...V1]);
    const before = await addresses(sb);
    assert.ok(before.some((a) => a.startsWith('alpha eth0 10.77.0.')), before.join('\n'));
    const leases = sb.hostPath(join(sb.stateDir, 'leases.json'));
    await writeFile(leases, damage(await readFile(leases, 'utf8')), { mode: 0o600 });
    await writeFile(`${leases}.bak`, damage('{}'), { mode: 0o600 }).catch(() => undefined);

    // aardvark (dynamic) sorts before alpha: without the rebuilt lease it would take alpha's address.
    const applied = await sb.netreconOk(['apply', ...V1, ...EXTRA]);
    assert.match(applied.stderr, /lease file is corrupt; rebuilding leases from live state/, 'the damage is reported');
    const after = await addresses(sb);
    const kept = after.filter((a) => !a.startsWith('aardvark '));
    assert.deepEqual(kept, before, 'no existing address changed');
    const aardvark = after.find((a) => a.startsWith('aardvark eth0 10.77.0.'));
    assert.ok(aardvark !== undefined, after.join('\n'));
    assert.ok(!before.some((a) => a.endsWith(aardvark.split(' ')[2] ?? '?')), `aardvark got a free address: ${aardvark}`);
    const table = JSON.parse(await readFile(leases, 'utf8')) as { version: number };
    assert.equal(table.version, 1, 'leases.json is valid again');
    await assertConverged(sb, V1, EXTRA);
  });
}

test('a missing state directory is recreated (0700) and its leases rebuilt from live state; addresses unchanged', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const dir = join(sb.workDir, 'state', 'nested');
  const withDir = (args: readonly string[]): string[] => ['--state-dir', dir, ...args];
  await sb.netreconOk(withDir(['apply', ...V1]));
  const before = await addresses(sb);
  assert.equal((await sb.run(['rm', '-rf', join(sb.workDir, 'state')])).exitCode, 0);
  const again = await sb.netreconOk(withDir(['apply', ...V1, ...EXTRA]));
  assert.match(again.stdout, /1 created|Apply complete/, again.stdout);
  const info = await stat(sb.hostPath(dir));
  assert.ok(info.isDirectory());
  assert.equal(info.mode & 0o777, 0o700, 'recreated private');
  assert.ok(await exists(sb.hostPath(join(dir, 'leases.json'))), 'leases recorded again');
  const after = (await addresses(sb)).filter((a) => !a.startsWith('aardvark '));
  assert.deepEqual(after, before, 'no existing address changed');
  await assertConverged(sb, withDir(V1), EXTRA);
});

test('a state directory others can write (0777) is refused with a clear message and nothing changes; 0755 and a sticky 1777 are used', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...V1]);
  const before = await sb.normalisedSnapshot();
  const files = (await sb.run(['ls', '-A', sb.stateDir])).stdout;
  await chmod(sb.hostPath(sb.stateDir), 0o777);
  for (const args of [['apply', ...V2], ['delete', ...V1]]) {
    const refused = await sb.netrecon(args);
    assert.equal(refused.exitCode, 1, refused.stderr);
    assert.match(refused.stderr, /state directory \/var\/lib\/netrecon can be written by group or others \(mode 0777\) without the sticky bit; fix with: chmod 700 \/var\/lib\/netrecon/);
    assert.doesNotMatch(refused.stderr, /^\s+at /m, 'no stack trace');
  }
  assertSame(before, await sb.normalisedSnapshot(), 'a refused command changed the kernel');
  assert.equal((await sb.run(['ls', '-A', sb.stateDir])).stdout, files, 'no state file written');
  // What `mount -t tmpfs` (1777) and `mkdir` (0755) give: netrecon works in both, its files stay 0600.
  await chmod(sb.hostPath(sb.stateDir), 0o1777);
  await sb.netreconOk(['apply', ...V2]);
  await chmod(sb.hostPath(sb.stateDir), 0o755);
  assert.match((await sb.netreconOk(['plan', ...V2])).stdout, /No changes\./);
  await assertConverged(sb, V2);
  const modes = (await sb.run(['stat', '-c', '%a %n', ...(await sb.run(['ls', '-A', sb.stateDir])).stdout.trim().split('\n').map((f) => `${sb.stateDir}/${f}`)])).stdout;
  for (const line of modes.trim().split('\n')) assert.match(line, /^600 /, modes);
});
