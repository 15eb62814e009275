/** Two interfaces on one network may not share a MAC, explicit or derived from the address. Pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import type { Assignment } from '../../src/reconcile/desired.js';
import { macCollisions } from '../../src/reconcile/macs.js';

const doc = (kind: string, name: string, spec: string): string => `apiVersion: netrecon.dev/v1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

function load(...docs: string[]) {
  const r = manifestsFromTexts([{ file: 'm.yaml', text: docs.join('---\n') }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.set;
}

const at = (ipv4: string): Assignment => ({ ipv4, prefix: 24 });

test('an explicit MAC equal to another attachment\'s derived MAC on the same network is reported at the explicit one', () => {
  const m = load(doc('Network', 'u', '{subnet: 10.100.0.0/24}'), doc('Network', 'v', '{subnet: 10.101.0.0/24}'),
    doc('Sandbox', 's', '{}'), doc('Sandbox', 't', '{}'), doc('Sandbox', 'w', '{}'),
    doc('Attachment', 's-u', '{sandbox: s, network: u}'),
    doc('Attachment', 'a-u', '{sandbox: t, network: u, mac: "02:42:0a:64:00:02"}'),
    doc('Attachment', 'w-v', '{sandbox: w, network: v, mac: "02:42:0a:64:00:02"}'));
  const assignments = new Map([['s-u', at('10.100.0.2')], ['a-u', at('10.100.0.3')], ['w-v', at('10.101.0.2')]]);
  assert.deepEqual(macCollisions(m, assignments).map(formatDiagnostic), [
    'm.yaml:33:18: spec.mac: 02:42:0a:64:00:02 is also the MAC of attachment s-u (m.yaml:28) on network u, derived from its address: the network would deliver its traffic to one of them only',
  ], 'w-v has the same MAC on another network: no collision');
  assert.deepEqual(macCollisions(m, new Map([['s-u', at('10.100.0.4')], ['a-u', at('10.100.0.3')]])), [], 'another address, another MAC');
});

test('two explicit MACs alike on one network: the later by name is reported', () => {
  const m = load(doc('Network', 'u', '{subnet: 10.100.0.0/24}'), doc('Sandbox', 's', '{}'), doc('Sandbox', 't', '{}'),
    doc('Attachment', 'b', '{sandbox: s, network: u, mac: "02:00:00:00:00:01"}'), doc('Attachment', 'a', '{sandbox: t, network: u, mac: "02:00:00:00:00:01"}'));
  const d = macCollisions(m, new Map([['a', at('10.100.0.2')], ['b', at('10.100.0.3')]]));
  assert.equal(d.length, 1);
  assert.match(formatDiagnostic(d[0] ?? { file: '', line: 0, col: 0, code: '', message: '' }), /^m\.yaml:\d+:\d+: spec\.mac: 02:00:00:00:00:01 is also the MAC of attachment a \(m\.yaml:\d+\) on network u: /);
});
