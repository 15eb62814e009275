/** The chunked readers and runners, with a fake Runner: process counts, order, fallback, failure attribution. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runIpBatchesChunked } from '../../src/apply/chunked.js';
import { Wave } from '../../src/model/plan.js';
import { observeState } from '../../src/observe/index.js';
import type { Batch } from '../../src/reconcile/batches.js';
import { enterEachArgv, runInEach } from '../../src/util/enter.js';
import { SpawnError, type RunOptions, type RunResult, type Runner } from '../../src/util/runner.js';

/** The processes that run a command in each of many namespaces (util/enter.ts): perl, or xargs with nsenter. */
const ENTER = new Set(['perl', 'xargs']);

const LO = { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], ifalias: '' };
const nsOutput = (ns: string): string => `${JSON.stringify([{ ...LO, ifalias: `netrecon:sandbox/${ns}` }])}\n[]\n[]\n`;

class FakeRunner implements Runner {
  readonly calls: { file: string; args: readonly string[]; input: string }[] = [];
  constructor(private readonly vanished: ReadonlySet<string> = new Set()) {}
  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const input = options.input ?? '';
    this.calls.push({ file, args, input });
    if (ENTER.has(file)) {
      const names = input.split('\0');
      const live = names.filter((n) => !this.vanished.has(n));
      return { exitCode: live.length === names.length ? 0 : 123, stdout: live.map(nsOutput).join(''), stderr: '' };
    }
    if (file === 'nsenter') {
      const ns = String(args[0]).split('/').pop() ?? '';
      return this.vanished.has(ns)
        ? { exitCode: 1, stdout: '', stderr: `nsenter: cannot open /run/netns/${ns}: No such file or directory` }
        : { exitCode: 0, stdout: nsOutput(ns), stderr: '' };
    }
    return { exitCode: 0, stdout: '[]\n[]\n[]\n', stderr: '' };
  }
}

// Names no other argument can hold by chance (the batch file's random temp directory could hold "s3").
const names = Array.from({ length: 40 }, (_, i) => `sandbox-${i}-ns`);

test('observing 40 namespaces spawns 1 + 4 processes (host + one per chunk), and finds every owned netns', async () => {
  const runner = new FakeRunner();
  const state = await observeState(runner, { concurrency: 4, listNetns: async () => names });
  assert.equal(runner.calls.length, 5);
  assert.equal(runner.calls.filter((c) => ENTER.has(c.file)).length, 4);
  assert.deepEqual(runner.calls.filter((c) => ENTER.has(c.file)).map((c) => c.input.split('\0').length), [10, 10, 10, 10]);
  assert.deepEqual([...state.resources.keys()].sort(), names.map((n) => `netns/${n}`).sort());
});

test('a namespace that vanished mid-read: its chunk is read again one by one and it is left out', async () => {
  const runner = new FakeRunner(new Set(['sandbox-3-ns']));
  const state = await observeState(runner, { concurrency: 4, listNetns: async () => names });
  assert.equal(state.resources.has('netns/sandbox-3-ns'), false);
  assert.equal(state.resources.size, 39);
  assert.equal(runner.calls.filter((c) => c.file === 'nsenter').length, 10, 'only the chunk holding sandbox-3-ns (10 names) is re-read');
});

test('names travel on stdin and are substituted into single arguments: no shell, never parsed as code', async () => {
  const runner = new FakeRunner();
  await observeState(runner, { concurrency: 2, netnsDir: '/run/netns', listNetns: async () => names });
  const call = runner.calls.find((c) => ENTER.has(c.file));
  assert.ok(call);
  assert.equal(call.input, [...names].sort().slice(0, 20).join('\0'), 'the first half of the sorted names');
  assert.ok(names.every((n) => !call.args.some((a) => a.includes(n))), 'no name in the argv');
  const [xargs, args] = enterEachArgv('/run/netns', ['ip', '-j', '-batch', '/tmp/x/{}.batch'], 'nsenter');
  assert.equal(xargs, 'xargs');
  assert.deepEqual(args.slice(0, 4), ['-0', '-I{}', 'nsenter', '--net=/run/netns/{}']);
  for (const [, argv] of [enterEachArgv('/run/netns', ['ip'], 'perl'), enterEachArgv('/run/netns', ['ip'], 'nsenter')]) {
    assert.ok(!argv.includes('sh') && !argv.includes('bash') && !argv.includes('-c'));
  }
});

