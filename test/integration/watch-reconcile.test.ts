import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox, type SandboxProcess } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `netrecon watch DIR`: manifests created, edited, broken, fixed and deleted
 * reach the kernel (and a broken directory changes nothing); drift made by
 * hand is repaired from kernel events without waiting for --resync; a burst
 * of writes is a few reconciles; SIGHUP forces one.
 */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration4', ...path);
const text = (...path: string[]): Promise<string> => readFile(fixture(...path), 'utf8');

/** One pino line of the watch's stderr (the fields these tests read). */
interface LogLine {
  readonly msg: string;
  readonly time: number;
  readonly trigger?: string;
  readonly changed?: readonly string[];
  readonly outcome?: string;
  readonly errors?: readonly string[];
  readonly steps?: number;
  readonly create?: number;
  readonly update?: number;
  readonly delete?: number;
}

function parseLog(stderr: string): LogLine[] {
  return stderr.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const value: unknown = JSON.parse(line);
    const ok = typeof value === 'object' && value !== null && 'msg' in value && typeof value.msg === 'string' && 'time' in value && typeof value.time === 'number';
    return ok ? [value as LogLine] : [];
  });
}

const isReconcile = (l: LogLine): boolean => l.msg === 'reconcile';
const triggeredBy = (l: LogLine, kind: string): boolean => (l.trigger ?? '').split(',').includes(kind);

/** A running `netrecon watch` and its log. */
class Watch {
  constructor(readonly proc: SandboxProcess) {}

  log(): LogLine[] {
    return parseLog(this.proc.output().stderr);
  }

  /** Position in the log, for "lines after this". */
  mark(): number {
    return this.log().length;
  }

  since(mark: number): LogLine[] {
    return this.log().slice(mark);
  }

  /** The first line after `mark` matching `match`; bounded wait. */
  async next(mark: number, match: (l: LogLine) => boolean, what: string, timeoutMs = 10_000): Promise<LogLine> {
    let found: LogLine | undefined;
    await waitFor(async () => (found = this.since(mark).find(match)) !== undefined, { what: `watch log: ${what}\n${this.proc.output().stderr}`, timeoutMs });
    return found as LogLine;
  }

  /** Until no log line has come for `quietMs` (reconciles echoing their own kernel events included). */
  async settle(quietMs = 2500): Promise<void> {
    let count = -1;
    let since = Date.now();
    await waitFor(async () => {
      const now = this.log().length;
      if (now !== count) [count, since] = [now, Date.now()];
      return Date.now() - since >= quietMs;
    }, { what: 'the watch log to go quiet', timeoutMs: 30_000, intervalMs: 100 });
  }
}

/** Starts a watch on `dir` (resync 1h: every repair seen here comes from an event) and waits for its first reconcile. */
async function startWatch(sb: KernelSandbox, dir: string): Promise<Watch> {
  const watch = new Watch(sb.spawnNetrecon(['watch', dir, '--resync', '1h', '--log-format', 'json']));
  const first = await watch.next(0, isReconcile, 'the start reconcile', 20_000);
  assert.ok(triggeredBy(first, 'start'), JSON.stringify(first));
  assert.equal(first.outcome, 'applied', JSON.stringify(first));
  return watch;
}

async function netnsNames(sb: KernelSandbox): Promise<string[]> {
  const result = await sb.run(['ip', 'netns', 'list']);
  return result.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(' ')[0] ?? '').sort();
}

