/** What a delete aims for: the files of what remains are rewritten as an apply of it would write them. Pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileKey, HOST_NS, linkKey, netnsKey, type BridgeResource, type FileResource, type Owner, type Resource } from '../../src/model/resource.js';
import { deleteTarget } from '../../src/reconcile/intent.js';

const file = (ns: string, name: string, owner: Owner, content: string): FileResource =>
  ({ type: 'file', key: fileKey(ns, name), ns, path: `/etc/netns/${ns}/${name}`, owner, content });
const netns = (ns: string): Resource => ({ type: 'netns', key: netnsKey(ns), ns, owner: `sandbox/${ns}`, loUp: true });

const observed = new Map<string, Resource>([
  [netnsKey('db'), netns('db')],
  [netnsKey('web'), netns('web')],
  [fileKey(HOST_NS, 'front.hosts'), file(HOST_NS, 'front.hosts', 'network/front', 'web\ndb\n')],
  [fileKey(HOST_NS, 'back.hosts'), file(HOST_NS, 'back.hosts', 'network/back', 'db\n')],
  [fileKey('other', 'hosts'), file('other', 'hosts', 'sandbox/other', 'db\n')],
]);

test('delete rewrites the files of the remaining owners it knows, removes those no longer written, leaves others alone', () => {
  const refresh = {
    files: [file(HOST_NS, 'front.hosts', 'network/front', 'web\n'), file('web', 'hosts', 'sandbox/web', 'web\n')],
    owners: new Set<Owner>(['network/front', 'network/back', 'sandbox/web']),
    localnet: new Set<string>(),
  };
  const { desired, prune } = deleteTarget(observed, new Set<Owner>(['sandbox/db']), [], refresh);
  assert.equal(desired.has(netnsKey('db')), false);
  assert.deepEqual(desired.get(fileKey(HOST_NS, 'front.hosts')), refresh.files[0], 'rewritten without db');
  assert.equal(desired.has(fileKey(HOST_NS, 'back.hosts')), false, 'back has no member left: its file goes');
  assert.equal(prune(observed.get(fileKey(HOST_NS, 'back.hosts')) as Resource), true);
  assert.equal(desired.has(fileKey('web', 'hosts')), false, 'a missing file is not created by a delete');
  assert.deepEqual(desired.get(fileKey('other', 'hosts')), observed.get(fileKey('other', 'hosts')), 'an owner the record does not know is left alone');
  assert.equal(prune(observed.get(fileKey('other', 'hosts')) as Resource), false);
});

test('without a record of what remains, a delete leaves every other file as it is', () => {
  const { desired } = deleteTarget(observed, new Set<Owner>(['sandbox/db']), []);
  for (const key of [fileKey(HOST_NS, 'front.hosts'), fileKey(HOST_NS, 'back.hosts'), fileKey('other', 'hosts')]) {
    assert.deepEqual(desired.get(key), observed.get(key), key);
  }
});

test('a bridge that stays keeps route_localnet only while ports remain published to it; without a record it is left as it is', () => {
  const bridge = (name: string): BridgeResource => ({ type: 'bridge', key: linkKey(HOST_NS, name), ns: HOST_NS, name, owner: `network/${name}`, mac: '02:42:0a:00:00:01', up: true, routeLocalnet: true });
  const withBridges = new Map<string, Resource>([...observed, ...[bridge('nr-front'), bridge('nr-back')].map((b) => [b.key, b] as const)]);
  const refresh = { files: [], owners: new Set<Owner>(['network/front', 'network/back']), localnet: new Set(['nr-front']) };
  const { desired } = deleteTarget(withBridges, new Set<Owner>(['sandbox/db']), [], refresh);
  assert.equal((desired.get(linkKey(HOST_NS, 'nr-front')) as BridgeResource).routeLocalnet, true);
  assert.equal((desired.get(linkKey(HOST_NS, 'nr-back')) as BridgeResource).routeLocalnet, false, 'its last published port went with db');
  const unknown = deleteTarget(withBridges, new Set<Owner>(['sandbox/db']), []);
  assert.equal((unknown.desired.get(linkKey(HOST_NS, 'nr-back')) as BridgeResource).routeLocalnet, true);
});
