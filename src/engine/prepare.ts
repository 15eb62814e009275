import type { ManifestSet } from '../model/manifest.js';
import { ConflictError, EnvironmentError, ManifestError, NetreconError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { FIREWALL_KEY, type ObservedState, type Owner, type Resource } from '../model/resource.js';
import { allocateAddresses, emptyLeaseTable, leasesFromObserved, type LeaseTable } from '../ipam/index.js';
import { observeFiles, withFiles } from '../observe/files.js';
import { observeShared, withLocalnet } from './shared.js';
import { appliedWithout, emptyApplied, mergeApplied, readApplied, type AppliedSet } from './applied.js';
import { observeScope, scopeMissed } from './scope.js';
import { keptSandboxFiles, labelKept, takenFromKept, withKept } from './kept.js';
import { sharedResources } from '../reconcile/desired-shared.js';
import { firewallFromManifests } from '../firewall/index.js';
import { filesOfSet } from '../reconcile/desired-files.js';
import { applyTarget, deleteTarget } from '../reconcile/intent.js';
import { digestObserved, observeState, type Voucher } from '../observe/index.js';
import { findConflicts, findDeleteConflicts, keptHostNameClashes, useExistingVlans } from '../reconcile/conflicts.js';
import { desiredFromManifests } from '../reconcile/desired.js';
import { diffStates, type Change } from '../reconcile/diff.js';
import { namespacesInUse } from '../observe/holders.js';
import { hostListeners } from '../observe/listeners.js';
import { hostLoopbackNameservers } from '../observe/resolv.js';
import { newPublishes, portsInUse } from '../reconcile/ports.js';
import { keepDefaults } from '../reconcile/sticky.js';
import { macCollisions } from '../reconcile/macs.js';
import { planSteps } from '../reconcile/plan.js';
import { loadLeases, type StateDir } from '../state/index.js';
import type { EngineDeps } from './context.js';
import { deleteVoucher } from './vouch.js';

export type Intent =
  | { readonly kind: 'apply'; readonly prune: boolean }
  /**
   * Namespaces the host vouches for are taken from the record, not read with
   * `ip` (see engine/vouch.ts): when a glance inside confirms them (refresh),
   * or unseen (refresh false, --no-refresh).
   */
  | { readonly kind: 'delete'; readonly refresh: boolean };

/** Everything one reconcile decided, before anything changed. */
export interface Prepared {
  readonly plan: Plan;
  readonly desired: ReadonlyMap<string, Resource>;
  readonly observed: ObservedState;
  readonly leases: LeaseTable;
  readonly prune: (r: Resource) => boolean;
  /** What the lease file said, for the log: rebuilt from live state when missing or corrupt. */
  readonly leaseSource: 'file' | 'rebuilt';
  /** The manifests and addresses in force after this apply (recorded on success). */
  readonly applied: AppliedSet;
  /** The namespaces that were read (see scope.ts); undefined: all. Re-observations read the same. */
  readonly scope?: readonly string[];
}

/**
 * Everything netrecon owns: kernel links and namespaces, files, the firewall
 * table and forwarding sysctls; with `scope`, only those named namespaces
 * (and the host).
 */
export async function observe(deps: EngineDeps, state?: StateDir, scope?: readonly string[], vouch?: Voucher): Promise<ObservedState> {
  const [kernel, files, shared] = await Promise.all([
    observeState(deps.runner, { netnsDir: deps.netnsDir, concurrency: deps.concurrency, ...(scope === undefined ? {} : { only: scope }), ...(vouch ? { vouch } : {}) }),
    observeFiles(deps.etcNetnsDir),
    observeShared(deps.runner, state),
  ]);
  const bridges = { ...kernel, resources: await withLocalnet(kernel.resources) };
  const withAll = withFiles(bridges, { resources: [...files.resources, ...shared.resources], foreign: files.foreign });
  return { ...withAll, nftAvailable: shared.nftAvailable };
}

/** Read everything, then call the pure planner once. */
export async function prepare(deps: EngineDeps, state: StateDir | undefined, manifests: ManifestSet, intent: Intent, pending?: ReadonlySet<string>): Promise<Prepared> {
  const t0 = performance.now();
  const [onFile, recorded] = await Promise.all([leasesOnFile(state), readApplied(state)]);
  const voucher = intent.kind === 'delete' ? deleteVoucher(deps, recorded, intent.refresh) : undefined;
  const { observed, scope } = await observeFor(deps, state, observeScope(intent, manifests, recorded, onFile.status === 'ok'), manifests, voucher);
  deps.logger.debug({ ms: Math.round(performance.now() - t0), resources: observed.resources.size, namespaces: scope?.length ?? 'all', ...(observed.vouched ? { vouched: observed.vouched.length } : {}) }, 'observed');
  const { leases: prior, source } = leasesFrom(deps, onFile, observed, manifests);
  const previouslyApplied = recorded ?? emptyApplied();
  if (intent.kind === 'delete') {
    return { ...(await prepareDelete(deps, observed, manifests, prior, appliedWithout(previouslyApplied, manifests), recorded !== undefined)), ...(scope ? { scope } : {}) };
  }
  const { desired, leases, assignments, declared } = desiredWithAddresses(observed, manifests, prior, intent.prune ? undefined : previouslyApplied);
  const conflicts = [...findConflicts(desired, observed), ...keptHostNameClashes(desired, observed, intent.prune)]
    .filter((c) => !pending?.has(c.slice(0, c.indexOf(' '))));
  const missing = conflicts.filter((c) => c.includes('does not exist on the host'));
  if (missing.length > 0) throw new NetreconError('missing-prerequisite', `needed on the host but missing; nothing was changed:\n  ${missing.join('\n  ')}`);
  if (conflicts.length > 0) throw new ConflictError(conflicts);
  await refusePortsInUse(manifests, recorded?.manifests);
  warnLoopbackPublishes(deps, manifests);
  requireNft(desired, observed);
  const { prune } = applyTarget(desired, intent.prune);
  const plan = await planFor(deps, diffStates(desired, observed.resources, { prune }), observed);
  if (plan.steps.length > 0) await warnLoopbackResolver(deps, declared);
  const thisApply: AppliedSet = { manifests: declared, assignments };
  const applied = intent.prune ? { ...thisApply, ...(recorded?.digests ? { digests: recorded.digests } : {}) } : mergeApplied(previouslyApplied, thisApply);
  return { plan, desired, observed, leases, prune, leaseSource: source, applied, ...(scope ? { scope } : {}) };
}

/** Read the scope; everything when the scope missed something the manifests own. */
async function observeFor(deps: EngineDeps, state: StateDir | undefined, scope: string[] | undefined, manifests: ManifestSet, vouch?: Voucher): Promise<{ observed: ObservedState; scope?: string[] }> {
  if (scope === undefined) return { observed: await observe(deps, state) };
  const observed = await observe(deps, state, scope, vouch);
  if (!scopeMissed(observed, manifests)) return { observed, scope };
  deps.logger.debug({ unpaired: observed.unpaired }, 'a veth of these manifests ends outside the namespaces read: reading all');
  return { observed: await observe(deps, state) };
}

/**
 * hostIP ::1 is valid but publishes nothing: IPv6 has no route_localnet, so
 * a packet from ::1 cannot be sent on to a sandbox. Said, not refused.
 * (127.0.0.1 works, as with Docker: see firewall/chains.ts.)
 */
function warnLoopbackPublishes(deps: EngineDeps, manifests: ManifestSet): void {
  const loopback = [...manifests.attachments.values()].flatMap((a) => a.publish.filter((p) => p.hostIP === '::1').map((p) => `attachment/${a.name} [${p.hostIP}]:${p.hostPort}/${p.protocol}`));
  if (loopback.length > 0) {
    deps.logger.warn({ publishes: loopback }, 'hostIP ::1 publishes nothing (IPv6 loopback cannot be forwarded): use 127.0.0.1, a host address, or the sandbox\'s own address');
  }
}

/**
 * A sandbox without spec.dns sees the host's /etc/resolv.conf (`ip netns
 * exec` binds only the files netrecon writes). When that names a loopback
 * resolver (systemd-resolved's 127.0.0.53), the sandbox cannot reach it:
 * said, so the user sets spec.dns (Docker rewrites such a file itself).
 */
async function warnLoopbackResolver(deps: EngineDeps, manifests: ManifestSet): Promise<void> {
  const attached = new Set([...manifests.attachments.values()].map((a) => a.sandbox));
  const blind = [...manifests.sandboxes.values()].filter((s) => s.mode === 'private' && s.dns === undefined && attached.has(s.name)).map((s) => s.name);
  if (blind.length === 0) return;
  const loopback = await hostLoopbackNameservers();
  if (loopback.length === 0) return;
  deps.logger.warn({ nameservers: loopback, sandboxes: blind.slice(0, 5), more: Math.max(0, blind.length - 5) },
    'the host\'s /etc/resolv.conf names only-local resolvers, which sandboxes without spec.dns inherit and cannot reach: set spec.dns.nameservers');
}

/** New published ports that a host socket listens on are a conflict (see portsInUse). */
async function refusePortsInUse(manifests: ManifestSet, previous: AppliedSet['manifests'] | undefined): Promise<void> {
  const fresh = newPublishes(manifests, previous);
  if (fresh.length === 0) return;
  const busy = portsInUse(fresh, await hostListeners());
  if (busy.length > 0) throw new ConflictError(busy, 'refusing to publish ports in use');
}

/**
 * The steps of `changes`, refused when they would delete what is not
 * netrecon's. Namespaces it deletes that a process is still in get their
 * links removed first (see planSteps), said in the log.
 */
async function planFor(deps: EngineDeps, changes: readonly Change[], observed: ObservedState): Promise<Plan> {
  const deleted = changes.flatMap((c) => (c.action === 'delete' && c.observed.type === 'netns' ? [c.observed.ns] : []));
  const inUse = deleted.length === 0 ? new Map<string, number[]>() : await namespacesInUse(deps.netnsDir, deleted);
  if (inUse.size > 0) {
    deps.logger.warn({ namespaces: Object.fromEntries(inUse) }, 'processes still run in namespaces this plan deletes: their links are removed first, and the processes keep running without them');
  }
  return checkedPlan(planSteps(changes, digestObserved(observed), { inUse: new Set(inUse.keys()), observed: observed.resources }), observed);
}

function checkedPlan(plan: Plan, observed: ObservedState): Plan {
  const conflicts = findDeleteConflicts(plan.steps, observed);
  if (conflicts.length > 0) throw new ConflictError(conflicts, 'refusing to delete');
  return plan;
}

function requireNft(desired: ReadonlyMap<string, Resource>, observed: ObservedState): void {
  if (observed.nftAvailable === false && desired.has(FIREWALL_KEY)) {
    throw new EnvironmentError('tool-missing', '`nft` not found: bridge networks need nftables for NAT, published ports and isolation; install it (apt-get install nftables)');
  }
}

/**
 * IPAM, then the pure projection of the manifests onto kernel resources.
 * With `kept` (apply --no-prune: what earlier applies made stays), IPAM and
 * what objects share see the kept objects too: their leases stay taken, their
 * published ports and hosts entries stay; their own resources are not touched.
 * `declared`: the manifests with the interfaces and default routes the
 * kernel already gives their attachments (what an apply records).
 */
export function desiredWithAddresses(observed: ObservedState, given: ManifestSet, prior: LeaseTable, kept?: AppliedSet) {
  // Interfaces and default routes given by default stay as the kernel has them (see sticky.ts).
  const manifests = keepDefaults(given, observed.resources);
  const remaining = kept === undefined ? manifests : withKept(manifests, kept);
  const allocation = allocateAddresses({ manifests: remaining, leases: prior });
  const problems = [
    ...(kept === undefined ? allocation.diagnostics
      : [...labelKept(manifests, allocation.diagnostics), ...takenFromKept(manifests, remaining, allocation.assignments)]),
    ...macCollisions(remaining, allocation.assignments),
  ];
  if (problems.length > 0) throw new ManifestError(problems);
  const assignments = kept === undefined ? allocation.assignments
    : new Map([...allocation.assignments].filter(([name]) => manifests.attachments.has(name)));
  const resources = new Map(desiredFromManifests({ manifests, assignments, remaining: { manifests: remaining, assignments: allocation.assignments } }).resources);
  if (kept !== undefined) for (const f of keptSandboxFiles(manifests, remaining, allocation.assignments, observed)) if (!resources.has(f.key)) resources.set(f.key, f);
  return { desired: useExistingVlans(resources, observed), leases: allocation.leases, assignments, declared: manifests };
}

/**
 * Delete what the manifests own; what all networks share is recomputed from
 * the objects of the last apply that remain (no bridge left: no table).
 */
async function prepareDelete(deps: EngineDeps, observed: ObservedState, manifests: ManifestSet, leases: LeaseTable, remaining: AppliedSet, recorded: boolean): Promise<Prepared> {
  const orphans = [...remaining.manifests.sandboxes.values()].filter((s) => s.shareWith !== undefined && manifests.sandboxes.has(s.shareWith));
  const stranded = stillAttached(manifests, remaining);
  if (orphans.length + stranded.length > 0) {
    throw new ConflictError([
      ...orphans.map((s) => `sandbox/${s.name} (container:${s.shareWith}) still shares ${s.shareWith}'s namespace: delete it too, or first`),
      ...stranded,
    ], 'refusing to delete');
  }
  const fw = firewallFromManifests(remaining.manifests as ManifestSet, remaining.assignments);
  const shared = sharedResources(remaining.manifests, remaining.assignments, fw);
  // Without a record of the last apply, what remains is unknown: its files are left as they are.
  const refresh = recorded
    ? { files: filesOfSet(remaining.manifests, remaining.assignments), owners: ownersOf(remaining.manifests), localnet: new Set(fw?.localnet ?? []) } : undefined;
  const { desired, prune } = deleteTarget(observed.resources, ownersOf(manifests), shared, refresh);
  const plan = await planFor(deps, diffStates(desired, observed.resources, { prune }), observed);
  return { plan, desired, observed, leases, prune, leaseSource: 'file', applied: remaining };
}

/** Networks to delete that attachments staying behind still use (their veths would lose the bridge). */
function stillAttached(manifests: ManifestSet, remaining: AppliedSet): string[] {
  const users = new Map<string, string[]>();
  for (const a of remaining.manifests.attachments.values()) {
    if (manifests.networks.has(a.network)) users.set(a.network, [...(users.get(a.network) ?? []), a.name]);
  }
  return [...users].sort(([x], [y]) => (x < y ? -1 : 1)).map(([network, names]) => {
    const shown = names.sort().slice(0, 3).map((n) => `attachment/${n}`).join(', ');
    const more = names.length > 3 ? ` and ${names.length - 3} more` : '';
    return `network/${network} is still used by ${shown}${more}, which this delete keeps: delete them too, or first`;
  });
}

export function ownersOf(m: Pick<ManifestSet, 'networks' | 'sandboxes' | 'attachments'>): Set<Owner> {
  const out = new Set<Owner>();
  for (const n of m.networks.keys()) out.add(`network/${n}`);
  for (const s of m.sandboxes.keys()) out.add(`sandbox/${s}`);
  for (const a of m.attachments.keys()) out.add(`attachment/${a}`);
  return out;
}

export async function priorLeases(deps: EngineDeps, state: StateDir | undefined, observed: ObservedState, manifests: ManifestSet) {
  return leasesFrom(deps, await leasesOnFile(state), observed, manifests);
}

const leasesOnFile = (state: StateDir | undefined): ReturnType<typeof loadLeases> => (state ? loadLeases(state) : Promise.resolve({ status: 'missing' }));

/** The lease file's table, or one rebuilt from live state (all of it: only a full observation may rebuild). */
function leasesFrom(deps: EngineDeps, loaded: Awaited<ReturnType<typeof loadLeases>>, observed: ObservedState, manifests: ManifestSet) {
  if (loaded.status === 'ok') return { leases: loaded.value, source: 'file' as const };
  if (loaded.status === 'corrupt') deps.logger.warn({ reason: loaded.reason }, 'lease file is corrupt; rebuilding leases from live state');
  const rebuilt = leasesFromObserved(observed, manifests);
  return { leases: Object.keys(rebuilt.networks).length > 0 ? rebuilt : emptyLeaseTable(), source: 'rebuilt' as const };
}
