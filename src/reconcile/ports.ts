import type { AttachmentSpec, ManifestSet, PublishSpec } from '../model/manifest.js';
import type { Listener } from '../observe/listeners.js';
import { canonicalIp, familyOf, isLoopback } from '../util/cidr.js';

export interface Published extends PublishSpec {
  readonly attachment: string;
}

const keyOf = (p: Published): string => `${p.attachment} ${p.protocol} ${canonicalIp(p.hostIP)} ${p.hostPort}`;

const publishes = (attachments: Iterable<AttachmentSpec>): Published[] =>
  [...attachments].flatMap((a) => a.publish.map((p) => ({ ...p, attachment: a.name })));

/**
 * Published ports this apply adds: not published by the same attachment in
 * the last apply (`previous`). A port netrecon already publishes has no
 * socket of its own, so whatever listens on it later is not checked again.
 */
export function newPublishes(manifests: Pick<ManifestSet, 'attachments'>, previous: Pick<ManifestSet, 'attachments'> | undefined): Published[] {
  const before = new Set(publishes(previous?.attachments.values() ?? []).map(keyOf));
  return publishes(manifests.attachments.values()).filter((p) => !before.has(keyOf(p)));
}

const isWildcard = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';

/**
 * Would DNAT of `p` take traffic a host socket now receives? Same protocol
 * and port, addresses that overlap (either a wildcard, or equal); a
 * wildcard IPv6 listener also takes IPv4 (unless it is v6-only, which
 * /proc does not say). IPv4 loopback is published too (the host's own
 * connections to 127.0.0.1); ::1 never is, so its listeners keep their traffic.
 */
function takes(p: Published, l: Listener): boolean {
  if (p.protocol !== l.protocol || p.hostPort !== l.port || (l.family === 6 && isLoopback(l.address))) return false;
  const family = familyOf(p.hostIP);
  if (l.family !== family) return l.family === 6 && l.address === '::';
  // A wildcard publish takes 127.0.0.1 too; a publish on one host address does not.
  return isWildcard(p.hostIP) || isWildcard(l.address) || canonicalIp(p.hostIP) === l.address;
}

const shown = (l: Listener): string => (l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`);

/**
 * Pure: the new published ports a host socket already listens on, as
 * conflicts. Docker refuses such a port too (its proxy cannot bind it);
 * netrecon has no proxy, so without this check the DNAT would silently take
 * the port's traffic from the host's own service (port 22: remote SSH).
 */
export function portsInUse(fresh: readonly Published[], listeners: readonly Listener[]): string[] {
  return fresh.flatMap((p) => {
    const busy = listeners.filter((l) => takes(p, l));
    if (busy.length === 0) return [];
    const flag = p.protocol === 'tcp' ? 't' : 'u';
    return [`attachment/${p.attachment}: host port ${p.protocol} ${p.hostIP}:${p.hostPort} is in use on this host (listening: ${busy.map(shown).join(', ')}); ` +
      `publishing it would take that traffic from it: stop that service or choose another hostPort (find it with: ss -${flag}lnp 'sport = :${p.hostPort}')`];
  });
}
