import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot } from '../helpers/sandbox.js';

/**
 * Every kind of invalid manifest is refused before anything happens: exit 1,
 * each error as `FILE:LINE:COL: message` on stderr, the kernel untouched and
 * the state directory neither created nor written. Each case is a folder
 * test/fixtures/integration/invalid/<kind>/ with input.yaml (a valid Sandbox
 * beside the broken documents, so accepting it would change something) and
 * expected.txt (the diagnostics, in order).
 */
const CASES_DIR = join(repoRoot, 'test/fixtures/integration/invalid');
const CASES = readdirSync(CASES_DIR).sort();
const DIAGNOSTIC = /^input\.yaml:\d+:\d+: \S/;
/** A state directory that does not exist yet: a refused command must not create it. */
const FRESH_STATE_DIR = '/var/lib/netrecon/fresh';

test('invalid manifests: exit 1, FILE:LINE:COL diagnostics, nothing changed, no state written', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  assert.ok(CASES.length >= 8, `cases found: ${CASES.join(', ')}`);
  const before = await sb.snapshot();
  const stateFiles = async (): Promise<string> => (await sb.run(['ls', '-A', sb.stateDir])).stdout;
  const stateBefore = await stateFiles();

  for (const kind of CASES) {
    await t.test(kind, async () => {
      const cwd = join(CASES_DIR, kind);
      const expected = (await readFile(join(cwd, 'expected.txt'), 'utf8')).split('\n').filter((line) => line !== '');
      const runs = [
        ['apply', '-f', 'input.yaml'],
        ['plan', '-f', 'input.yaml', '--state-dir', FRESH_STATE_DIR],
        ['validate', '-f', 'input.yaml'],
      ];
      for (const args of runs) {
        const result = await sb.netrecon(args, { cwd });
        const what = `${args[0] ?? ''} ${kind}`;
        assert.equal(result.exitCode, 1, `${what}: exit 1\n${result.stdout}${result.stderr}`);
        assert.equal(result.stdout, '', `${what}: nothing on stdout (no plan)`);
        const lines = result.stderr.split('\n').filter((line) => line !== '');
        const diagnostics = lines.filter((line) => !line.startsWith('error: '));
        assert.deepEqual(diagnostics, expected, `${what}: every error as FILE:LINE:COL: message, nothing else`);
        assert.ok(diagnostics.every((line) => DIAGNOSTIC.test(line)), `${what}: FILE:LINE:COL form`);
        const summary = lines.filter((line) => line.startsWith('error: '));
        assert.ok(summary.length === 1 && summary[0]?.startsWith(`error: ${expected.length} error(s)`), `${what}: one summary line: ${summary.join('|')}`);
      }
      const after = await sb.snapshot();
      assert.deepEqual(after, before, `${kind} changed the kernel:\n${diffSnapshots(before, after).join('\n')}`);
      assert.equal(await stateFiles(), stateBefore, `${kind}: state directory written`);
      assert.notEqual((await sb.run(['test', '-e', FRESH_STATE_DIR])).exitCode, 0, `${kind}: ${FRESH_STATE_DIR} created`);
    });
  }
});
