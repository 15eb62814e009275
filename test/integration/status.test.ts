import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';

/**
 * `netrecon status` against live state: in sync, drifted (and how), missing,
 * conflicts with unowned objects, owned but not declared, each sandbox's
 * addresses and each macvlan parent's state, as text and as JSON.
 */
const fixture = (...path: string[]): string => join(repoRoot, 'test/fixtures/integration4/status', ...path);
const files = (...names: string[]): string[] => names.flatMap((name) => ['-f', fixture(`${name}.yaml`)]);
const DECLARED = files('network', 'web', 'lan');

const STATES = ['in-sync', 'drifted', 'missing', 'conflict', 'not-declared', 'owned'] as const;
interface StatusRow {
  readonly address: string;
  readonly owner: string;
  readonly state: (typeof STATES)[number];
  readonly detail?: string;
}
interface StatusJson {
  readonly inSync: boolean;
  readonly resources: readonly StatusRow[];
  readonly sandboxes: Readonly<Record<string, readonly string[]>>;
  readonly macvlanParents: readonly { readonly parent: string; readonly operstate: string }[];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isRow = (x: unknown): x is StatusRow =>
  isObject(x) && typeof x.address === 'string' && typeof x.owner === 'string' && STATES.some((s) => s === x.state) &&
  (x.detail === undefined || typeof x.detail === 'string') && Object.keys(x).every((k) => ['address', 'owner', 'state', 'detail'].includes(k));

/** Parses `status -o json`, failing on any field of another shape. */
function parseStatus(stdout: string): StatusJson {
  const value: unknown = JSON.parse(stdout);
  assert.ok(isObject(value), 'an object');
  assert.deepEqual(Object.keys(value).sort(), ['inSync', 'macvlanParents', 'resources', 'sandboxes']);
  assert.equal(typeof value.inSync, 'boolean', 'inSync');
  assert.ok(Array.isArray(value.resources) && value.resources.every(isRow), `resources: ${JSON.stringify(value.resources)}`);
  assert.ok(isObject(value.sandboxes) && Object.values(value.sandboxes).every(isStrings), 'sandboxes: netns -> ["DEV CIDR"]');
  const parents = value.macvlanParents;
  assert.ok(Array.isArray(parents) && parents.every((p) => isObject(p) && typeof p.parent === 'string' && typeof p.operstate === 'string'), 'macvlanParents');
  return value as unknown as StatusJson;
}

/** Text output with column padding collapsed, so the expectation does not depend on the widest address. */
const unpadded = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(/ {2,}/g, '  ').trimEnd());

