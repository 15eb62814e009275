/** References resolved against objects of the last apply (`delete -f` of a sandbox's own file). Pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestsFromTexts } from '../../src/manifest/index.js';

const NETWORK = 'apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: lan}\nspec: {driver: bridge, subnet: 10.70.0.0/24, gateway: 10.70.0.1}\n';
const SANDBOX = 'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: app}\nspec: {}\n';
const attachment = (address: string): string =>
  `apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: app-lan}\nspec: {sandbox: app, network: lan, address: ${address}}\n`;

function recorded() {
  const r = manifestsFromTexts([{ file: 'old.yaml', text: `${NETWORK}---\n${SANDBOX}` }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return { networks: r.set.networks, sandboxes: r.set.sandboxes };
}

test('an attachment may name a network only the last apply defined; the network is not part of the set', () => {
  const text = `${SANDBOX}---\n${attachment('10.70.0.5')}`;
  const alone = manifestsFromTexts([{ file: 'app.yaml', text }]);
  assert.equal(alone.ok, false);
  assert.match(JSON.stringify(!alone.ok && alone.diagnostics), /network lan not found/);
  const r = manifestsFromTexts([{ file: 'app.yaml', text }], { known: recorded() });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  assert.deepEqual([...r.set.networks.keys()], []);
  assert.deepEqual([...r.set.attachments.keys()], ['app-lan']);
});

test('a known network still checks the attachment: an address outside its subnet is an error at the attachment', () => {
  const r = manifestsFromTexts([{ file: 'app.yaml', text: `${SANDBOX}---\n${attachment('10.71.0.5')}` }], { known: recorded() });
  assert.equal(r.ok, false);
  const d = !r.ok ? r.diagnostics : [];
  assert.deepEqual(d.map((x) => x.file), ['app.yaml']);
  assert.match(d[0]?.message ?? '', /10\.71\.0\.5/);
});

test('an attachment alone may name a sandbox only the last apply defined', () => {
  const r = manifestsFromTexts([{ file: 'att.yaml', text: attachment('10.70.0.6') }], { known: recorded() });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  assert.deepEqual([...r.set.sandboxes.keys()], []);
});
