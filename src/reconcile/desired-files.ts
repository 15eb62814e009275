import type { ManifestSet, SandboxSpec } from '../model/manifest.js';
import { fileKey, HOST_NS, linkKey, type FileResource, type Owner, type Resource, type VlanResource } from '../model/resource.js';
import type { Assignment } from './desired.js';

/** Marks a file as netrecon's; a file without it is never overwritten or removed. */
export const fileMarker = (owner: Owner): string => `# netrecon:${owner} (managed by netrecon; changes are overwritten)`;

export const ETC_NETNS = '/etc/netns';

/**
 * /etc/netns/<ns>/resolv.conf (when the sandbox declares dns) and hosts
 * (when it has attachments or hosts entries): `ip netns exec` and
 * `netrecon exec` bind them over /etc. The hosts file names every sandbox
 * sharing a network with this one, as Docker's user-defined networks resolve them.
 */
export function sandboxFiles(m: ManifestSet, s: SandboxSpec, ns: string, assignments: ReadonlyMap<string, Assignment>): FileResource[] {
  const owner: Owner = `sandbox/${s.name}`;
  const out: FileResource[] = [];
  const file = (name: string, lines: string[]): FileResource =>
    ({ type: 'file', key: fileKey(ns, name), ns, path: `${ETC_NETNS}/${ns}/${name}`, owner, content: `${[fileMarker(owner), ...lines].join('\n')}\n` });
  if (s.dns) {
    out.push(file('resolv.conf', [...s.dns.nameservers.map((n) => `nameserver ${n}`), ...(s.dns.search.length > 0 ? [`search ${s.dns.search.join(' ')}`] : [])]));
  }
  const peers = peerEntries(m, s, assignments);
  if (peers.length > 0 || Object.keys(s.hosts).length > 0) {
    const extra = Object.entries(s.hosts).sort(([a], [b]) => a.localeCompare(b)).map(([name, ip]) => `${ip}\t${name}`);
    out.push(file('hosts', ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...peers, ...extra]));
  }
  return out;
}

/** "<ip>\t<sandbox>" for this sandbox and every sandbox on a network it is attached to. */
function peerEntries(m: ManifestSet, s: SandboxSpec, assignments: ReadonlyMap<string, Assignment>): string[] {
  const attachments = [...m.attachments.values()];
  const networks = new Set(attachments.filter((a) => a.sandbox === s.name).map((a) => a.network));
  const lines = new Set<string>();
  for (const a of attachments.filter((x) => networks.has(x.network)).sort((x, y) => x.name.localeCompare(y.name))) {
    const as = assignments.get(a.name);
    if (!as) continue;
    lines.add(`${as.ipv4}\t${a.sandbox}`);
    if (as.ipv6) lines.add(`${as.ipv6}\t${a.sandbox}`);
  }
  return [...lines];
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
