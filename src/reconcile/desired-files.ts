import type { ManifestSet, SandboxSpec } from '../model/manifest.js';
import { fileKey, HOST_NS, linkKey, type FileResource, type Owner, type Resource, type VlanResource } from '../model/resource.js';
import type { Assignment } from './desired.js';

/** Marks a file as netrecon's; a file without it is never overwritten or removed. */
export const fileMarker = (owner: Owner): string => `# netrecon:${owner} (managed by netrecon; changes are overwritten)`;

export const ETC_NETNS = '/etc/netns';
/** One hosts file per network; sandboxes on one network link to it (ip netns exec's bind mount follows the link). */
export const SHARED_FILES_DIR = `${ETC_NETNS}/.netrecon`;

const LOCALHOST = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];

/** "<ip>\t<sandbox>" lines per network, and each sandbox's networks: computed once, O(attachments). */
export interface PeerIndex {
  readonly peers: ReadonlyMap<string, readonly string[]>;
  readonly networksOf: ReadonlyMap<string, readonly string[]>;
}

export function peerIndex(m: ManifestSet, assignments: ReadonlyMap<string, Assignment>): PeerIndex {
  const peers = new Map<string, string[]>();
  const networksOf = new Map<string, string[]>();
  for (const a of [...m.attachments.values()].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const as = assignments.get(a.name);
    if (!as) continue;
    const lines = peers.get(a.network) ?? [];
    lines.push(`${as.ipv4}\t${a.sandbox}`, ...(as.ipv6 ? [`${as.ipv6}\t${a.sandbox}`] : []));
    peers.set(a.network, lines);
    networksOf.set(a.sandbox, [...(networksOf.get(a.sandbox) ?? []), a.network].sort());
  }
  return { peers, networksOf };
}

const withMarker = (owner: Owner, lines: readonly string[]): string => `${[fileMarker(owner), ...lines].join('\n')}\n`;

/** /etc/netns/.netrecon/<network>.hosts: every sandbox on the network by name, as Docker's user-defined networks resolve them. */
export function networkHostsFiles(index: PeerIndex): FileResource[] {
  return [...index.peers].map(([network, lines]) => {
    const owner: Owner = `network/${network}`;
    return { type: 'file', key: fileKey(HOST_NS, `${network}.hosts`), ns: HOST_NS, path: `${SHARED_FILES_DIR}/${network}.hosts`, owner, content: withMarker(owner, [...LOCALHOST, ...lines]) };
  });
}

/**
 * /etc/netns/<ns>/resolv.conf (when the sandbox declares dns) and hosts:
 * a link to its network's hosts file, or its own file when it has extra
 * entries or several networks. `ip netns exec` and `netrecon exec` bind them over /etc.
 */
export function sandboxFiles(s: SandboxSpec, ns: string, index: PeerIndex): FileResource[] {
  const owner: Owner = `sandbox/${s.name}`;
  const at = (name: string): Pick<FileResource, 'type' | 'key' | 'ns' | 'path' | 'owner'> =>
    ({ type: 'file', key: fileKey(ns, name), ns, path: `${ETC_NETNS}/${ns}/${name}`, owner });
  const out: FileResource[] = [];
  if (s.dns) {
    const search = s.dns.search.length > 0 ? [`search ${s.dns.search.join(' ')}`] : [];
    out.push({ ...at('resolv.conf'), content: withMarker(owner, [...s.dns.nameservers.map((n) => `nameserver ${n}`), ...search]) });
  }
  const networks = index.networksOf.get(s.name) ?? [];
  const extra = Object.entries(s.hosts).sort(([a], [b]) => a.localeCompare(b)).map(([name, ip]) => `${ip}\t${name}`);
  if (networks.length === 1 && extra.length === 0) {
    out.push({ ...at('hosts'), content: '', target: `${SHARED_FILES_DIR}/${networks[0]}.hosts` });
  } else if (networks.length > 0 || extra.length > 0) {
    const peers = [...new Set(networks.flatMap((n) => index.peers.get(n) ?? []))];
    out.push({ ...at('hosts'), content: withMarker(owner, [...LOCALHOST, ...peers, ...extra]) });
  }
  return out;
}

/** The namespace a sandbox's interfaces live in, or undefined when it has none of its own. */
export const sandboxNetns = (s: SandboxSpec): string | undefined =>
  s.mode === 'private' || s.mode === 'none' ? (s.netns ?? s.name) : undefined;

/** The files of these sandboxes (those with a namespace of their own). */
export const filesOfSandboxes = (sandboxes: Iterable<SandboxSpec>, index: PeerIndex): FileResource[] =>
  [...sandboxes].flatMap((s) => {
    const ns = sandboxNetns(s);
    return ns === undefined ? [] : sandboxFiles(s, ns, index);
  });

/** The hosts and resolv.conf files an apply of `m` (with these addresses) writes. */
export function filesOfSet(m: Pick<ManifestSet, 'networks' | 'sandboxes' | 'attachments'>, assignments: ReadonlyMap<string, Assignment>): FileResource[] {
  const index = peerIndex(m as ManifestSet, assignments);
  return [...networkHostsFiles(index), ...filesOfSandboxes(m.sandboxes.values(), index)];
}

/** Parents written "IF.VID": 802.1Q subinterfaces netrecon creates when missing, owned by the first network using them. */
export function vlanParents(m: ManifestSet): Resource[] {
  const out = new Map<string, VlanResource>();
  for (const n of [...m.networks.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const parent = n.macvlan?.parent;
    const match = parent === undefined ? null : /^(.+)\.(\d{1,4})$/.exec(parent);
    if (!parent || !match || out.has(parent)) continue;
    out.set(parent, { type: 'vlan', key: linkKey(HOST_NS, parent), ns: HOST_NS, name: parent, owner: `network/${n.name}`,
      link: match[1] as string, vid: Number(match[2]), up: true });
  }
  return [...out.values()];
}
