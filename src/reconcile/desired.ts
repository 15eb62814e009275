import type { AttachmentSpec, ManifestSet, NetworkSpec, SandboxSpec } from '../model/manifest.js';
import {
  HOST_NS,
  addrKey,
  linkKey,
  netnsKey,
  routeKey,
  type AddrResource,
  type DesiredState,
  type Owner,
  type Resource,
  type RouteResource,
} from '../model/resource.js';
import { cidrToString, familyOf, macFromIpv4, parseCidr } from '../util/cidr.js';
import { filesOfSandboxes, networkHostsFiles, peerIndex, sandboxNetns, vlanParents } from './desired-files.js';
import { firewallFromManifests } from '../firewall/index.js';
import { sharedResources } from './desired-shared.js';
import { hostVethName } from './names.js';

/** Addresses IPAM decided for one attachment. */
export interface Assignment {
  readonly ipv4: string;
  readonly prefix: number;
  readonly ipv6?: string;
  readonly prefix6?: number;
}

export interface DesiredInput {
  readonly manifests: ManifestSet;
  readonly assignments: ReadonlyMap<string, Assignment>;
  /**
   * Everything that stays after this apply when it differs from `manifests`
   * (apply --no-prune keeps objects applied before): what objects share —
   * the firewall table, forwarding, hosts files — is computed from it, so a
   * kept sandbox keeps its published ports and its name. Default: `manifests`.
   */
  readonly remaining?: { readonly manifests: ManifestSet; readonly assignments: ReadonlyMap<string, Assignment> };
}

/** Pure projection: manifests (with IPAM's addresses) -> kernel resources keyed by address. */
export function desiredFromManifests(input: DesiredInput): DesiredState {
  const out = new Map<string, Resource>();
  const add = (r: Resource): void => void out.set(r.key, r);
  const remaining = input.remaining ?? input;
  const peers = peerIndex(remaining.manifests, remaining.assignments);
  for (const sandbox of input.manifests.sandboxes.values()) {
    sandboxResources(sandbox).forEach(add);
  }
  filesOfSandboxes(input.manifests.sandboxes.values(), peers).forEach(add);
  networkHostsFiles(peers).forEach(add);
  const fw = firewallFromManifests(remaining.manifests, remaining.assignments);
  const localnet = new Set(fw?.localnet ?? []);
  for (const network of input.manifests.networks.values()) networkResources(network, localnet).forEach(add);
  vlanParents(input.manifests).forEach(add);
  sharedResources(remaining.manifests, remaining.assignments, fw).forEach(add);
  for (const attachment of input.manifests.attachments.values()) {
    const assignment = input.assignments.get(attachment.name);
    if (!assignment) throw new Error(`bug: no address assigned to attachment ${attachment.name}`);
    attachmentResources(input.manifests, attachment, assignment).forEach(add);
  }
  return { resources: out };
}

/**
 * What the kernel holds inside these sandboxes' namespaces by their
 * manifests: the netns and each attachment's link, addresses and routes (no
 * files, nothing on the host). Attachments whose sandbox is not among them
 * are skipped. Pure; delete uses it for namespaces it does not read (see
 * observe/vouch.ts).
 */
export function sandboxKernelResources(m: Pick<ManifestSet, 'networks' | 'sandboxes' | 'attachments'>, sandboxes: ReadonlySet<string>,
  assignments: ReadonlyMap<string, Assignment>): Resource[] {
  const out: Resource[] = [];
  for (const name of sandboxes) {
    const s = m.sandboxes.get(name);
    if (s !== undefined) out.push(...sandboxResources(s));
  }
  for (const a of m.attachments.values()) {
    const assignment = assignments.get(a.name);
    if (!sandboxes.has(a.sandbox) || assignment === undefined || !m.networks.has(a.network)) continue;
    out.push(...attachmentResources(m, a, assignment));
  }
  return out;
}

