/**
 * Default interface names and the default route are decided when a sandbox
 * gets them, then kept: adding or removing one attachment leaves the
 * others' interfaces and the default route as they are (as docker network
 * connect / disconnect do). Found by two reviews: adding an attachment whose
 * name sorts first renamed every interface of a running sandbox. Pure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestsFromTexts } from '../../src/manifest/index.js';
import type { ManifestSet } from '../../src/model/manifest.js';
import { linkKey, routeKey, type Resource, type VethResource } from '../../src/model/resource.js';
import { keepDefaults } from '../../src/reconcile/sticky.js';

const NETS = ['front', 'back', 'third'].map((n, i) => `apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: ${n}}\nspec: {subnet: 10.${i}.0.0/24}\n`);
const SANDBOX = 'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: web}\nspec: {}\n';
const att = (name: string, network: string, extra = ''): string =>
  `apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: ${name}}\nspec: {sandbox: web, network: ${network}${extra}}\n`;

function load(...attachments: string[]): ManifestSet {
  const r = manifestsFromTexts([{ file: 'm.yaml', text: [...NETS, SANDBOX, ...attachments].join('---\n') }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.set;
}

/** The kernel as an apply of `m` left it: each attachment's link, and the default route's owner. */
function kernelOf(m: ManifestSet): Map<string, Resource> {
  const out = new Map<string, Resource>();
  for (const a of m.attachments.values()) {
    const veth = { type: 'veth', key: linkKey('web', a.interface), ns: 'web', name: a.interface, owner: `attachment/${a.name}`, mac: '', up: true,
      hostName: `nrv-${a.name}`, hostMaster: `nr-${a.network}`, hostUp: true, hostIsolated: false, hostHairpin: false } satisfies VethResource;
    out.set(veth.key, veth);
    if (a.defaultRoute) out.set(routeKey('web', 'default', 4), { type: 'route', key: routeKey('web', 'default', 4), ns: 'web', dst: 'default', family: 4, dev: a.interface, owner: `attachment/${a.name}` });
  }
  return out;
}

const view = (m: ManifestSet): string[] => [...m.attachments.values()].map((a) => `${a.name} ${a.interface}${a.defaultRoute ? ' default' : ''}`).sort();

test('a new sandbox gets the defaults in name order, as SPEC says', () => {
  assert.deepEqual(view(keepDefaults(load(att('web-front', 'front'), att('web-back', 'back')), new Map())), ['web-back eth0 default', 'web-front eth1']);
});

test('adding an attachment that sorts first leaves the others\' interfaces and the default route alone', () => {
  const running = keepDefaults(load(att('web-front', 'front'), att('web-back', 'back')), new Map());
  const added = keepDefaults(load(att('aaa', 'third'), att('web-front', 'front'), att('web-back', 'back')), kernelOf(running));
  assert.deepEqual(view(added), ['aaa eth2', 'web-back eth0 default', 'web-front eth1']);
  assert.deepEqual(view(keepDefaults(load(att('aaa', 'third'), att('web-front', 'front'), att('web-back', 'back')), kernelOf(added))), view(added), 'and stays so');
});

test('removing one keeps the others\' names; the default route moves only when its holder goes', () => {
  const running = keepDefaults(load(att('web-front', 'front'), att('web-back', 'back'), att('web-x', 'third')), new Map());
  assert.deepEqual(view(running), ['web-back eth0 default', 'web-front eth1', 'web-x eth2']);
  assert.deepEqual(view(keepDefaults(load(att('web-back', 'back'), att('web-x', 'third')), kernelOf(running))), ['web-back eth0 default', 'web-x eth2']);
  assert.deepEqual(view(keepDefaults(load(att('web-front', 'front'), att('web-x', 'third')), kernelOf(running))), ['web-front eth1 default', 'web-x eth2']);
});

test('what a manifest says explicitly wins over what is kept', () => {
  const running = keepDefaults(load(att('web-front', 'front'), att('web-back', 'back')), new Map());
  const explicit = keepDefaults(load(att('a5', 'third', ', interface: eth0, defaultRoute: true'), att('web-front', 'front'), att('web-back', 'back')), kernelOf(running));
  assert.deepEqual(view(explicit), ['a5 eth0 default', 'web-back eth2', 'web-front eth1']);
  const off = keepDefaults(load(att('web-front', 'front'), att('web-back', 'back', ', defaultRoute: false')), kernelOf(running));
  assert.deepEqual(view(off), ['web-back eth0', 'web-front eth1'], 'the holder says false: no default route (the rule for a new sandbox)');
});

test('an interface in another namespace than the sandbox\'s (its netns changed) is not kept', () => {
  const running = keepDefaults(load(att('web-front', 'front'), att('web-back', 'back')), new Map());
  const moved = new Map([...kernelOf(running)].map(([k, r]) => [k.replace('/web/', '/old/'), { ...r, ns: 'old' } as Resource]));
  assert.deepEqual(view(keepDefaults(load(att('aaa', 'third'), att('web-front', 'front'), att('web-back', 'back')), moved)), ['aaa eth0 default', 'web-back eth1', 'web-front eth2']);
});
