/** The digest changes exactly when the rules change. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firewallFromManifests } from '../../src/firewall/index.js';
import type { Assignment } from '../../src/ipam/allocate.js';
import type { AttachmentSpec, ManifestSet, NetworkSpec } from '../../src/model/manifest.js';
import { loadCase } from './firewall-cases.js';

const base = loadCase('dual-stack');
const NET = base.manifests.networks.get('dual') as NetworkSpec & { bridge: NonNullable<NetworkSpec['bridge']> };
const ATT = base.manifests.attachments.get('web-dual') as AttachmentSpec;
const ADDR = base.assignments.get('web-dual') as Assignment;
const [P0, ...REST] = ATT.publish;
assert.ok(P0 !== undefined);

type Change = { manifests?: Partial<ManifestSet>; assignments?: ReadonlyMap<string, Assignment> };
const net = (n: Partial<NetworkSpec>): Change => ({ manifests: { networks: new Map([['dual', { ...NET, ...n }]]) } });
const bridge = (b: Partial<NetworkSpec['bridge']>): Change => net({ bridge: { ...NET.bridge, ...b } });
const att = (a: Partial<AttachmentSpec>): Change => ({ manifests: { attachments: new Map([['web-dual', { ...ATT, ...a }]]) } });
const addr = (a: Partial<Assignment>): Change => ({ assignments: new Map([['web-dual', { ...ADDR, ...a }]]) });
const other = (n: Partial<NetworkSpec>): Change => ({ manifests: { networks: new Map([['dual', NET], ['zz', { ...NET, name: 'zz', ...n }]]) } });

const digestOf = (c: Change): string | undefined =>
  firewallFromManifests({ ...base.manifests, ...c.manifests }, c.assignments ?? base.assignments)?.digest;
const BASE = digestOf({});

const CHANGES: Record<string, Change> = {
  'bridge name': bridge({ name: 'nr-other' }),
  subnet: net({ subnet: '172.31.0.0/24' }),
  'subnet6 removed (and its publish)': { ...net({ subnet6: undefined }), ...att({ publish: [P0] }) },
  internal: bridge({ internal: true, masquerade: false }),
  masquerade: bridge({ masquerade: false }),
  'host port': att({ publish: [{ ...P0, hostPort: 8081 }, ...REST] }),
  'container port': att({ publish: [{ ...P0, port: 81 }, ...REST] }),
  protocol: att({ publish: [{ ...P0, protocol: 'udp' }, ...REST] }),
  'host IP': att({ publish: [{ ...P0, hostIP: '198.51.100.1' }, ...REST] }),
  'publish removed': att({ publish: REST }),
  'attachment address': addr({ ipv4: '172.30.0.11' }),
  'attachment IPv6 address': addr({ ipv6: 'fd00:30::11' }),
  'another bridge network': other({ bridge: { ...NET.bridge, name: 'nr-zz' }, subnet: '172.28.0.0/24' }),
};

const SAME: Record<string, Change> = {
  labels: net({ labels: { team: 'web' } }),
  gateway: net({ gateway: '172.30.0.254' }),
  mtu: net({ mtu: 9000 }),
  'icc (enforced by bridge port isolation, not by the table)': bridge({ icc: false }),
  'attachment mac, routes, interface': att({ mac: '02:42:00:00:00:01', interface: 'eth1', routes: [{ to: '10.0.0.0/8', via: '172.30.0.1' }] }),
  'publish order': att({ publish: [...REST].reverse().concat(P0) }),
  'a macvlan network': other({ driver: 'macvlan', bridge: undefined, subnet: '172.28.0.0/24' }),
};

describe('digest', () => {
  for (const [what, change] of Object.entries(CHANGES)) {
    it(`changes with ${what}`, () => assert.notEqual(digestOf(change), BASE));
  }
  for (const [what, change] of Object.entries(SAME)) {
    it(`stays with ${what}`, () => assert.equal(digestOf(change), BASE));
  }
});
