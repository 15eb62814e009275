/** How observe fails: bad ip output, failing or missing commands, vanished namespaces. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvironmentError, ObserveError } from '../../src/model/errors.js';
import { observeState, readNamespace } from '../../src/observe/index.js';
import { SpawnError, type RunResult } from '../../src/util/runner.js';
import { fail, fakeRunner, fixtureCase, ok, type Call } from './observe-fake-runner.js';

const VERSION = 'ip utility, iproute2-6.1.0, libbpf 1.1.2';

/** Answers `ip -V`; every read gets `read`. */
const runnerReading = (read: (call: Call) => RunResult) =>
  fakeRunner((call) => (call.args[0] === '-V' ? ok(`${VERSION}\n`) : read(call)));

const rejectsWith = (p: Promise<unknown>, type: new (...a: never[]) => Error, ...parts: string[]) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `"${e.message}" lacks "${part}"`);
    return true;
  });

describe('readNamespace errors', () => {
  it('output that is not JSON names the commands, the namespace and the iproute2 version', async () => {
    const runner = runnerReading(() => ok('[{"ifname": '));
    await rejectsWith(readNamespace(runner, 'web'), ObserveError, 'link show', 'netns web', VERSION, 'nsenter --net=/run/netns/web ip -j -d -batch -');
  });

  it('a missing array names the command that printed nothing', async () => {
    const runner = runnerReading(() => ok('[]\n[]\n'));
    await rejectsWith(readNamespace(runner, '@host'), ObserveError, 'route show table all type unicast', 'host namespace', VERSION);
  });

  it('an array of the wrong shape names its command', async () => {
    const runner = runnerReading(() => ok('[]\n[{"addr_info": []}]\n[]\n'));
    await rejectsWith(readNamespace(runner, 'web'), ObserveError, '`addr show`', 'no string "ifname"');
  });

  it('an object where an array belongs is an error', async () => {
    const runner = runnerReading(() => ok('{"ifname": "lo"}\n[]\n[]\n'));
    await rejectsWith(readNamespace(runner, 'web'), ObserveError, '`link show`', 'expected a JSON array');
  });

  it('ip -V runs once per runner, and only when an error needs it', async () => {
    const runner = runnerReading(() => ok('garbage'));
    await assert.rejects(readNamespace(runner, 'a'));
    await assert.rejects(readNamespace(runner, 'b'));
    assert.equal(runner.calls.filter((c) => c.args[0] === '-V').length, 1);
  });

  it('a failing ip reports its exit status and stderr', async () => {
    const runner = runnerReading(() => fail(2, 'RTNETLINK answers: Operation not permitted\n'));
    await rejectsWith(readNamespace(runner, '@host'), ObserveError, 'exit 2', 'Operation not permitted', VERSION);
  });

  it('a vanished namespace is undefined, not an error', async () => {
    const runner = runnerReading(() => fail(1, 'nsenter: cannot open /run/netns/x: No such file or directory\n'));
    assert.equal(await readNamespace(runner, 'x'), undefined);
    assert.equal(runner.calls.length, 1);
  });

  it('a missing binary is an EnvironmentError naming it', async () => {
    const runner = fakeRunner(() => {
      throw new SpawnError('nsenter', 'ENOENT');
    });
    await rejectsWith(readNamespace(runner, 'web'), EnvironmentError, 'nsenter', 'ENOENT');
  });

  it('ip missing inside nsenter (exit 127) is an EnvironmentError, not a vanished namespace', async () => {
    const runner = runnerReading(() => fail(127, 'nsenter: failed to execute ip: No such file or directory\n'));
    await rejectsWith(readNamespace(runner, 'web'), EnvironmentError, 'failed to execute ip');
  });

  it('keeps unknown fields in the raw snapshot', async () => {
    const c = fixtureCase('basic');
    const snapshot = await readNamespace(fakeRunner(c.answer), 'web');
    assert.equal(snapshot?.links.find((l) => l['ifname'] === 'eth0')?.['operstate'], 'UP');
    assert.equal(snapshot?.routes.length, 6);
  });
});

describe('observeState errors', () => {
  it('a bad namespace fails the whole observation', async () => {
    const c = fixtureCase('basic');
    const runner = fakeRunner((call) => (call.args[0] === '--net=/run/netns/web' ? ok('[') : c.answer(call)));
    await rejectsWith(observeState(runner, { listNetns: async () => ['other', 'web'] }), ObserveError, 'netns web', c.version);
  });
});
