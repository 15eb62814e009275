/**
 * The voucher `delete` observes with (see observe/vouch.ts): what the
 * record of the last apply puts in the namespaces to read. Namespaces a
 * process runs in are read (their links are removed before the namespace,
 * so they must be seen as they are), and so is everything when namespaces
 * live outside /run/netns, the only directory `ip netns list` knows.
 *
 * `glance` (a plain delete): the namespaces the host vouches for are also
 * looked into (observe/glance.ts) and taken from the record only when what
 * is inside is exactly what the record builds; every other one is read
 * with `ip`. So a plain delete still sees a link a user made inside, and
 * refuses, and a rollback brings back a namespace as it was; it just does
 * not pay a process per namespace to see that nothing changed.
 * --no-refresh does not look inside.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_NETNS_DIR, confirmedByGlance, glanceNamespaces, namespaceDigests, vouchedNamespaces, type Voucher, type Vouched } from '../observe/index.js';
import { namespacesInUse } from '../observe/holders.js';
import { sandboxNetns } from '../reconcile/desired-files.js';
import { sandboxKernelResources } from '../reconcile/desired.js';
import type { AppliedSet } from './applied.js';
import type { EngineDeps } from './context.js';

export function deleteVoucher(deps: EngineDeps, recorded: AppliedSet | undefined, glance: boolean): Voucher | undefined {
  if (recorded === undefined) {
    if (!glance) deps.logger.warn('--no-refresh: there is no record of the last apply to trust; every namespace is read');
    return undefined;
  }
  if (deps.netnsDir !== DEFAULT_NETNS_DIR) return undefined;
  return async (hostLinks, nsids, names) => {
    const candidates = names.filter((ns) => nsids.has(ns));
    const inUse = candidates.length === 0 ? new Map<string, number[]>() : await namespacesInUse(deps.netnsDir, candidates);
    const wanted = new Set(candidates.filter((ns) => !inUse.has(ns)));
    const sandboxes = new Set<string>();
    for (const s of recorded.manifests.sandboxes.values()) {
      const ns = sandboxNetns(s);
      if (ns !== undefined && wanted.has(ns)) sandboxes.add(s.name);
    }
    const vouched = matchingDigests(vouchedNamespaces(hostLinks, nsids, sandboxKernelResources(recorded.manifests, sandboxes, recorded.assignments)), recorded.digests);
    if (!glance || vouched.namespaces.size === 0) return vouched;
    const t0 = performance.now();
    const glanced = await glanceNamespaces(deps.runner, [...vouched.namespaces], { netnsDir: deps.netnsDir, chunks: deps.concurrency });
    const confirmed = confirmedByGlance(vouched, glanced, hostLinks, nsids);
    deps.logger.debug({ ms: Math.round(performance.now() - t0), candidates: vouched.namespaces.size, seen: glanced.size, confirmed: confirmed.namespaces.size }, 'glanced into the namespaces the host vouches for');
    return confirmed;
  };
}

/**
 * Only namespaces whose resources, as the record builds them, hash to what
 * was observed after the last apply: the record can differ from the kernel
 * with nothing changed by hand (an apply --no-prune that changed an address
 * leaves the old one, a verification that failed), and then the namespace is read.
 */
function matchingDigests(vouched: Vouched, digests: ReadonlyMap<string, string> | undefined): Vouched {
  const built = namespaceDigests(vouched.resources);
  const namespaces = new Set([...vouched.namespaces].filter((ns) => digests?.get(ns) === built.get(ns)));
  return { namespaces, resources: vouched.resources.filter((r) => namespaces.has(r.ns)) };
}
