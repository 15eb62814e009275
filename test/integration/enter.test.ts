import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { enterEachArgv, type EnterWay } from '../../src/util/enter.js';

/**
 * Running one command in each of many namespaces (util/enter.ts), against the
 * kernel: the fast way (perl entering with setns(2)) and the portable one
 * (xargs and nsenter) must run the same command, in the same namespaces, in
 * the same order, and fail the same way for a namespace that is gone.
 */
const NAMES = ['a', 'gone', 'b', 'c'];

async function makeNamespaces(sb: KernelSandbox): Promise<void> {
  for (const ns of ['a', 'b', 'c']) {
    for (const argv of [['ip', 'netns', 'add', ns], ['ip', '-n', ns, 'link', 'add', `only-${ns}`, 'type', 'veth', 'peer', 'name', `peer-${ns}`]]) {
      const r = await sb.run(argv);
      assert.equal(r.exitCode, 0, r.stderr);
    }
  }
}

async function runEach(sb: KernelSandbox, how: EnterWay, command: readonly string[], names = NAMES) {
  const [file, args] = enterEachArgv('/run/netns', command, how);
  return sb.run([file, ...args], { input: names.join('\0') });
}

const linkNames = (stdout: string): string[][] =>
  stdout.trim().split('\n').map((line) => (JSON.parse(line) as { ifname: string }[]).map((l) => l.ifname).sort());

for (const how of ['perl', 'nsenter'] as const) {
  test(`entering each namespace (${how}): every live one runs the command inside it, in order; a vanished one is named and skipped`, async (t) => {
    const sb = await sandboxFor(t);
    if (sb === undefined) return;
    if (how === 'perl' && enterEachArgv('/run/netns', ['ip'], 'perl')[0] !== 'perl') {
      t.skip(`perl's way needs the setns(2) number, not known here for ${process.arch}`);
      return;
    }
    await makeNamespaces(sb);
    const shown = await runEach(sb, how, ['ip', '-j', 'link', 'show']);
    assert.equal(shown.exitCode, 123, 'not 0: one namespace could not be entered');
    assert.match(shown.stderr, /cannot open \/run\/netns\/gone: No such file or directory/);
    assert.deepEqual(linkNames(shown.stdout), [['lo', 'only-a', 'peer-a'], ['lo', 'only-b', 'peer-b'], ['lo', 'only-c', 'peer-c']]);

    const live = await runEach(sb, how, ['ip', 'link', 'show', 'lo'], ['a', 'b']);
    assert.deepEqual([live.exitCode, live.stderr], [0, ''], 'nothing on stderr when every command succeeds');

    const named = await runEach(sb, how, ['echo', 'in', '{}', 'x{}y']);
    assert.equal(named.stdout, 'in a xay\nin b xby\nin c xcy\n', 'the name replaces {} inside single arguments');

    // More names than one read of the pipe takes: what is left must not reach the commands.
    const many = ['a', ...Array.from({ length: 200 }, (_, i) => `gone-${String(i).padStart(100, '0')}`), 'b'];
    const stdin = await runEach(sb, how, ['cat'], many);
    assert.deepEqual([stdin.exitCode, stdin.stdout], [123, ''], 'the commands read /dev/null, not the names (123: the gone ones)');

    const failing = await runEach(sb, how, ['ip', 'link', 'show', 'dev', 'only-b']);
    assert.equal(failing.exitCode, 123, 'a command that fails in one namespace fails the whole run');
    assert.match(failing.stderr, /Device "only-b" does not exist/);
  });
}
