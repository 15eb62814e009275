/** Which namespaces a delete or an apply --no-prune reads (engine/scope.ts). Pure. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appliedWithout, mergeApplied, readApplied, saveApplied, type AppliedSet } from '../../src/engine/applied.js';
import { observeScope, scopeMissed } from '../../src/engine/scope.js';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import type { ManifestSet } from '../../src/model/manifest.js';
import type { ObservedState } from '../../src/model/resource.js';
import { openStateDir } from '../../src/state/index.js';

const NETWORK = 'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: front}\nspec: {driver: bridge, subnet: 10.80.0.0/24, gateway: 10.80.0.1}\n';
const sandbox = (name: string, spec = '{}'): string => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const attachment = (name: string, on: string): string =>
  `apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: ${name}}\nspec: {sandbox: ${on}, network: front}\n`;

function load(...docs: string[]): ManifestSet {
  const r = manifestsFromTexts([{ file: 'm.yaml', text: docs.join('---\n') }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.set;
}
const record = (m: ManifestSet): AppliedSet => ({ manifests: m, assignments: new Map() });

const everything = load(NETWORK, sandbox('web', '{netns: web-old}'), sandbox('db'), sandbox('side', '{mode: "container:web"}'),
  attachment('web-front', 'web'), attachment('db-front', 'db'));

test('an apply that prunes, or no record of the last apply, or no lease file: every namespace is read', () => {
  const m = load(NETWORK, sandbox('web'));
  assert.equal(observeScope({ kind: 'apply', prune: true }, m, record(everything), true), undefined);
  assert.equal(observeScope({ kind: 'delete', refresh: true }, m, undefined, true), undefined);
  assert.equal(observeScope({ kind: 'apply', prune: false }, m, record(everything), false), undefined);
});

test('delete reads the namespaces its sandboxes have now and had at the last apply', () => {
  const m = load(NETWORK, sandbox('web'), attachment('web-front', 'web'));
  assert.deepEqual(observeScope({ kind: 'delete', refresh: true }, m, record(everything), true), ['web', 'web-old']);
});

test('an attachment moved to another sandbox: both sandboxes\' namespaces are read', () => {
  const m = load(NETWORK, sandbox('new'), attachment('db-front', 'new'));
  assert.deepEqual(observeScope({ kind: 'apply', prune: false }, m, record(everything), true), ['db', 'new']);
});

test('a container:<other> sandbox brings the other\'s namespace; an attachment alone brings its sandbox\'s', () => {
  const side = load(sandbox('web', '{netns: web-old}'), sandbox('side', '{mode: "container:web"}'));
  assert.deepEqual(observeScope({ kind: 'delete', refresh: true }, side, record(everything), true), ['web-old']);
  const onlyAttachment = load(NETWORK, sandbox('db'), attachment('db-front', 'db'));
  assert.deepEqual(observeScope({ kind: 'apply', prune: false }, onlyAttachment, record(load(NETWORK)), true), ['db']);
});

test('the scope missed something when a veth of these manifests\' attachments ends in a namespace not read', () => {
  const m = load(NETWORK, sandbox('web'), attachment('web-front', 'web'));
  const observed = (unpaired: string[]): ObservedState => ({ resources: new Map(), foreign: new Map(), unpaired: unpaired as ObservedState['unpaired'] });
  assert.equal(scopeMissed(observed(['attachment/web-front']), m), true);
  assert.equal(scopeMissed(observed(['attachment/db-front', 'sandbox/web']), m), false, 'others\' veths are expected outside the scope');
  assert.equal(scopeMissed({ resources: new Map(), foreign: new Map() }, m), false);
});

test('a sandbox given another namespace by apply --no-prune keeps the old one in the record, and delete reads both', () => {
  const before = load(NETWORK, sandbox('web', '{netns: web-a}'), sandbox('db'));
  const moved = mergeApplied(record(before), record(load(NETWORK, sandbox('web', '{netns: web-b}'))));
  assert.deepEqual(moved.leftBehind, new Map([['web', ['web-a']]]));
  assert.deepEqual(observeScope({ kind: 'delete', refresh: true }, load(sandbox('web', '{netns: web-b}')), moved, true), ['web-a', 'web-b']);

  const again = mergeApplied(moved, record(load(NETWORK, sandbox('web', '{netns: web-c}'))));
  assert.deepEqual(again.leftBehind, new Map([['web', ['web-a', 'web-b']]]), 'each move adds the namespace left');
  const back = mergeApplied(again, record(load(NETWORK, sandbox('web', '{netns: web-a}'))));
  assert.deepEqual(back.leftBehind, new Map([['web', ['web-b', 'web-c']]]), 'the namespace it has again is not left behind');

  assert.equal(mergeApplied(record(before), record(load(NETWORK, sandbox('web', '{netns: web-a}')))).leftBehind, undefined, 'no move, nothing left');
  assert.equal(appliedWithout(moved, load(sandbox('web', '{netns: web-b}'))).leftBehind, undefined, 'deleting the sandbox forgets them');
  assert.deepEqual(appliedWithout(moved, load(sandbox('db'))).leftBehind, moved.leftBehind, 'deleting another sandbox keeps them');
});

test('the namespaces left behind survive the record on disk; a record without them (older netrecon) still reads', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'netrecon-scope-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = await openStateDir(dir, { create: true });
  const moved = mergeApplied(record(load(NETWORK, sandbox('web', '{netns: web-a}'))), record(load(NETWORK, sandbox('web', '{netns: web-b}'))));
  await saveApplied(state, moved);
  assert.deepEqual((await readApplied(state))?.leftBehind, new Map([['web', ['web-a']]]));
  await saveApplied(state, record(load(NETWORK, sandbox('web'))));
  const plain = await readApplied(state);
  assert.ok(plain !== undefined && plain.leftBehind === undefined);
  assert.doesNotMatch(await readFile(join(dir, 'applied.json'), 'utf8'), /leftBehind/, 'written only when there is something to say');
});
