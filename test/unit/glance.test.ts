/**
 * The glance's edge (observe/glance.ts) with a test double for the runner:
 * what it asks for, how it splits names into chunks, and that every way it
 * can fail leaves namespaces out (to be read with ip) instead of guessing.
 * The program itself runs against the kernel in test/integration/glance.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { glanceArgv, glanceNamespaces } from '../../src/observe/glance.js';
import { SpawnError, type RunOptions, type RunResult, type Runner } from '../../src/util/runner.js';

const recorded = readFileSync(join(fileURLToPath(new URL('../../../test/fixtures/netlink/', import.meta.url)), 'glance.txt'), 'utf8');
const OPTIONS = { netnsDir: '/run/netns', chunks: 2 };

/** Answers with `answer(names)`; records each call's names. */
function runner(answer: (names: string[]) => RunResult | Promise<RunResult>): Runner & { calls: { file: string; names: string[] }[] } {
  const calls: { file: string; names: string[] }[] = [];
  return {
    calls,
    run: async (file: string, _args: readonly string[], options?: RunOptions) => {
      const names = String(options?.input ?? '').split('\0');
      calls.push({ file, names });
      return answer(names);
    },
  };
}

/** The recorded output of alpha and quiet, cut to the namespaces asked for. */
const outputFor = (names: readonly string[]): string =>
  recorded.split(/^(?=N )/m).filter((part) => names.includes(part.slice(2, part.indexOf('\n')))).join('');

test('names go on stdin in chunks; each chunk\'s whole namespaces are kept', async (t) => {
  if (glanceArgv('/run/netns') === undefined) {
    t.skip(`no glance on ${process.arch} (setns(2) number unknown here)`);
    return;
  }
  const r = runner((names) => ({ exitCode: 0, stdout: outputFor(names), stderr: '' }));
  const seen = await glanceNamespaces(r, ['alpha', 'quiet', 'third'], OPTIONS);
  assert.deepEqual(r.calls, [{ file: 'perl', names: ['alpha', 'quiet'] }, { file: 'perl', names: ['third'] }]);
  assert.deepEqual([...seen.keys()], ['alpha', 'quiet'], 'third printed nothing: left out');
  assert.deepEqual(await glanceNamespaces(r, [], OPTIONS), new Map(), 'nothing asked: no process');
  assert.equal(r.calls.length, 2);
});

test('a chunk that cannot run or prints what is not a dump gives nothing; one that failed for some namespaces keeps the others', async (t) => {
  if (glanceArgv('/run/netns') === undefined) {
    t.skip(`no glance on ${process.arch} (setns(2) number unknown here)`);
    return;
  }
  const cases: [string, () => RunResult][] = [
    ['perl built for another CPU (exit 125)', () => ({ exitCode: 125, stdout: '', stderr: 'netrecon: perl is built for i686-linux, not x86_64\n' })],
    ['perl could not compile the program (exit 255)', () => ({ exitCode: 255, stdout: recorded, stderr: 'syntax error\n' })],
    ['no perl', () => { throw new SpawnError('perl', 'ENOENT'); }],
    ['output of another shape', () => ({ exitCode: 0, stdout: `${recorded}garbage\n`, stderr: '' })],
  ];
  for (const [what, answer] of cases) {
    assert.deepEqual(await glanceNamespaces(runner(answer), ['alpha', 'quiet'], { ...OPTIONS, chunks: 1 }), new Map(), what);
  }
  // Failed for one namespace: it printed what it had before the failure, and no end of its route dump.
  const cut = outputFor(['quiet']).replace('N quiet', 'N gone').replace(/D 26\n$/, '');
  const partial = runner(() => ({ exitCode: 123, stdout: `${outputFor(['alpha'])}${cut}${outputFor(['quiet'])}`, stderr: 'netrecon: dump 26 in /run/netns/gone was interrupted\n' }));
  assert.deepEqual([...(await glanceNamespaces(partial, ['alpha', 'gone', 'quiet'], { ...OPTIONS, chunks: 1 })).keys()], ['alpha', 'quiet']);
  // Killed mid-namespace (SIGTERM): what was printed whole is kept, the namespace cut off is not.
  const killed = runner(() => ({ exitCode: 143, stdout: recorded.slice(0, recorded.lastIndexOf('D 22')), stderr: '' }));
  assert.deepEqual([...(await glanceNamespaces(killed, ['alpha', 'quiet'], { ...OPTIONS, chunks: 1 })).keys()], ['alpha']);
  const broken = runner(() => { throw new Error('a bug, not a missing perl'); });
  await assert.rejects(glanceNamespaces(broken, ['alpha'], OPTIONS), /a bug/, 'other errors are not swallowed');
});
