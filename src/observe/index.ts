/**
 * Edge: live kernel → ObservedState (owned resources + names of foreign
 * objects). Observing N named namespaces spawns N+1 processes (one per
 * namespace, one for the host), plus `ip -V` once if an error must name it.
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { HOST_NS, type ObservedState, type Resource } from '../model/resource.js';
import { mapLimit, type Runner } from '../util/runner.js';
import type { NamespaceSnapshot } from './ipjson.js';
import { DEFAULT_NETNS_DIR, readNamespace } from './read.js';
import { observedFromSnapshots } from './resources.js';
import { readNamespacesChunked } from './chunked.js';
import { listNsids } from './nsids.js';
import { byCodeUnit } from '../util/order.js';
import { linksFromIpJson, type IpLink } from './parse.js';
import type { Vouched } from './vouch.js';

export { readNamespace, iprouteVersion, readArgv, DEFAULT_NETNS_DIR, type ReadOptions } from './read.js';
export { BATCH_COMMANDS, snapshotFromBatch, type NamespaceSnapshot, type JsonObject } from './ipjson.js';
export { vouchedNamespaces, confirmedByGlance, type Vouched } from './vouch.js';
export { canonicalJson, namespaceDigests, digestObserved } from './digest.js';
export { glanceNamespaces } from './glance.js';
export { observedFromSnapshots, namespaceToResources, hostToResources, type AssembleOptions } from './resources.js';

/** From this many namespaces on, a few processes read them (see chunked.ts): fewer forks of netrecon itself. */
export const CHUNKED_FROM = 16;

export interface ObserveOptions {
  /** Where named namespaces are mounted; default /run/netns. */
  readonly netnsDir?: string;
  /** Namespaces read at once; default 2 × available cores. */
  readonly concurrency?: number;
  /** Read only these named namespaces (the host is always read); the result is partial. */
  readonly only?: readonly string[];
  /** Lists the namespace names in netnsDir; default readdir (a missing dir is empty). */
  readonly listNetns?: (dir: string) => Promise<string[]>;
  /**
   * With `only`: which of those namespaces need not be read, and what they
   * hold (see vouch.ts), decided from the host's links and the ids the host
   * gives the namespaces under /run/netns.
   */
  readonly vouch?: Voucher;
}

export type Voucher = (hostLinks: readonly IpLink[], nsids: ReadonlyMap<string, number>, names: readonly string[]) => Promise<Vouched>;

/** Names of the mounted namespaces; none when the directory does not exist. */
export async function listNetnsDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e: unknown) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return [];
    throw e;
  }
}

export async function observeState(runner: Runner, options: ObserveOptions = {}): Promise<ObservedState> {
  const netnsDir = options.netnsDir ?? DEFAULT_NETNS_DIR;
  const listed = [...(await (options.listNetns ?? listNetnsDir)(netnsDir))].sort();
  const only = options.only === undefined ? undefined : new Set(options.only);
  const names = only === undefined ? listed : listed.filter((ns) => only.has(ns));
  const concurrency = Math.max(1, options.concurrency ?? 2 * availableParallelism());
  if (options.vouch !== undefined && only !== undefined && names.length > 0) return observeVouched(runner, names, options.vouch, { netnsDir, concurrency });
  const [host, ...rest] = names.length >= CHUNKED_FROM
    ? await Promise.all([readNamespace(runner, HOST_NS, { netnsDir }), readNamespacesChunked(runner, names, { netnsDir, chunks: concurrency })])
        .then(([h, r]) => [h, ...r])
    : await mapLimit([HOST_NS, ...names], concurrency, (ns) => readNamespace(runner, ns, { netnsDir }));
  if (host === undefined) throw new Error('the host namespace cannot vanish');
  const namespaces = rest.filter((s): s is NamespaceSnapshot => s !== undefined);
  return observedFromSnapshots(host, namespaces, { partial: only !== undefined });
}

/** Read `names` (not the host); undefined for one that vanished. */
function readMany(runner: Runner, names: readonly string[], options: { netnsDir: string; concurrency: number }): Promise<(NamespaceSnapshot | undefined)[]> {
  return names.length >= CHUNKED_FROM
    ? readNamespacesChunked(runner, names, { netnsDir: options.netnsDir, chunks: options.concurrency })
    : mapLimit(names, options.concurrency, (ns) => readNamespace(runner, ns, { netnsDir: options.netnsDir }));
}

/**
 * The host and the namespace ids first; then only the namespaces the host
 * does not vouch for (see vouch.ts). The result is partial, like any
 * scoped read, with the vouched namespaces' resources added.
 */
async function observeVouched(runner: Runner, names: readonly string[], vouch: Voucher, options: { netnsDir: string; concurrency: number }): Promise<ObservedState> {
  const [host, nsids] = await Promise.all([readNamespace(runner, HOST_NS, { netnsDir: options.netnsDir }), listNsids(runner)]);
  if (host === undefined) throw new Error('the host namespace cannot vanish');
  const vouched = await vouch(linksFromIpJson(host.links), nsids, names);
  const read = await readMany(runner, names.filter((ns) => !vouched.namespaces.has(ns)), options);
  const observed = observedFromSnapshots(host, read.filter((s): s is NamespaceSnapshot => s !== undefined), { partial: true });
  const resources = new Map([...observed.resources, ...vouched.resources.map((r): [string, Resource] => [r.key, r])].sort(([a], [b]) => byCodeUnit(a, b)));
  const covered = new Set(vouched.resources.map((r) => r.owner));
  return { ...observed, resources, unpaired: (observed.unpaired ?? []).filter((owner) => !covered.has(owner)), vouched: [...vouched.namespaces].sort() };
}
