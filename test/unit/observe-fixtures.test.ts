/** observeState over recorded `ip -j -d -batch -` output: exact resources, foreign names, processes spawned. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observeState, type ObserveOptions } from '../../src/observe/index.js';
import type { ObservedState } from '../../src/model/resource.js';
import { fixtureCase, fixtureCases, fakeRunner, type Expected } from './observe-fake-runner.js';

const BATCH_STDIN = 'link show\naddr show\nroute show table all type unicast\n';
const IP = ['-j', '-d', '-batch', '-'];

const plain = (s: ObservedState): Expected => ({ resources: [...s.resources.values()], foreign: [...s.foreign.values()] });

async function observeCase(name: string, options: Omit<ObserveOptions, 'listNetns'> & { names?: string[] } = {}) {
  const c = fixtureCase(name);
  const runner = fakeRunner(c.answer);
  const names = options.names ?? c.names;
  const state = await observeState(runner, { ...options, listNetns: async () => [...names] });
  return { c, runner, state };
}

describe('observeState on recorded cases', () => {
  for (const name of fixtureCases()) {
    it(`${name}: resources and foreign names as in expected.json`, async () => {
      const { c, state } = await observeCase(name);
      assert.deepEqual(plain(state), c.expected);
      assert.deepEqual([...state.resources.keys()], [...state.resources.keys()].sort());
    });

    it(`${name}: one process per namespace plus one for the host, the show commands on stdin`, async () => {
      const { c, runner } = await observeCase(name);
      assert.equal(runner.calls.length, c.names.length + 1);
      assert.deepEqual(runner.calls[0], { file: 'ip', args: IP, input: BATCH_STDIN });
      assert.deepEqual(
        runner.calls.slice(1),
        c.names.map((ns) => ({ file: 'nsenter', args: [`--net=/run/netns/${ns}`, 'ip', ...IP], input: BATCH_STDIN })),
      );
    });
  }
});

describe('observeState options', () => {
  it('reads namespaces under netnsDir', async () => {
    const { runner } = await observeCase('basic', { netnsDir: '/tmp/nr/netns' });
    assert.deepEqual(runner.calls.slice(1).map((call) => call.args[0]), ['--net=/tmp/nr/netns/other', '--net=/tmp/nr/netns/web']);
  });

  it('only: reads the host and the named subset', async () => {
    const { runner, state } = await observeCase('basic', { only: ['web', 'absent'] });
    assert.equal(runner.calls.length, 2);
    assert.ok(state.resources.has('link/web/eth0'));
    assert.ok(!state.foreign.has('netns/other'));
  });

  it('only: a host veth end whose namespace was not read is not reported as a stray', async () => {
    const { state } = await observeCase('stray', { only: ['half'] });
    assert.ok(!state.resources.has('link/@host/nrv9'));
    assert.equal(state.resources.get('link/half/eth1')?.type, 'stray-link');
  });

  it('only: names the owners of host veth ends whose other end was not read; a full read names none', async () => {
    assert.deepEqual((await observeCase('basic', { only: ['other'] })).state.unpaired, ['attachment/web-front']);
    assert.deepEqual((await observeCase('basic', { only: ['web'] })).state.unpaired, []);
    assert.equal((await observeCase('basic')).state.unpaired, undefined);
  });

  it('a namespace deleted between listing and reading is skipped', async () => {
    const { c, runner, state } = await observeCase('basic', { names: ['gone', 'other', 'web'] });
    assert.equal(runner.calls.length, 4);
    assert.deepEqual(plain(state), c.expected);
  });

  it('reads at most `concurrency` namespaces at once', async () => {
    const c = fixtureCase('stray');
    for (const concurrency of [1, 2]) {
      const runner = fakeRunner(c.answer, 5);
      await observeState(runner, { concurrency, listNetns: async () => [...c.names] });
      assert.equal(runner.maxInFlight(), concurrency);
    }
  });

  it('with no netns directory, only the host is read', async () => {
    const c = fixtureCase('basic');
    const runner = fakeRunner(c.answer);
    const state = await observeState(runner, { netnsDir: '/nonexistent/netrecon-test' });
    assert.equal(runner.calls.length, 1);
    assert.ok(state.resources.has('link/@host/nr-front'));
  });
});
