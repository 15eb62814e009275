import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { SANDBOX_STATE_DIR } from '../helpers/sandbox.js';

/**
 * apply keeps the parsed YAML of its manifests in the state directory
 * (parse-cache.json, 0600); later runs take unchanged texts from it. A run
 * served from it says exactly what a run without it says, error positions
 * included, and plan never writes it.
 */
const CACHE = join(SANDBOX_STATE_DIR, 'parse-cache.json');

const SANDBOXES = [
  'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: front}\nspec: {driver: bridge, subnet: 10.89.0.0/24}\n',
  'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: app}\nspec: {}\n',
  'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: app-front}\nspec:\n  sandbox: app\n  network: front\n  interface: net0\n',
].join('---\n');

/** A second attachment of app on the same interface and network. */
const CLASH = 'apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: app-again}\nspec:\n  sandbox: app\n  network: front\n  interface: net0\n';

test('apply writes the parse cache; plan and apply served from it report what they report without it', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const dir = await sb.writeFiles('m', { 'a.yaml': SANDBOXES });
  const stat = async () => (await sb.run(['stat', '-c', '%a %s', CACHE])).stdout.trim();

  const noCacheYet = await sb.netreconOk(['plan', '-f', dir]);
  assert.equal((await sb.run(['test', '-e', CACHE])).exitCode, 1, 'plan does not write the cache');
  await sb.netreconOk(['apply', '-f', dir]);
  assert.match(await stat(), /^600 \d+$/, 'apply wrote it, 0600');
  const cachedPlan = await sb.netreconOk(['plan', '-f', dir, '--detailed-exitcode']);
  assert.equal(cachedPlan.stdout, 'No changes.\n');
  assert.notEqual(noCacheYet.stdout, cachedPlan.stdout, 'the first plan had work to show');

  await sb.writeFiles('m', { 'b.yaml': CLASH });
  const served = await sb.netrecon(['plan', '-f', dir]);
  assert.equal((await sb.run(['rm', CACHE])).exitCode, 0);
  const parsed = await sb.netrecon(['plan', '-f', dir]);
  assert.equal(served.exitCode, parsed.exitCode);
  assert.equal(served.stderr, parsed.stderr, 'the same diagnostics, positions in the cached a.yaml included');
  // app-again sorts first: the errors are at app-front, in the cached a.yaml, at positions found by parsing it again.
  assert.match(parsed.stderr, /a\.yaml:17:14: spec\.interface: interface net0 of sandbox app is also used by app-again \(\S+b\.yaml:3\)/);

  await sb.run(['sh', '-c', `echo '{"format":1,' > ${CACHE}`]);
  await sb.run(['rm', join(dir, 'b.yaml')]);
  const corrupt = await sb.netreconOk(['apply', '-f', dir]);
  assert.match(corrupt.stdout, /No changes/, 'a corrupt cache is ignored');
  assert.match(await stat(), /^600 \d{3,}$/, 'and rewritten');
  await sb.netreconOk(['delete', '-f', dir]);
});
