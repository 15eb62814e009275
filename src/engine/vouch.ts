/**
 * The voucher `delete` observes with (see observe/vouch.ts): what the
 * record of the last apply puts in the namespaces to read. Namespaces a
 * process runs in are read (their links are removed before the namespace,
 * so they must be seen as they are), and so is everything when namespaces
 * live outside /run/netns, the only directory `ip netns list` knows.
 */
import { DEFAULT_NETNS_DIR, namespaceDigests, vouchedNamespaces, type Voucher, type Vouched } from '../observe/index.js';
import { namespacesInUse } from '../observe/holders.js';
import { sandboxNetns } from '../reconcile/desired-files.js';
import { sandboxKernelResources } from '../reconcile/desired.js';
import type { AppliedSet } from './applied.js';
import type { EngineDeps } from './context.js';

export function deleteVoucher(deps: EngineDeps, recorded: AppliedSet | undefined): Voucher | undefined {
  if (recorded === undefined) {
    deps.logger.warn('--no-refresh: there is no record of the last apply to trust; every namespace is read');
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
    return matchingDigests(vouchedNamespaces(hostLinks, nsids, sandboxKernelResources(recorded.manifests, sandboxes, recorded.assignments)), recorded.digests);
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
