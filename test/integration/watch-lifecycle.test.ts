import assert from 'node:assert/strict';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox, type SandboxProcess } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The watch process around its reconciles: SIGTERM/SIGINT exit 0 with the
 * lock released (also mid-reconcile, leaving a consistent state), the lock
 * held from start to stop keeps manual applies and a second watch out, and a failed reconcile is retried
 * with growing pauses until it applies.
 */
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/integration4/lifecycle', name);
const text = (name: string): Promise<string> => readFile(fixture(name), 'utf8');

interface LogLine {
  readonly msg: string;
  readonly time: number;
  readonly trigger?: string;
  readonly outcome?: string;
  readonly error?: string;
  readonly signal?: string;
  readonly inFlight?: boolean;
}

const logOf = (watch: SandboxProcess): LogLine[] =>
  watch.output().stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
const reconciles = (watch: SandboxProcess, outcome?: string): LogLine[] =>
  logOf(watch).filter((l) => l.msg === 'reconcile' && (outcome === undefined || l.outcome === outcome));

/** Bounded wait until `count` reconcile lines with `outcome` have been logged; returns them. */
async function awaitReconciles(watch: SandboxProcess, outcome: string, count: number, timeoutMs = 15_000): Promise<LogLine[]> {
  await waitFor(async () => reconciles(watch, outcome).length >= count, { what: `${count} '${outcome}' reconciles in\n${watch.output().stderr}`, timeoutMs });
  return reconciles(watch, outcome);
}

async function watchDir(sb: KernelSandbox, files: Record<string, string>): Promise<{ dir: string; watch: SandboxProcess }> {
  const contents: Record<string, string> = {};
  for (const [name, from] of Object.entries(files)) contents[name] = await text(from);
  const dir = await sb.writeFiles('manifests', contents);
  return { dir, watch: sb.spawnNetrecon(['watch', dir, '--resync', '1h', '--log-format', 'json']) };
}

/** Until the watch has logged nothing for 2.5 s: the reconciles echoing its own kernel events are over. */
async function idle(watch: SandboxProcess): Promise<void> {
  let [length, since] = [-1, Date.now()];
  await waitFor(async () => {
    if (watch.output().stderr.length !== length) [length, since] = [watch.output().stderr.length, Date.now()];
    return Date.now() - since >= 2500;
  }, { what: 'an idle watch', timeoutMs: 30_000, intervalMs: 100 });
}

/** What apply and plan print when there is nothing to do. */
const NO_CHANGES = /^No changes\./;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function webAddresses(sb: KernelSandbox, ns = 'web'): Promise<string[]> {
  const result = await sb.run(['ip', '-n', ns, '-j', '-4', 'addr', 'show', 'dev', 'eth0']);
  const links = result.exitCode === 0 ? (JSON.parse(result.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]) : [];
  return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

/** After the watch is gone: exit 0, stop logged, lock and journal gone. */
async function assertCleanExit(sb: KernelSandbox, watch: SandboxProcess, signal: string): Promise<LogLine> {
  const result = await watch.exited;
  assert.deepEqual([result.exitCode, result.signal], [0, undefined], `${signal}: ${result.stderr}`);
  const log = logOf(watch);
  const stopping = log.find((l) => l.msg === 'stopping');
  assert.equal(stopping?.signal, signal);
  assert.equal(log.at(-1)?.msg, 'stopped');
  assert.equal(await exists(sb.hostPath(join(sb.stateDir, 'lock'))), false, `${signal}: the lock is released`);
  assert.equal(await exists(sb.hostPath(join(sb.stateDir, 'journal.json'))), false, `${signal}: no journal left`);
  return stopping as LogLine;
}

test('SIGTERM and SIGINT: exit 0, the lock released, a following apply succeeds at once', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { dir, watch } = await watchDir(sb, { 'web.yaml': 'web.yaml' });
    const [first] = await awaitReconciles(watch, signal === 'SIGTERM' ? 'applied' : 'no-changes', 1);
    assert.match(first?.trigger ?? '', /^start\b/);
    await idle(watch);
    watch.kill(signal);
    await assertCleanExit(sb, watch, signal);
    const apply = await sb.netrecon(['apply', '-f', dir]);
    assert.equal(apply.exitCode, 0, apply.stderr);
    assert.match(apply.stdout, NO_CHANGES);
  }
  assert.deepEqual(await webAddresses(sb), ['10.65.0.10/24'], 'the watch left what it applied');
});


test('SIGTERM during a reconcile in flight (100 sandboxes): exit 0, lock released, no journal, a consistent state', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { dir, watch } = await watchDir(sb, { 'web.yaml': 'web.yaml' });
  await awaitReconciles(watch, 'applied', 1);
  const journal = sb.hostPath(join(sb.stateDir, 'journal.json'));
  await idle(watch);

  await writeFile(sb.hostPath(`${dir}/bulk.yaml`), await text('bulk.yaml'));
  // The journal exists from the first wave of an apply to its end.
  await waitFor(() => exists(journal), { what: 'the watch to start applying the 100-sandbox reconcile', intervalMs: 10 });
  watch.kill('SIGTERM');
  const stopping = await assertCleanExit(sb, watch, 'SIGTERM');
  assert.equal(stopping.inFlight, true, 'the signal came during the reconcile');
  assert.ok(reconciles(watch).every((l) => l.outcome !== 'failed'), watch.output().stderr);

  const plan = await sb.netrecon(['plan', '-f', dir, '--detailed-exitcode']);
  assert.ok(plan.exitCode === 0 || plan.exitCode === 2, `plan after the stop: exit ${plan.exitCode}\n${plan.stderr}`);
  assert.match(plan.stdout.trim().split('\n').at(-1) ?? '', /^(No changes\.|Plan: \d+ to create, \d+ to update, \d+ to delete\.)$/, plan.stdout);
  const apply = await sb.netrecon(['apply', '-f', dir]);
  assert.equal(apply.exitCode, 0, apply.stderr);
  const again = await sb.netrecon(['plan', '-f', dir, '--detailed-exitcode']);
  assert.deepEqual([again.exitCode, again.stdout.trim()], [0, 'No changes.'], again.stderr);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout.trim().split('\n').length, 101);
});

