import { firewallFromManifests } from '../firewall/index.js';
import type { ManifestSet } from '../model/manifest.js';
import { FIREWALL_KEY, HOST_NS, SHARED_OWNER, sysctlKey, type Resource } from '../model/resource.js';
import type { Assignment } from './desired.js';

export const FORWARDING = { ipv4: 'net.ipv4.ip_forward', ipv6: 'net.ipv6.conf.all.forwarding' } as const;

/**
 * What all bridge networks share: the nftables table (masquerade, published
 * ports, isolation, internal networks) and IP forwarding when a non-internal
 * network needs it. No bridge network: no table, forwarding left alone.
 */
export function sharedResources(m: Pick<ManifestSet, 'networks' | 'attachments' | 'sandboxes'>, assignments: ReadonlyMap<string, Assignment>,
  fw = firewallFromManifests(m as ManifestSet, assignments)): Resource[] {
  if (!fw) return [];
  const out: Resource[] = [{ type: 'firewall', key: FIREWALL_KEY, ns: HOST_NS, owner: SHARED_OWNER, digest: fw.digest, chains: fw.chains, rules: fw.rules, script: fw.script }];
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (!fw.forwarding[family]) continue;
    const name = FORWARDING[family];
    out.push({ type: 'sysctl', key: sysctlKey(name), ns: HOST_NS, owner: SHARED_OWNER, name, value: '1' });
  }
  return out;
}

/** Shared resources netrecon may remove: the table always; a sysctl only if netrecon changed it (it knows the value before). */
export const isPrunableShared = (r: Resource): boolean => r.owner === SHARED_OWNER && (r.type !== 'sysctl' || r.previous !== undefined);

/** Replace the shared resources of a desired state with the given ones. */
export function withShared(desired: ReadonlyMap<string, Resource>, shared: readonly Resource[]): Map<string, Resource> {
  const out = new Map([...desired].filter(([, r]) => r.owner !== SHARED_OWNER));
  for (const r of shared) out.set(r.key, r);
  return out;
}
