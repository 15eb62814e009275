import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { diffSnapshots } from '../helpers/diff.js';
import { normalise } from '../helpers/normalise.js';
import { requireRoot, sandboxFor } from '../helpers/require-root.js';
import { KernelSandbox, repoRoot } from '../helpers/sandbox.js';
import { ROOT_NS } from '../helpers/snapshot.js';
import { waitFor } from '../helpers/wait.js';

/** A netns `blue` joined to the sandbox root by a veth, 10.99.0.0/24. */
const VETH_TO_BLUE = [
  'ip netns add blue',
  'ip link add veth-a type veth peer name veth-b netns blue',
  'ip addr add 10.99.0.1/24 dev veth-a',
  'ip link set veth-a up',
  'ip -n blue addr add 10.99.0.2/24 dev veth-b',
  'ip -n blue link set veth-b up',
  'ip -n blue link set lo up',
];
const BRIDGE_IN_RED = [
  'ip netns add red',
  'ip -n red link add br0 type bridge',
  'ip -n red link add vr0 address 02:00:00:00:00:01 type veth peer name vr1 address 02:00:00:00:00:02',
  'ip -n red link set vr0 master br0',
  'ip -n red link set br0 up',
  'ip -n red link set vr0 up',
  'ip -n red addr add 10.98.0.1/24 dev br0',
  'ip -n red addr add fd98::1/64 dev br0',
  'ip -n red route add 10.97.0.0/24 via 10.98.0.2',
  'ip netns exec red nft add table inet harness',
  'ip netns exec red nft add chain inet harness input { type filter hook input priority 0 ; }',
  'ip netns exec red nft add rule inet harness input counter accept',
];
const VETH_PAIR = (mac: string): string[] => [
  `ip link add va address ${mac} type veth peer name vb address 02:00:00:00:01:00`,
  'ip addr add 10.96.0.1/24 dev va',
  'ip link set va up',
  'ip link set vb up',
];

interface HostNetwork {
  readonly netns: string;
  readonly links: string;
}

async function hostNetwork(): Promise<HostNetwork> {
  const [netns, links] = await Promise.all([execa('ip', ['netns', 'list']), execa('ip', ['-br', 'link'])]);
  return { netns: netns.stdout, links: links.stdout };
}

async function mustRun(sandbox: KernelSandbox, commands: readonly string[]): Promise<void> {
  for (const command of commands) {
    const result = await sandbox.run(command.split(' '));
    assert.equal(result.exitCode, 0, `\`${command}\` failed: ${result.stderr}`);
  }
}

function isDead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

let hostAtStart: HostNetwork | undefined;
before(async () => {
  if (process.getuid?.() === 0) hostAtStart = await hostNetwork();
});
after(async () => {
  if (hostAtStart !== undefined) assert.deepEqual(await hostNetwork(), hostAtStart, 'host network changed during the harness tests');
});

test('two sandboxes made in parallel are isolated from each other and from the host', async (t) => {
  if (!(await requireRoot(t))) return;
  const host = await hostNetwork();
  const [a, b] = await Promise.all([KernelSandbox.create(), KernelSandbox.create()]);
  t.after(() => Promise.all([a.close(), b.close()]));
  await mustRun(a, VETH_TO_BLUE);
  await waitFor(() => a.ping('blue', '10.99.0.1'), { what: 'ping from netns blue to 10.99.0.1', timeoutMs: 15_000 });
  assert.equal(await a.ping(null, '10.99.0.2'), true, 'sandbox root reaches blue');

  assert.equal((await b.run(['ip', 'netns', 'list'])).stdout, '', 'the other sandbox sees no netns');
  const bLinks = JSON.parse((await b.run(['ip', '-j', 'link', 'show'])).stdout) as { ifname: string }[];
  assert.deepEqual(bLinks.map((link) => link.ifname), ['lo']);
  assert.equal(await b.ping(null, '10.99.0.2'), false, 'the other sandbox cannot reach blue');
  assert.deepEqual(await hostNetwork(), host, 'the host sees nothing of the sandboxes');
});

