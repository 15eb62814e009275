/**
 * Edge: live kernel → ObservedState (owned resources + names of foreign
 * objects). Observing N named namespaces spawns N+1 processes (one per
 * namespace, one for the host), plus `ip -V` once if an error must name it.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { HOST_NS, type ObservedState, type Resource } from '../model/resource.js';
import { mapLimit, type Runner } from '../util/runner.js';
import type { NamespaceSnapshot } from './ipjson.js';
import { DEFAULT_NETNS_DIR, readNamespace } from './read.js';
import { observedFromSnapshots } from './resources.js';
import { readNamespacesChunked } from './chunked.js';

export { readNamespace, iprouteVersion, readArgv, DEFAULT_NETNS_DIR, type ReadOptions } from './read.js';
export { BATCH_COMMANDS, snapshotFromBatch, type NamespaceSnapshot, type JsonObject } from './ipjson.js';
export { observedFromSnapshots, namespaceToResources, hostToResources, type AssembleOptions } from './resources.js';

/** From this many namespaces on, a few xargs processes read them (see chunked.ts): fewer forks of netrecon itself. */
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
}

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
  const [host, ...rest] = names.length >= CHUNKED_FROM
    ? await Promise.all([readNamespace(runner, HOST_NS, { netnsDir }), readNamespacesChunked(runner, names, { netnsDir, chunks: concurrency })])
        .then(([h, r]) => [h, ...r])
    : await mapLimit([HOST_NS, ...names], concurrency, (ns) => readNamespace(runner, ns, { netnsDir }));
  if (host === undefined) throw new Error('the host namespace cannot vanish');
  const namespaces = rest.filter((s): s is NamespaceSnapshot => s !== undefined);
  return observedFromSnapshots(host, namespaces, { partial: only !== undefined });
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (hex) of the owned resources sorted by key, as canonical JSON; a saved plan records it. */
export function digestObserved(state: ObservedState): string {
  const resources: Resource[] = [...state.resources.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return createHash('sha256').update(canonicalJson(resources)).digest('hex');
}
