/**
 * Plans at scale, counted rather than timed: a change to one attachment
 * among 200 plans only that attachment's resources (and the network's hosts
 * file, which lists its address), run in that sandbox and nowhere else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateAddresses, emptyLeaseTable } from '../../src/ipam/index.js';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import type { Resource } from '../../src/model/resource.js';
import { desiredFromManifests } from '../../src/reconcile/desired.js';
import { diffStates } from '../../src/reconcile/diff.js';
import { planSteps } from '../../src/reconcile/plan.js';

const N = 200;

function manifests(changed?: number): string {
  const docs = ['apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: bench}\nspec: {driver: bridge, subnet: 10.88.0.0/16}\n'];
  for (let i = 0; i < N; i++) {
    const host = i === changed ? 250 * 256 + i : i + 2;
    const address = `10.88.${Math.floor(host / 256)}.${host % 256}`;
    docs.push(`apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: s${i}}\nspec: {}\n`);
    docs.push(`apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: s${i}-bench}\nspec: {sandbox: s${i}, network: bench, address: ${address}}\n`);
  }
  return docs.join('---\n');
}

function desired(text: string): ReadonlyMap<string, Resource> {
  const loaded = manifestsFromTexts([{ file: 'm.yaml', text }]);
  assert.ok(loaded.ok, 'manifests are valid');
  const allocation = allocateAddresses({ manifests: loaded.set, leases: emptyLeaseTable() });
  return desiredFromManifests({ manifests: loaded.set, assignments: allocation.assignments }).resources;
}

test(`a converged set of ${N} attachments plans nothing`, () => {
  const state = desired(manifests());
  assert.equal(planSteps(diffStates(state, state, { prune: () => true }), 'x').steps.length, 0);
});

test(`one attachment's address changed among ${N}: only its resources and the network hosts file change`, () => {
  const before = desired(manifests());
  const after = desired(manifests(117));
  const plan = planSteps(diffStates(after, before, { prune: () => true }), 'x');
  const owners = new Set(plan.steps.map((s) => s.owner));
  assert.deepEqual([...owners].sort(), ['attachment/s117-bench', 'network/bench']);
  assert.deepEqual(plan.steps.filter((s) => s.owner === 'network/bench').map((s) => s.address), ['file/@host/bench.hosts']);
  const commands = plan.steps.flatMap((s) => s.commands);
  const ipNamespaces = new Set(commands.flatMap((c) => (c.tool === 'ip' ? [c.ns] : [])));
  assert.deepEqual([...ipNamespaces], ['s117'], 'ip commands run in the changed sandbox only');
  assert.ok(commands.length <= 6, `a handful of commands, not O(N): ${commands.length}`);
});