test('snapshot: equal for unchanged state, diffSnapshots shows a change, undoing it restores the snapshot', async (t) => {
  const sandbox = await sandboxFor(t);
  if (sandbox === undefined) return;
  const before = await sandbox.snapshot();
  assert.deepEqual(await sandbox.snapshot(), before, 'two snapshots of the same state');
  assert.deepEqual(Object.keys(before.namespaces), [ROOT_NS]);
  assert.equal(before.namespaces[ROOT_NS]?.links[0]?.['ifname'], 'lo');

  await mustRun(sandbox, BRIDGE_IN_RED);
  const changed = await sandbox.snapshot();
  const red = changed.namespaces['red'];
  assert.ok(red, 'netns red is in the snapshot');
  assert.deepEqual(red.links.map((link) => link['ifname']).sort(), ['br0', 'lo', 'vr0', 'vr1']);
  assert.ok(red.routes4.some((route) => route['dst'] === '10.97.0.0/24' && route['gateway'] === '10.98.0.2'));
  if (red.nftables !== null) assert.ok(red.nftables.some((entry) => 'rule' in entry), 'nft rule recorded');
  assert.deepEqual(await sandbox.snapshot(), changed, 'counters and bridge timers do not make snapshots differ');
  assert.deepEqual(diffSnapshots(before, changed), ['netns "red": only in the second snapshot']);

  await mustRun(sandbox, ['ip -n red addr del 10.98.0.1/24 dev br0']);
  const lines = diffSnapshots(changed, await sandbox.snapshot());
  assert.ok(lines.some((line) => line.startsWith('netns "red": addresses[br0].addr_info: - ') && line.includes('10.98.0.1')), lines.join('\n'));
  assert.ok(lines.some((line) => line.startsWith('netns "red": routes4: - ') && line.includes('10.97.0.0/24')), lines.join('\n'));

  await mustRun(sandbox, ['ip netns del red']);
  const after = await sandbox.snapshot();
  assert.deepEqual(after, before, diffSnapshots(before, after).join('\n'));
});

test('normalise compares by name: a recreated link is equal, a changed one is not', async (t) => {
  const sandbox = await sandboxFor(t);
  if (sandbox === undefined) return;
  await mustRun(sandbox, VETH_PAIR('02:00:00:00:00:0a'));
  const first = await sandbox.snapshot();
  await mustRun(sandbox, ['ip link del va', ...VETH_PAIR('02:00:00:00:00:0a')]);
  const recreated = await sandbox.snapshot();
  assert.ok(diffSnapshots(first, recreated).some((line) => line.includes('[va].ifindex')), 'raw snapshots see the new ifindex');
  assert.deepEqual(normalise(recreated), normalise(first), diffSnapshots(normalise(first), normalise(recreated)).join('\n'));

  await mustRun(sandbox, ['ip link del va', ...VETH_PAIR('02:00:00:00:00:0b')]);
  const otherMac = normalise(await sandbox.snapshot());
  assert.deepEqual(diffSnapshots(normalise(first), otherMac), [
    'netns "(sandbox root)": links[va].address: "02:00:00:00:00:0a" -> "02:00:00:00:00:0b"',
  ]);
  const noMacs = await sandbox.normalisedSnapshot({ ignoreMacs: true });
  assert.deepEqual(noMacs, normalise(first, { ignoreMacs: true }));

  await mustRun(sandbox, ['ip link set va mtu 1400']);
  assert.ok(diffSnapshots(noMacs, await sandbox.normalisedSnapshot({ ignoreMacs: true })).includes(
    'netns "(sandbox root)": links[va].mtu: 1500 -> 1400',
  ));
});