async function expectStatus(sb: KernelSandbox, args: readonly string[], expectedFile: string, exitCode: number): Promise<void> {
  const result = await sb.netrecon(['status', ...args, '--detailed-exitcode']);
  assert.equal(result.exitCode, exitCode, `status ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  const expected = await readFile(fixture('expected', expectedFile), 'utf8');
  assert.deepEqual(unpadded(result.stdout), unpadded(expected), `status text (${expectedFile})`);
}

/** Runs the `ip` commands of a fixture file (blank lines and `#` comments skipped). */
async function runCommandFile(sb: KernelSandbox, name: string): Promise<void> {
  const lines = (await readFile(fixture(name), 'utf8')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  for (const command of lines) {
    const result = await sb.run(command.split(' '));
    assert.equal(result.exitCode, 0, `${command}: ${result.stderr}`);
  }
}

/** A kernel sandbox with the macvlan parent made and network, web and lan applied; undefined when skipped. */
async function appliedSandbox(t: TestContext): Promise<KernelSandbox | undefined> {
  const sb = await sandboxFor(t);
  if (sb === undefined) return undefined;
  await runCommandFile(sb, 'setup.txt');
  const applied = await sb.netrecon(['apply', ...DECLARED]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  return sb;
}

/** The JSON rows as the text rows they must match: `ADDRESS  STATE  (detail)`. */
const TEXT_STATE: Record<StatusRow['state'], string> = {
  'in-sync': 'in sync', drifted: 'DRIFTED', missing: 'MISSING', conflict: 'CONFLICT', 'not-declared': 'not declared', owned: 'owned',
};
const asText = (r: StatusRow): string => `${r.address}  ${TEXT_STATE[r.state]}${r.detail === undefined ? '' : `  (${r.detail})`}`;

test('status: in sync, then drifted (MAC), missing (route), conflict (unowned netns), not declared; exit 2 only when not in sync', async (t) => {
  const sb = await appliedSandbox(t);
  if (sb === undefined) return;
  await expectStatus(sb, DECLARED, 'in-sync.txt', 0);

  await runCommandFile(sb, 'drift.txt');
  const withDb = [...DECLARED, ...files('db')];
  await expectStatus(sb, withDb, 'drifted.txt', 2);
  const plain = await sb.netrecon(['status', ...withDb]);
  assert.equal(plain.exitCode, 0, `without --detailed-exitcode drift is not an error: ${plain.stderr}`);

  // web.yaml left out: web's resources are owned but declared nowhere.
  await expectStatus(sb, files('network', 'lan'), 'not-declared.txt', 2);

  // Without manifests: everything owned is listed; the parent's state is read live.
  assert.equal((await sb.run(['ip', 'link', 'set', 'mvp0', 'down'])).exitCode, 0);
  await expectStatus(sb, [], 'owned.txt', 0);
  const after = await sb.run(['ip', 'netns', 'list']);
  assert.match(after.stdout, /^db$/m, 'status changed nothing: the unowned netns db is still there');
});

test('status -o json: the same rows as the text, sandbox addresses, macvlan parents, inSync', async (t) => {
  const sb = await appliedSandbox(t);
  if (sb === undefined) return;

  const inSync = await sb.netrecon(['status', ...DECLARED, '-o', 'json', '--detailed-exitcode']);
  assert.equal(inSync.exitCode, 0, inSync.stderr);
  const clean = parseStatus(inSync.stdout);
  assert.equal(clean.inSync, true);
  assert.ok(clean.resources.every((r) => r.state === 'in-sync' && r.detail === undefined), JSON.stringify(clean.resources));
  assert.deepEqual(clean.sandboxes, { m1: ['eth0 10.68.0.10/24'], web: ['eth0 10.63.0.10/24'] });
  assert.deepEqual(clean.macvlanParents, [{ parent: 'mvp0', operstate: 'UP' }]);
  const owners = new Map(clean.resources.map((r) => [r.address, r.owner]));
  assert.equal(owners.get('link/web/eth0'), 'attachment/web-stnet');
  assert.equal(owners.get('netns/m1'), 'sandbox/m1');
  assert.equal(owners.get('link/@host/nr-st'), 'network/stnet');

  await runCommandFile(sb, 'drift.txt');
  const withDb = [...DECLARED, ...files('db')];
  const drifted = await sb.netrecon(['status', ...withDb, '-o', 'json', '--detailed-exitcode']);
  assert.equal(drifted.exitCode, 2, drifted.stderr);
  const json = parseStatus(drifted.stdout);
  assert.equal(json.inSync, false);
  const text = await sb.netrecon(['status', ...withDb]);
  const textRows = unpadded(text.stdout).filter((l) => / {2}(in sync|DRIFTED|MISSING|CONFLICT|not declared|owned)\b/.test(l));
  assert.deepEqual(json.resources.map(asText), textRows, 'JSON rows and text rows agree');
  const byAddress = new Map(json.resources.map((r) => [r.address, r]));
  assert.deepEqual(byAddress.get('link/web/eth0'), { address: 'link/web/eth0', owner: 'attachment/web-stnet', state: 'drifted', detail: 'mac: 02:00:00:00:00:99, want 02:42:0a:3f:00:0a' });
  assert.equal(byAddress.get('route/web/10.50.0.0/16')?.state, 'missing');
  assert.equal(byAddress.get('netns/db')?.state, 'conflict');
  assert.match(byAddress.get('netns/db')?.detail ?? '', /does not own/);
});