/** IPv4 addresses on eth0 of a netns (empty when the netns or eth0 is missing). */
async function eth0Addresses(sb: KernelSandbox, ns: string): Promise<string[]> {
  const result = await sb.run(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', 'eth0']);
  if (result.exitCode !== 0) return [];
  const links = JSON.parse(result.stdout) as { addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

function waitAddresses(sb: KernelSandbox, ns: string, expected: readonly string[]): Promise<void> {
  return waitFor(async () => JSON.stringify(await eth0Addresses(sb, ns)) === JSON.stringify(expected), { what: `${ns} eth0 = [${expected.join(', ')}]` });
}

/** Host links netrecon marked as an attachment's. */
async function ownedHostLinks(sb: KernelSandbox): Promise<string[]> {
  const links = JSON.parse((await sb.run(['ip', '-j', 'link', 'show'])).stdout) as { ifalias?: string }[];
  return links.flatMap((l) => (l.ifalias?.startsWith('netrecon:attachment/') ? [l.ifalias] : [])).sort();
}

test('watched files: created, edited, broken (logged FILE:LINE:COL, nothing removed), fixed, deleted (pruned)', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const dir = await sb.writeFiles('manifests', { 'network.yaml': await text('watch-files', 'network.yaml'), 'web.yaml': await text('watch-files', 'web.yaml') });
  const put = async (name: string, from: string): Promise<void> => void (await sb.writeFiles('manifests', { [name]: await text('watch-files', from) }));
  const watch = await startWatch(sb, dir);
  await waitAddresses(sb, 'web', ['10.61.0.10/24']);

  let mark = watch.mark();
  await put('db.yaml', 'db.yaml');
  await waitAddresses(sb, 'db', ['10.61.0.20/24']);
  const created = await watch.next(mark, (l) => isReconcile(l) && triggeredBy(l, 'file'), 'a file reconcile for db.yaml');
  assert.deepEqual([created.outcome, created.changed], ['applied', [`${dir}/db.yaml`]]);
  assert.deepEqual(await ownedHostLinks(sb), ['netrecon:attachment/db-files', 'netrecon:attachment/web-files']);

  await put('web.yaml', 'web-edited.yaml');
  await waitAddresses(sb, 'web', ['10.61.0.11/24']);

  await watch.settle();
  const good = await sb.normalisedSnapshot({ ignoreMacs: true });
  for (const broken of ['db-broken', 'db-bad-reference']) {
    mark = watch.mark();
    await put('db.yaml', `${broken}.yaml`);
    const invalid = await watch.next(mark, (l) => l.outcome === 'invalid', `${broken} reported`);
    assert.equal(invalid.msg, 'manifests invalid; keeping the last good state');
    assert.deepEqual(invalid.errors, [`${dir}/${(await text('watch-files', `${broken}.expected.txt`)).trim()}`]);
  }
  // A manifest deleted while another is broken: never apply half a directory.
  mark = watch.mark();
  await rm(sb.hostPath(`${dir}/web.yaml`));
  const stillInvalid = await watch.next(mark, (l) => l.outcome === 'invalid', 'the deletion reported as invalid');
  assert.deepEqual(stillInvalid.changed, [`${dir}/web.yaml`]);
  await watch.settle();
  assert.deepEqual(watch.since(mark).filter((l) => isReconcile(l) && l.outcome !== 'no-changes'), [], 'the last good state stays: no steps');
  assert.deepEqual(await sb.normalisedSnapshot({ ignoreMacs: true }), good, 'the kernel is as before the breakage');

  mark = watch.mark();
  await put('db.yaml', 'db-fixed.yaml');
  const fixed = await watch.next(mark, (l) => isReconcile(l) && l.outcome === 'applied', 'the fixed directory applied');
  assert.ok(triggeredBy(fixed, 'file') && (fixed.delete ?? 0) > 0, `db changed and web pruned in one reconcile: ${JSON.stringify(fixed)}`);
  await waitAddresses(sb, 'db', ['10.61.0.21/24']);
  await waitFor(async () => !(await netnsNames(sb)).includes('web'), { what: 'web pruned once the directory is valid again' });
  assert.deepEqual(await ownedHostLinks(sb), ['netrecon:attachment/db-files'], "web's host veth end is pruned too");

  mark = watch.mark();
  await rm(sb.hostPath(`${dir}/db.yaml`));
  await waitFor(async () => (await netnsNames(sb)).length === 0, { what: 'db pruned after db.yaml is deleted' });
  const pruned = await watch.next(mark, (l) => isReconcile(l) && l.outcome === 'applied', 'the prune reconcile');
  assert.ok((pruned.delete ?? 0) > 0 && pruned.create === 0, JSON.stringify(pruned));
  assert.deepEqual(await ownedHostLinks(sb), []);
  const bridge = JSON.parse((await sb.run(['ip', '-j', 'link', 'show', 'type', 'bridge'])).stdout) as { ifalias?: string }[];
  assert.deepEqual(bridge.map((l) => l.ifalias), ['netrecon:network/files'], 'network.yaml is still declared: its bridge stays');
});

test('a burst of 50 writes (one file rewritten 50 times, then 50 new files) is at most 3 reconciles each', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const template = await text('burst', 'address.yaml.tmpl');
  const addressFile = (i: number): string => template.replace('ADDR', `10.64.0.${10 + i}`);
  const dir = await sb.writeFiles('manifests', { 'web.yaml': addressFile(0) });
  const watch = await startWatch(sb, dir);
  await waitAddresses(sb, 'web', ['10.64.0.10/24']);
  await watch.settle();

  const countAfter = async (mark: number, what: string): Promise<void> => {
    await watch.settle();
    const reconciles = watch.since(mark).filter(isReconcile);
    assert.ok(reconciles.length >= 1 && reconciles.length <= 3, `${what}: ${reconciles.length} reconciles\n${JSON.stringify(reconciles, null, 1)}`);
    assert.ok(reconciles.every((l) => l.outcome === 'applied' || l.outcome === 'no-changes'), JSON.stringify(reconciles));
  };
  let mark = watch.mark();
  for (let i = 1; i <= 50; i++) await writeFile(sb.hostPath(`${dir}/web.yaml`), addressFile(i));
  await waitAddresses(sb, 'web', ['10.64.0.60/24']);
  await countAfter(mark, 'one file rewritten 50 times');

  const sandbox = await text('burst', 'sandbox.yaml.tmpl');
  const names = Array.from({ length: 50 }, (_, i) => `burst-${String(i + 1).padStart(2, '0')}`);
  mark = watch.mark();
  for (const name of names) await writeFile(sb.hostPath(`${dir}/${name}.yaml`), sandbox.replace('burst-NN', name));
  await waitFor(async () => (await netnsNames(sb)).length === 51, { what: '50 new netns', timeoutMs: 20_000 });
  assert.deepEqual(await netnsNames(sb), [...names, 'web'].sort());
  await countAfter(mark, '50 new files');
});

interface DriftCase {
  readonly name: string;
  readonly commands: readonly (readonly string[])[];
}
interface DriftCases {
  readonly kernelEvents: readonly DriftCase[];
  readonly nftFlush: DriftCase;
  /** A line added by hand to a hosts file netrecon owns (its ownership mark kept). */
  readonly hostsFile: { readonly path: string; readonly append: string };
}
const driftCases = async (): Promise<DriftCases> => JSON.parse(await text('drift', 'cases.json')) as DriftCases;

/** Starts a watch on the drift fixture and returns it with the converged state (MACs aside: host veth ends get random ones). */
async function convergedWatch(sb: KernelSandbox): Promise<{ watch: Watch; converged: unknown }> {
  const dir = await sb.writeFiles('manifests', { 'manifests.yaml': await text('drift', 'manifests.yaml') });
  const watch = await startWatch(sb, dir);
  await watch.settle();
  return { watch, converged: await sb.normalisedSnapshot({ ignoreMacs: true }) };
}

async function driftAndRepair(sb: KernelSandbox, watch: Watch, converged: unknown, c: DriftCase): Promise<void> {
  const mark = watch.mark();
  for (const argv of c.commands) {
    const result = await sb.run(argv);
    assert.equal(result.exitCode, 0, `${argv.join(' ')}: ${result.stderr}`);
  }
  const repair = await watch.next(mark, (l) => isReconcile(l) && l.outcome === 'applied', `${c.name}: a repair`);
  assert.ok(triggeredBy(repair, 'kernel'), `${c.name}: repaired on a kernel event, not ${repair.trigger}`);
  await waitFor(async () => JSON.stringify(await sb.normalisedSnapshot({ ignoreMacs: true })) === JSON.stringify(converged), { what: `${c.name}: the converged state back` });
}

test('drift made by hand (veth deleted, address changed, route removed, netns deleted) is repaired within seconds, long before --resync 1h', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { watch, converged } = await convergedWatch(sb);
  for (const c of (await driftCases()).kernelEvents) await driftAndRepair(sb, watch, converged, c);
  assert.ok(watch.log().every((l) => !triggeredBy(l, 'resync')), 'no resync ran');
});

test('a flushed nft table is repaired without waiting for --resync', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { watch, converged } = await convergedWatch(sb);
  await driftAndRepair(sb, watch, converged, (await driftCases()).nftFlush);
});

test('SIGHUP forces a full reconcile, which repairs drift no kernel event reports (a network hosts file edited by hand)', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const { watch, converged } = await convergedWatch(sb);
  const { path, append } = (await driftCases()).hostsFile;
  const hosts = sb.hostPath(path);
  const original = await readFile(hosts, 'utf8');
  const mark = watch.mark();
  await writeFile(hosts, original + append);
  watch.proc.kill('SIGHUP');
  const forced = await watch.next(mark, (l) => isReconcile(l) && triggeredBy(l, 'signal'), 'a reconcile triggered by SIGHUP');
  assert.deepEqual([forced.outcome, forced.update], ['applied', 1], JSON.stringify(forced));
  assert.equal(await readFile(hosts, 'utf8'), original, 'the hosts file is restored');
  assert.deepEqual(await sb.normalisedSnapshot({ ignoreMacs: true }), converged);
  assert.equal(watch.proc.output().stderr.includes('"msg":"stopping"'), false, 'SIGHUP does not stop the watch');
});
