/**
 * executeSteps / rollbackSteps with a fake Runner (issue 5, item 2): which
 * steps count as started when line k of a batch fails, the order of the
 * inverses, -force for rollback, and what a failing inverse reports. The
 * kernel-level counterpart is test/integration/fault-injection.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executeSteps, rollbackSteps, type ExecuteOptions } from '../../src/apply/execute.js';
import { HOST_NS } from '../../src/model/resource.js';
import type { IpCommand, Step, Wave } from '../../src/model/plan.js';
import type { RunResult, Runner } from '../../src/util/runner.js';

interface Call {
  readonly file: string;
  readonly args: readonly string[];
  readonly lines: readonly string[];
}

/** Answers `ip -batch` like ip does: with -force it runs every line, else it stops at the first failure. */
function fakeIp(fails: (line: string) => boolean): Runner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(file, args, options = {}): Promise<RunResult> {
      const lines = (options.input ?? '').split('\n').filter((l) => l !== '');
      calls.push({ file, args: [...args], lines });
      const force = args.includes('-force');
      const errors: string[] = [];
      for (const [i, line] of lines.entries()) {
        if (!fails(line)) continue;
        errors.push(`RTNETLINK answers: File exists\nCommand failed -:${i + 1}`);
        if (!force) break;
      }
      return errors.length === 0 ? { exitCode: 0, stdout: '', stderr: '' } : { exitCode: 1, stdout: '', stderr: `${errors.join('\n')}\n` };
    },
  };
}

const ip = (ns: string, wave: Wave, ...args: string[]): IpCommand => ({ tool: 'ip', ns, wave, args });

/** A cold plan: netns a and b, then in each an address and a route (wave 3), one command per step. */
function coldPlan(): Step[] {
  const mk = (id: number, address: string, command: IpCommand, inverse: IpCommand): Step =>
    ({ id, address, action: 'create', owner: 'sandbox/x', covers: [], commands: [command], inverse: [inverse] });
  return [
    mk(0, 'netns/a', ip(HOST_NS, 2, 'netns', 'add', 'a'), ip(HOST_NS, 1, 'netns', 'del', 'a')),
    mk(1, 'netns/b', ip(HOST_NS, 2, 'netns', 'add', 'b'), ip(HOST_NS, 1, 'netns', 'del', 'b')),
    mk(2, 'addr/a/eth0/10.0.0.2/24', ip('a', 3, 'addr', 'add', '10.0.0.2/24', 'dev', 'eth0'), ip('a', 0, 'addr', 'del', '10.0.0.2/24', 'dev', 'eth0')),
    mk(3, 'route/a/default', ip('a', 3, 'route', 'replace', 'default', 'via', '10.0.0.1'), ip('a', 0, 'route', 'del', 'default', 'via', '10.0.0.1')),
    mk(4, 'link/a/lo', ip('a', 3, 'link', 'set', 'lo', 'up'), ip('a', 0, 'link', 'set', 'lo', 'down')),
    mk(5, 'addr/b/eth0/10.0.0.3/24', ip('b', 3, 'addr', 'add', '10.0.0.3/24', 'dev', 'eth0'), ip('b', 0, 'addr', 'del', '10.0.0.3/24', 'dev', 'eth0')),
  ];
}

const options = (runner: Runner, extra: Partial<ExecuteOptions> = {}): ExecuteOptions => ({ runner, netnsDir: '/run/netns', concurrency: 1, ...extra });

