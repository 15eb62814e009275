/**
 * apply --no-prune keeps what earlier applies made: IPAM and what objects
 * share (the firewall table, forwarding, hosts files) must still see the
 * kept objects, or a kept sandbox silently loses its published ports, its
 * name in its neighbours' hosts file, or its address to a newcomer. Pure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appliedWithout, type AppliedSet } from '../../src/engine/applied.js';
import { desiredWithAddresses } from '../../src/engine/prepare.js';
import { emptyLeaseTable, type LeaseTable } from '../../src/ipam/index.js';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import { ManifestError } from '../../src/model/errors.js';
import type { ManifestSet } from '../../src/model/manifest.js';
import { FIREWALL_KEY, fileKey, HOST_NS, netnsKey, type ObservedState, type Resource } from '../../src/model/resource.js';

const network = (subnet: string, gateway: string): string =>
  `apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: front}\nspec: {driver: bridge, subnet: ${subnet}, gateway: ${gateway}}\n`;
const sandbox = (name: string, publish?: number): string =>
  `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: ${name}}\nspec: {}\n---\n` +
  `apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: ${name}-front}\nspec:\n  sandbox: ${name}\n  network: front\n` +
  (publish === undefined ? '' : `  publish: [{hostPort: ${publish}, port: 80}]\n`);

function load(...texts: string[]): ManifestSet {
  const r = manifestsFromTexts(texts.map((text, i) => ({ file: `m${i}.yaml`, text })));
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.set;
}

const nothing: ObservedState = { resources: new Map(), foreign: new Map() };

/** The first apply (everything), as its record would be saved. */
function applyAll(all: ManifestSet): { leases: LeaseTable; kept: AppliedSet } {
  const first = desiredWithAddresses(nothing, all, emptyLeaseTable());
  return { leases: first.leases, kept: { manifests: all, assignments: first.assignments } };
}

const content = (desired: ReadonlyMap<string, Resource>, key: string): unknown => {
  const r = desired.get(key);
  return r?.type === 'file' ? r.content : r?.type === 'firewall' ? r.rules : undefined;
};

test('a kept sandbox keeps its published port and its hosts entry; none of its own resources are desired', () => {
  const all = load(network('10.90.0.0/24', '10.90.0.1'), sandbox('web'), sandbox('db', 8080));
  const { leases, kept } = applyAll(all);
  const full = desiredWithAddresses(nothing, all, emptyLeaseTable()).desired;
  const webOnly = load(network('10.90.0.0/24', '10.90.0.1'), sandbox('web'));

  const noPrune = desiredWithAddresses(nothing, webOnly, leases, kept).desired;
  assert.deepEqual(content(noPrune, FIREWALL_KEY), content(full, FIREWALL_KEY), 'the DNAT of db:8080 stays');
  assert.match(String(content(noPrune, fileKey(HOST_NS, 'front.hosts'))), /\tdb\n/, 'db stays in the network hosts file');
  assert.deepEqual(content(noPrune, fileKey(HOST_NS, 'front.hosts')), content(full, fileKey(HOST_NS, 'front.hosts')));
  assert.equal(noPrune.has(netnsKey('db')), false, 'db itself is only kept, not managed');

  // Without --no-prune the same manifests drop db from what is shared (it is pruned).
  const pruned = desiredWithAddresses(nothing, webOnly, leases).desired;
  assert.notDeepEqual(content(pruned, FIREWALL_KEY), content(full, FIREWALL_KEY));
  assert.doesNotMatch(String(content(pruned, fileKey(HOST_NS, 'front.hosts'))), /\tdb\n/);
});

test('a kept attachment keeps its lease: a newcomer gets no address rather than the kept one', () => {
  // A /30 has one usable address besides the gateway: db holds it.
  const all = load(network('10.91.0.0/30', '10.91.0.1'), sandbox('db'));
  const { leases, kept } = applyAll(all);
  assert.equal(kept.assignments.size, 1);
  const newcomer = load(network('10.91.0.0/30', '10.91.0.1'), sandbox('web'));
  assert.throws(() => desiredWithAddresses(nothing, newcomer, leases, kept), (e: unknown) =>
    e instanceof ManifestError && e.diagnostics.some((d) => d.code === 'ipam-exhausted' && d.message.includes('web-front')));
  // Pruning db frees the address for web.
  const pruned = desiredWithAddresses(nothing, newcomer, leases);
  assert.equal(pruned.assignments.get('web-front')?.ipv4, '10.91.0.2');
});