test('run and spawn: stdin, env, exit code, timeout, cwd; signals reach the spawned command', async (t) => {
  const sandbox = await sandboxFor(t);
  if (sandbox === undefined) return;
  const echoed = await sandbox.run(['sh', '-c', 'read x; echo "$x $FOO"; exit 3'], { input: 'hi\n', env: { FOO: 'bar' } });
  assert.deepEqual([echoed.exitCode, echoed.stdout], [3, 'hi bar\n']);
  const slow = await sandbox.run(['sleep', '30'], { timeoutMs: 200 });
  assert.deepEqual([slow.timedOut, slow.exitCode, slow.signal], [true, 143, 'SIGTERM']);
  assert.equal((await sandbox.run(['pwd'])).stdout, `${sandbox.workDir}\n`);
  const ownNet = (await execa('readlink', ['/proc/self/ns/net'])).stdout;
  assert.notEqual((await sandbox.run(['readlink', '/proc/self/ns/net'])).stdout.trim(), ownNet);

  const child = sandbox.spawn(['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.05; done']);
  await waitFor(async () => child.output().stdout.includes('started'), { what: 'spawned shell to start' });
  assert.equal(await readFile(`/proc/${child.pid}/comm`, 'utf8'), 'sh\n', 'the pid is the command, not nsenter');
  child.kill('SIGTERM');
  const result = await child.exited;
  assert.deepEqual([result.exitCode, result.stdout], [7, 'started\ngot-term\n']);
});

test('writeFiles: files land in the sandbox tmpfs only; netrecon() resolves the checkout', async (t) => {
  const sandbox = await sandboxFor(t);
  if (sandbox === undefined) return;
  const dir = await sandbox.writeFiles('manifests', { 'a.yaml': 'kind: a\n', 'sub/b.yaml': 'kind: b\n' });
  assert.equal(dir, join(sandbox.workDir, 'manifests'));
  assert.equal((await sandbox.run(['cat', 'manifests/a.yaml', join(dir, 'sub/b.yaml')])).stdout, 'kind: a\nkind: b\n');
  assert.equal(existsSync(join(dir, 'a.yaml')), false, 'not written to the host filesystem');
  assert.equal(await readFile(sandbox.hostPath(join(dir, 'a.yaml')), 'utf8'), 'kind: a\n');
  await assert.rejects(sandbox.writeFiles('../escape', { 'x.yaml': '' }), /leaves the work directory/);
  const state = await sandbox.run(['sh', '-c', `touch ${sandbox.stateDir}/probe && ls ${sandbox.stateDir}`]);
  assert.equal(state.stdout, 'probe\n');
  assert.equal(existsSync(join(sandbox.stateDir, 'probe')), false, 'state dir is private');
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { name: string };
  assert.equal(pkg.name, 'netrecon');
});

test('close() kills everything inside, is idempotent, and leaves the host as it was', async (t) => {
  if (!(await requireRoot(t))) return;
  const host = await hostNetwork();
  const sandbox = await KernelSandbox.create();
  t.after(() => sandbox.close());
  await mustRun(sandbox, VETH_TO_BLUE);
  const tracked = sandbox.spawn(['sleep', '1000']);
  const stray = await sandbox.run(['sh', '-c', 'ip netns exec blue sleep 1000 >/dev/null 2>&1 & echo $!']);
  const strayPid = Number(stray.stdout.trim());
  assert.ok(strayPid > 0 && !isDead(strayPid), 'untracked process running in netns blue');

  await Promise.all([sandbox.close(), sandbox.close()]);
  await sandbox.close();
  assert.equal((await tracked.exited).signal, 'SIGKILL');
  assert.ok(isDead(strayPid), 'untracked process was killed');
  assert.ok(isDead(sandbox.pid), 'holder exited');
  assert.equal(existsSync(sandbox.workDir), false, 'work directory removed from the host');
  assert.notEqual((await sandbox.run(['true'])).exitCode, 0, 'nothing left to enter');
  assert.deepEqual(await hostNetwork(), host);
});

test('waitFor polls until true and, when bounded out, names what it waited for', async () => {
  let calls = 0;
  await waitFor(async () => ++calls === 3, { what: 'third call', intervalMs: 1 });
  assert.equal(calls, 3);
  await assert.rejects(
    waitFor(async () => false, { what: 'the moon to turn blue', timeoutMs: 50, intervalMs: 5 }),
    /timed out after 50 ms waiting for the moon to turn blue/,
  );
  await assert.rejects(
    waitFor(async () => { throw new Error('no such device'); }, { what: 'eth9', timeoutMs: 20, intervalMs: 5 }),
    /waiting for eth9 \(last check threw: no such device\)/,
  );
});