test('a running watch holds the lock: a manual apply, delete or second watch fails fast naming it; a lost lock is taken again', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { dir, watch } = await watchDir(sb, { 'web.yaml': 'web.yaml' });
  await awaitReconciles(watch, 'applied', 1);
  const lock = sb.hostPath(join(sb.stateDir, 'lock'));
  const heldByWatch = async (): Promise<boolean> => (await readFile(lock, 'utf8').catch(() => '')).includes(`"pid":${watch.pid},`);
  await idle(watch);
  assert.ok(await heldByWatch(), 'an idle watch still holds the lock');
  const byWatch = new RegExp(`another netrecon \\(pid ${watch.pid}\\) holds .*a running \`netrecon watch\` reconciles this state directory`);
  for (const args of [['apply', '-f', dir], ['delete', '-f', dir], ['watch', dir, '--log-format', 'json']]) {
    const refused = await sb.netrecon(args, { timeoutMs: 20_000 });
    assert.equal(refused.exitCode, 1, `${args[0]}: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, byWatch, `${args[0]} names the watch`);
  }
  assert.deepEqual(await webAddresses(sb), ['10.65.0.10/24'], 'the refused commands changed nothing');

  // The lock file replaced by another netrecon's (a live pid in its record): the watch's next reconcile fails naming it, touching nothing.
  const holder = sb.spawn(['sleep', '60']);
  const record = { pid: holder.pid, startedAt: new Date().toISOString(), command: 'apply -f elsewhere', token: '0123456789abcdef' };
  await writeFile(lock, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  const failedBefore = reconciles(watch, 'failed').length;
  await writeFile(sb.hostPath(`${dir}/web.yaml`), await text('web-moved.yaml'));
  const failed = (await awaitReconciles(watch, 'failed', failedBefore + 1)).at(-1);
  assert.match(failed?.error ?? '', new RegExp(`\\bpid ${holder.pid}\\b`), 'the watch names the holder');
  assert.deepEqual(await webAddresses(sb), ['10.65.0.10/24'], 'nothing applied while the lock is held');
  const refused = await sb.netrecon(['apply', '-f', dir]);
  assert.equal(refused.exitCode, 1, refused.stdout);
  assert.match(refused.stderr, new RegExp(`\\bpid ${holder.pid}\\b`));

  // Once that holder is gone, the retried reconcile takes the lock again, applies, and keeps holding it.
  const appliedBefore = reconciles(watch, 'applied').length;
  await rm(lock);
  const retried = (await awaitReconciles(watch, 'applied', appliedBefore + 1)).at(-1);
  assert.match(retried?.trigger ?? '', /\bretry\b/, 'the failed reconcile is retried');
  assert.deepEqual(await webAddresses(sb), ['10.65.0.11/24']);
  assert.ok(await heldByWatch(), 'the watch holds the lock again');
  const after = await sb.netrecon(['apply', '-f', dir]);
  assert.equal(after.exitCode, 1, after.stdout);
  assert.match(after.stderr, byWatch);
  holder.kill('SIGKILL');
});

test('a failed reconcile (conflict with an unowned bridge) is retried with growing pauses, applied once the bridge is gone', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  assert.equal((await sb.run(['ip', 'link', 'add', 'nr-taken', 'type', 'bridge'])).exitCode, 0);
  const { watch } = await watchDir(sb, { 'conflict.yaml': 'conflict.yaml' });
  const failures = await awaitReconciles(watch, 'failed', 3);
  assert.deepEqual(failures.slice(0, 3).map((l) => l.trigger), ['start', 'retry', 'retry']);
  for (const f of failures) assert.match(f.error ?? '', /nr-taken.*does not own/);
  const [t1, t2, t3] = failures.map((l) => l.time) as [number, number, number];
  assert.ok(t2 - t1 >= 1000 && t3 - t2 >= 2000 && t3 - t2 > t2 - t1, `pauses grow: ${t2 - t1} ms, then ${t3 - t2} ms`);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout, '', 'a failed reconcile leaves nothing half-applied');
  const links = JSON.parse((await sb.run(['ip', '-j', 'link', 'show'])).stdout) as { ifname: string; ifalias?: string }[];
  assert.deepEqual(links.filter((l) => l.ifalias?.startsWith('netrecon:')), []);

  assert.equal((await sb.run(['ip', 'link', 'del', 'nr-taken'])).exitCode, 0);
  const [applied] = await awaitReconciles(watch, 'applied', 1);
  assert.match(applied?.trigger ?? '', /\b(retry|kernel)\b/);
  assert.deepEqual(await webAddresses(sb, 'app'), ['10.67.0.10/24']);
  const bridge = JSON.parse((await sb.run(['ip', '-j', 'link', 'show', 'dev', 'nr-taken'])).stdout) as { ifalias?: string }[];
  assert.equal(bridge[0]?.ifalias, 'netrecon:network/taken', 'the bridge is now netrecon’s own');
});