test('chunked apply: a failure reported as DIR/<ns>.batch:LINE is attributed to that namespace and line; the rest succeeded', async () => {
  const batches: Extract<Batch, { kind: 'ip' }>[] = ['a', 'b', 'c'].map((ns) => ({
    kind: 'ip', wave: Wave.nsCreate, ns,
    lines: [0, 1, 2].map((i) => ({ stepId: i, command: { tool: 'ip', ns, wave: Wave.nsCreate, args: ['link', 'set', 'lo', 'up'] } })),
  }));
  const runner: Runner = {
    async run(_file, args) {
      const dir = String(args[args.length - 1]).replace('/{}.batch', '');
      return { exitCode: 123, stdout: '', stderr: `RTNETLINK answers: File exists\nCommand failed ${dir}/b.batch:2\n` };
    },
  };
  const outcomes = await runIpBatchesChunked(batches, { runner, netnsDir: '/run/netns', chunks: 1, force: false, readBack: new Set() });
  assert.deepEqual(outcomes.map((o) => [o.batch.ns, o.failedLines, o.completed]), [['a', [], 3], ['b', [1], 1], ['c', [], 3]]);
});

test('where perl cannot be started or runs nothing, the same chunk runs through xargs and nsenter, and later chunks go there directly', async (t) => {
  if (enterEachArgv('/run/netns', ['ip'])[0] !== 'perl') {
    t.skip(`perl is not the first choice on ${process.arch} (its setns(2) number is not known here)`);
    return;
  }
  const unusable: [string, (file: string) => RunResult | never][] = [
    ['missing', () => { throw new SpawnError('perl', 'ENOENT'); }],
    ['built for another CPU', () => ({ exitCode: 125, stdout: '', stderr: 'netrecon: perl is built for i686-linux, not x86_64\n' })],
    ['cannot compile', () => ({ exitCode: 2, stdout: '', stderr: "Can't locate strict.pm in @INC\n" })],
  ];
  for (const [why, perl] of unusable) {
    const calls: string[] = [];
    const runner: Runner = {
      async run(file, _args, options = {}) {
        calls.push(file);
        if (file === 'perl') return perl(file);
        return { exitCode: 0, stdout: (options.input ?? '').split('\0').join(','), stderr: '' };
      },
    };
    const first = await runInEach(runner, ['a', 'b'], '/run/netns', ['ip', 'link']);
    const second = await runInEach(runner, ['c'], '/run/netns', ['ip', 'link']);
    assert.deepEqual([first.stdout, second.stdout], ['a,b', 'c'], why);
    assert.deepEqual(calls, ['perl', 'xargs', 'xargs'], why);
  }
  const failing: Runner = { run: async () => ({ exitCode: 123, stdout: '', stderr: 'netrecon: cannot open /run/netns/a: No such file or directory\n' }) };
  assert.equal((await runInEach(failing, ['a'], '/run/netns', ['ip'])).exitCode, 123, 'a command that failed is not run again');
});

test('chunked apply: a failure no namespace owns fails every batch of the chunk; one naming a namespace fails only that one', async () => {
  const batches: Extract<Batch, { kind: 'ip' }>[] = ['a', 'b', 'c'].map((ns) => ({
    kind: 'ip', wave: Wave.nsCreate, ns,
    lines: [0, 1].map((i) => ({ stepId: i, command: { tool: 'ip', ns, wave: Wave.nsCreate, args: ['link', 'set', 'lo', 'up'] } })),
  }));
  const outcome = async (exitCode: number, stderr: string) => {
    const runner: Runner = { run: async () => ({ exitCode, stdout: '', stderr }) };
    const outcomes = await runIpBatchesChunked(batches, { runner, netnsDir: '/run/netns', chunks: 1, force: false, readBack: new Set() });
    return outcomes.map((o) => [o.batch.ns, o.failedLines]);
  };
  assert.deepEqual(await outcome(137, ''), [['a', [0, 1]], ['b', [0, 1]], ['c', [0, 1]]], 'killed');
  assert.deepEqual(await outcome(123, 'netrecon: cannot run /usr/sbin/ip in /run/netns/b: Permission denied\n'), [['a', []], ['b', [0, 1]], ['c', []]]);
  assert.deepEqual(await outcome(123, 'netrecon: cannot enter /run/netns/c: Operation not permitted\n'), [['a', []], ['b', []], ['c', [0, 1]]]);
  assert.deepEqual(await outcome(0, ''), [['a', []], ['b', []], ['c', []]]);
});