test('the assignments recorded for a --no-prune apply are those of its own attachments', () => {
  const all = load(network('10.92.0.0/24', '10.92.0.1'), sandbox('web'), sandbox('db'));
  const { leases, kept } = applyAll(all);
  const webOnly = load(network('10.92.0.0/24', '10.92.0.1'), sandbox('web'));
  const r = desiredWithAddresses(nothing, webOnly, leases, kept);
  assert.deepEqual([...r.assignments.keys()], ['web-front']);
  assert.deepEqual(r.assignments.get('web-front'), kept.assignments.get('web-front'), 'web keeps its address');
});

test('a newcomer taking a kept attachment\'s static address is refused at its own line, naming the kept one', () => {
  const withAddress = (text: string, ip: string): string => text.replace('network: front\n', `network: front\n  address: ${ip}\n`);
  const all = load(network('10.93.0.0/24', '10.93.0.1'), withAddress(sandbox('db'), '10.93.0.20'));
  const { leases, kept } = applyAll(all);
  const r = manifestsFromTexts([{ file: 'new.yaml', text: `${network('10.93.0.0/24', '10.93.0.1')}---\n${withAddress(sandbox('web'), '10.93.0.20')}` }]);
  assert.ok(r.ok);
  assert.throws(() => desiredWithAddresses(nothing, r.set, leases, kept), (e: unknown) => {
    assert.ok(e instanceof ManifestError, String(e));
    assert.deepEqual(e.diagnostics.map((d) => [d.file, d.line, d.code]), [['new.yaml', 13, 'address-in-use']]);
    assert.match(e.diagnostics[0]?.message ?? '', /address 10\.93\.0\.20 on network front is held by attachment db-front \(m1\.yaml:8; an earlier apply made it and --no-prune keeps it\)/);
    return true;
  });
  // Without --no-prune db goes, and web may take its address.
  assert.equal(desiredWithAddresses(nothing, r.set, leases).assignments.get('web-front')?.ipv4, '10.93.0.20');
});

test('a diagnostic about a kept object says it is kept', () => {
  const all = load(network('10.95.0.0/30', '10.95.0.1'), sandbox('db'));
  const { kept } = applyAll(all);
  // The network redefined with no address left to hand out (the /31 range holds the network address and the gateway),
  // and no lease file: kept db needs an address again and gets none.
  const r = manifestsFromTexts([{ file: 'new.yaml', text: network('10.95.0.0/30', '10.95.0.1').replace('10.95.0.1}', '10.95.0.1, ipRange: 10.95.0.0/31}') }]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  assert.throws(() => desiredWithAddresses(nothing, r.set, emptyLeaseTable(), kept), (e: unknown) => {
    assert.ok(e instanceof ManifestError, String(e));
    assert.ok(e.diagnostics.length > 0);
    for (const d of e.diagnostics) assert.match(d.message, /--no-prune keeps it: pass its manifest, or delete it\)$/, JSON.stringify(d));
    return true;
  });
});

test('what a delete leaves: an attachment goes with its sandbox even when its manifest was not passed', () => {
  const all = load(network('10.96.0.0/24', '10.96.0.1'), sandbox('web'), sandbox('db', 8080));
  const { kept } = applyAll(all);
  const dbOnly = load(`apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: db}\nspec: {}\n`);
  const left = appliedWithout(kept, dbOnly);
  assert.deepEqual([...left.manifests.sandboxes.keys()], ['web']);
  assert.deepEqual([...left.manifests.attachments.keys()], ['web-front'], 'db-front went with db: its DNAT and hosts line are not recomputed');
  assert.deepEqual([...left.manifests.networks.keys()], ['front']);
});

test('a kept sandbox\'s own hosts file learns of a newcomer on its networks: rewritten when it exists, never created', () => {
  const back = network('10.97.0.0/24', '10.97.0.1').replace('name: front', 'name: back');
  const front = network('10.98.0.0/24', '10.98.0.1');
  const onBoth = `${sandbox('db')}---\napiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: db-back}\nspec: {sandbox: db, network: back}\n`;
  const { leases, kept } = applyAll(load(front, back, onBoth));
  const full = desiredWithAddresses(nothing, load(front, back, onBoth), emptyLeaseTable()).desired;
  const dbHosts = full.get(fileKey('db', 'hosts'));
  assert.equal(dbHosts?.type === 'file' && dbHosts.target === undefined, true, 'db on two networks has its own hosts file');
  const observed: ObservedState = { resources: new Map([[fileKey('db', 'hosts'), dbHosts as Resource]]), foreign: new Map() };
  const web = load(front, sandbox('web'));
  const r = desiredWithAddresses(observed, web, leases, kept).desired;
  assert.match(String(content(r, fileKey('db', 'hosts'))), /\tweb\n/, 'db now resolves web');
  assert.equal(desiredWithAddresses(nothing, web, leases, kept).desired.has(fileKey('db', 'hosts')), false, 'not created when missing');
});
