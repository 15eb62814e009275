/**
 * Walks test/fixtures/plan/<case>/: desired.yaml (manifests), observed.json
 * (the live state, written as edits of the desired state), options.json
 * (optional: {"prune": false} or {"intent": "delete"}), and the expected
 * plan.txt / plan.sh, or conflicts.txt. Pure: no kernel, no files written.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allocateAddresses, emptyLeaseTable } from '../../src/ipam/index.js';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import type { ManifestSet } from '../../src/model/manifest.js';
import type { ForeignObject, ObservedState, Resource } from '../../src/model/resource.js';
import { findConflicts, useExistingVlans } from '../../src/reconcile/conflicts.js';
import { desiredFromManifests } from '../../src/reconcile/desired.js';
import { applyTarget, deleteTarget } from '../../src/reconcile/intent.js';
import { diffStates } from '../../src/reconcile/diff.js';
import { planSteps } from '../../src/reconcile/plan.js';
import { planToShell } from '../../src/render/plan-sh.js';
import { planToText } from '../../src/render/plan-text.js';
import { ownersOf } from '../../src/engine/prepare.js';

const root = fileURLToPath(new URL('../../../test/fixtures/plan/', import.meta.url));
const update = process.env.NETRECON_UPDATE_FIXTURES === '1';

interface ObservedEdits {
  readonly fromDesired?: boolean;
  readonly remove?: readonly string[];
  readonly set?: Readonly<Record<string, Record<string, unknown>>>;
  readonly add?: readonly Resource[];
  readonly foreign?: readonly ForeignObject[];
}

function loadSet(dir: string): ManifestSet {
  const file = join(dir, 'desired.yaml');
  const result = manifestsFromTexts([{ file: 'desired.yaml', text: readFileSync(file, 'utf8') }]);
  if (!result.ok) throw new Error(`fixture ${dir} has invalid manifests: ${JSON.stringify(result.diagnostics)}`);
  return result.set;
}

function observedFrom(edits: ObservedEdits, desired: ReadonlyMap<string, Resource>): ObservedState {
  const resources = new Map(edits.fromDesired ? desired : []);
  for (const key of edits.remove ?? []) assert.ok(resources.delete(key), `fixture removes unknown key ${key}`);
  for (const [key, fields] of Object.entries(edits.set ?? {})) {
    const r = resources.get(key);
    assert.ok(r, `fixture edits unknown key ${key}`);
    resources.set(key, { ...r, ...fields } as Resource);
  }
  for (const r of edits.add ?? []) resources.set(r.key, r);
  return { resources, foreign: new Map((edits.foreign ?? []).map((f) => [f.key, f])) };
}

function expectFile(dir: string, name: string, actual: string): void {
  const path = join(dir, name);
  if (update) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs for ${dir}`);
}

for (const name of readdirSync(root).sort()) {
  test(`plan fixture: ${name}`, () => {
    const dir = join(root, name);
    const manifests = loadSet(dir);
    const options = existsSync(join(dir, 'options.json')) ? JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as { prune?: boolean; intent?: string } : {};
    const allocation = allocateAddresses({ manifests, leases: emptyLeaseTable() });
    assert.deepEqual(allocation.diagnostics, []);
    const declared = desiredFromManifests({ manifests, assignments: allocation.assignments }).resources;
    const observed = observedFrom(JSON.parse(readFileSync(join(dir, 'observed.json'), 'utf8')) as ObservedEdits, declared);
    // As engine/prepare.ts: a user's own IF.VID parent is used, not created.
    const desired = useExistingVlans(declared, observed);
    if (existsSync(join(dir, 'conflicts.txt'))) {
      expectFile(dir, 'conflicts.txt', `${findConflicts(desired, observed).join('\n')}\n`);
      return;
    }
    const target = options.intent === 'delete'
      ? deleteTarget(observed.resources, ownersOf(manifests), [])
      : applyTarget(desired, options.prune ?? true);
    const plan = planSteps(diffStates(target.desired, observed.resources, { prune: target.prune }), 'fixture');
    expectFile(dir, 'plan.txt', planToText(plan));
    expectFile(dir, 'plan.sh', planToShell(plan));
  });
}

test('every fixture plan matches schemas/plan.schema.json (the documented shape of plan -o json)', async () => {
  const { Ajv } = await import('ajv');
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../../schemas/plan.schema.json', import.meta.url)), 'utf8')) as object;
  const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
  let checked = 0;
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (existsSync(join(dir, 'conflicts.txt'))) continue;
    const manifests = loadSet(dir);
    const allocation = allocateAddresses({ manifests, leases: emptyLeaseTable() });
    const desired = desiredFromManifests({ manifests, assignments: allocation.assignments }).resources;
    const plan = planSteps(diffStates(desired, new Map(), { prune: () => true }), 'digest');
    assert.ok(validate(JSON.parse(JSON.stringify(plan))), `${name}: ${JSON.stringify(validate.errors)}`);
    checked++;
  }
  assert.ok(checked >= 5);
});