describe('executeSteps: which steps count as started', () => {
  for (const [k, line] of [[0, 'addr add 10.0.0.2/24'], [1, 'route replace default'], [2, 'link set lo up']] as const) {
    it(`line ${k + 1} of netns a's batch fails: the steps up to and including it, and every other batch of its wave, are started`, async () => {
      const runner = fakeIp((l) => l.startsWith(line));
      const steps = coldPlan();
      const result = await executeSteps(steps, options(runner));
      assert.equal(result.ok, false);
      if (result.ok) return;
      const aLines = [2, 3, 4].slice(0, k + 1);
      assert.deepEqual(result.started.map((s) => s.id).sort(), [0, 1, ...aLines, 5].sort(), 'host wave, netns a up to line k, netns b');
      assert.match(result.error, new RegExp(`netns a: \`ip ${line}`), 'the failed command is named');
      const aBatch = runner.calls.find((c) => c.args.includes('--net=/run/netns/a'));
      assert.deepEqual(aBatch?.args, ['--net=/run/netns/a', '--', 'ip', '-batch', '-'], 'forward batches run without -force');
    });
  }

  it('a failure in the first wave starts nothing of the later waves', async () => {
    const runner = fakeIp((l) => l === 'netns add b');
    const result = await executeSteps(coldPlan(), options(runner));
    assert.ok(!result.ok);
    assert.deepEqual(result.started.map((s) => s.id), [0, 1]);
    assert.equal(runner.calls.length, 1, 'nothing ran after the failed wave');
  });

  it('the fault seam fails a batch before it runs: nothing of it reaches the runner', async () => {
    const runner = fakeIp(() => false);
    let n = 0;
    const result = await executeSteps(coldPlan(), options(runner, { faultInjector: () => { if (++n === 2) throw new Error('injected'); } }));
    assert.ok(!result.ok);
    assert.equal(runner.calls.length, 2, 'the host batch and one namespace batch ran; the faulted one did not');
    assert.ok(!runner.calls.some((c) => c.args.includes('--net=/run/netns/a')), 'the faulted batch (netns a) never ran');
  });

  it('the journal hook runs before every wave, in order', async () => {
    const waves: number[] = [];
    const result = await executeSteps(coldPlan(), options(fakeIp(() => false), { beforeWave: async (w) => void waves.push(w) }));
    assert.ok(result.ok);
    assert.deepEqual(waves, [0, 1]);
  });
});

describe('rollbackSteps: inverses last step first, with -force', () => {
  it('undoes exactly the started steps, last first, each namespace before the host', async () => {
    const forward = fakeIp((l) => l.startsWith('link set lo up'));
    const result = await executeSteps(coldPlan(), options(forward));
    assert.ok(!result.ok);
    const back = fakeIp(() => false);
    const failures = await rollbackSteps(result.started, options(back));
    assert.deepEqual(failures, []);
    const inNs = (ns: string): Call | undefined => back.calls.find((c) => c.args.includes(`--net=/run/netns/${ns}`));
    assert.deepEqual(inNs('a')?.lines, ['link set lo down', 'route del default via 10.0.0.1', 'addr del 10.0.0.2/24 dev eth0'], 'last step first');
    assert.deepEqual(inNs('b')?.lines, ['addr del 10.0.0.3/24 dev eth0']);
    const host = back.calls.find((c) => c.file === 'ip');
    assert.deepEqual(host?.lines, ['netns del b', 'netns del a'], 'namespaces last, in reverse');
    assert.ok(back.calls.indexOf(host as Call) > back.calls.indexOf(inNs('a') as Call), 'the host wave runs after the namespace wave');
    for (const c of back.calls) assert.ok(c.args.includes('-force'), `rollback uses -force: ${c.args.join(' ')}`);
  });

  it('a failing inverse does not stop the others; it is reported by command', async () => {
    const back = fakeIp((l) => l === 'route del default via 10.0.0.1' || l === 'netns del b');
    const failures = await rollbackSteps(coldPlan(), options(back));
    assert.equal(failures.length, 2, failures.join('\n'));
    assert.match(failures.join('\n'), /netns a: `ip route del default via 10\.0\.0\.1` failed/);
    assert.match(failures.join('\n'), /host: `ip netns del b` failed/);
    const a = back.calls.find((c) => c.args.includes('--net=/run/netns/a'));
    assert.equal(a?.lines.length, 3, 'every inverse in netns a was sent, past the failure');
    assert.ok(back.calls.some((c) => c.lines.includes('netns del a')), 'the host wave still ran');
  });
});