function sandboxResources(s: SandboxSpec): Resource[] {
  const ns = sandboxNetns(s);
  if (ns === undefined) return [];
  return [{ type: 'netns', key: netnsKey(ns), ns, owner: `sandbox/${s.name}`, loUp: true }];
}

/** `localnet`: the bridges IPv4 ports are published to (they need route_localnet, see BridgeResource). */
function networkResources(n: NetworkSpec, localnet: ReadonlySet<string>): Resource[] {
  if (n.driver !== 'bridge' || !n.bridge) return [];
  const owner: Owner = `network/${n.name}`;
  const name = n.bridge.name;
  const mac = macFromIpv4(n.gateway);
  const out: Resource[] = [{ type: 'bridge', key: linkKey(HOST_NS, name), ns: HOST_NS, name, owner, mac, mtu: n.mtu, up: true, routeLocalnet: localnet.has(name) }];
  out.push(addr(HOST_NS, name, `${n.gateway}/${prefixOf(n.subnet)}`, owner));
  if (n.subnet6 && n.gateway6) out.push(addr(HOST_NS, name, `${n.gateway6}/${prefixOf(n.subnet6)}`, owner));
  return out;
}

function attachmentResources(m: Pick<ManifestSet, 'networks' | 'sandboxes'>, a: AttachmentSpec, as: Assignment): Resource[] {
  const network = m.networks.get(a.network);
  const sandbox = m.sandboxes.get(a.sandbox);
  if (!network || !sandbox) throw new Error(`bug: attachment ${a.name} references a missing object`);
  const ns = sandboxNetns(sandbox);
  if (ns === undefined) throw new Error(`bug: attachment ${a.name} to sandbox ${sandbox.name} without a netns`);
  const owner: Owner = `attachment/${a.name}`;
  const dev = a.interface;
  const mac = a.mac ?? macFromIpv4(as.ipv4);
  const link: Resource = network.driver === 'bridge'
    ? { type: 'veth', key: linkKey(ns, dev), ns, name: dev, owner, mac, mtu: network.mtu, up: true,
        hostName: hostVethName(sandbox.name, dev), hostMaster: network.bridge?.name ?? '', hostUp: true,
        hostIsolated: network.bridge?.icc === false, hostHairpin: a.publish.length > 0 }
    : { type: 'macvlan', key: linkKey(ns, dev), ns, name: dev, owner, mac, mtu: network.mtu, up: true,
        parent: network.macvlan?.parent ?? '', mode: network.macvlan?.mode ?? 'bridge' };
  const out: Resource[] = [link, addr(ns, dev, `${as.ipv4}/${as.prefix}`, owner)];
  if (as.ipv6 && as.prefix6 !== undefined) out.push(addr(ns, dev, `${as.ipv6}/${as.prefix6}`, owner));
  if (a.defaultRoute) {
    out.push(route(ns, dev, 'default', network.gateway, owner));
    if (as.ipv6 && network.gateway6) out.push(route(ns, dev, 'default', network.gateway6, owner));
  }
  for (const r of a.routes) out.push(route(ns, dev, r.to, r.via, owner));
  return out;
}

const prefixOf = (cidr: string): number => {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`bug: unvalidated subnet ${cidr}`);
  return c.prefix;
};

const addr = (ns: string, dev: string, cidr: string, owner: Owner): AddrResource => ({
  type: 'addr', key: addrKey(ns, dev, cidr), ns, dev, cidr, family: familyOf(cidr), owner,
});

function route(ns: string, dev: string, dst: string, via: string, owner: Owner): RouteResource {
  const family = familyOf(via);
  const canonical = dst === 'default' ? dst : canonicalCidr(dst);
  return { type: 'route', key: routeKey(ns, canonical, family), ns, dst: canonical, family, via, dev, owner };
}

const canonicalCidr = (text: string): string => {
  const c = parseCidr(text);
  if (!c) throw new Error(`bug: unvalidated route destination ${text}`);
  return cidrToString(c);
};
