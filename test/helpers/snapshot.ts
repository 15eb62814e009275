import { existsSync } from 'node:fs';

/**
 * Kernel state of a sandbox as a user would compare it: `ip -j` and
 * `nft -j` output for the sandbox's root namespace and every named netns.
 *
 * `collectSnapshot` drops only what changes while the state does not
 * (counters and ticking timers), so two snapshots of an unchanged sandbox are
 * deepEqual. `normalise` (normalise.ts) goes further for comparisons by name.
 */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export interface NamespaceSnapshot {
  /** `ip -j -d link show` */
  readonly links: JsonObject[];
  /** `ip -j addr show` */
  readonly addresses: JsonObject[];
  /** `ip -j route show` (main table) */
  readonly routes4: JsonObject[];
  /** `ip -j -6 route show` (main table) */
  readonly routes6: JsonObject[];
  /** `nft -j list ruleset` without the metainfo entry; null when nft is not installed. */
  readonly nftables: JsonObject[] | null;
}

export interface Snapshot {
  /** Keyed by netns name; the sandbox's own root namespace is ROOT_NS. */
  readonly namespaces: Record<string, NamespaceSnapshot>;
}

/** Key of the sandbox root namespace (a netns name cannot contain spaces in practice; ip rejects '/'). */
export const ROOT_NS = '(sandbox root)';

export const NFT_PATH = '/usr/sbin/nft';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}
export type RunInSandbox = (argv: string[]) => Promise<CommandResult>;

/** Bridge / bridge-port timers in `ip -d` output: they tick every read. */
const TICKING_TIMERS = [
  'hello_timer', 'tcn_timer', 'topology_change_timer', 'gc_timer',
  'hold_timer', 'message_age_timer', 'forward_delay_timer',
];
const FOREVER = 4294967295;

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deleteKeys(value: Json | undefined, keys: readonly string[]): void {
  if (!isObject(value)) return;
  for (const key of keys) delete value[key];
}

async function runJson(run: RunInSandbox, argv: string[]): Promise<Json> {
  const result = await run(argv);
  if (result.exitCode !== 0) {
    throw new Error(`snapshot: \`${argv.join(' ')}\` exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  const text = result.stdout.trim();
  if (text === '') return [];
  try {
    return JSON.parse(text) as Json;
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`snapshot: \`${argv.join(' ')}\` printed invalid JSON: ${reason}`);
  }
}

function objects(value: Json, what: string): JsonObject[] {
  if (!Array.isArray(value) || !value.every(isObject)) throw new Error(`snapshot: ${what} is not a JSON array of objects`);
  return value as JsonObject[];
}

export async function listNetns(run: RunInSandbox): Promise<string[]> {
  const list = objects(await runJson(run, ['ip', '-j', 'netns', 'list']), 'ip netns list');
  return list.map((entry) => String(entry['name'])).sort();
}

function stripLink(link: JsonObject): JsonObject {
  deleteKeys(link, ['stats', 'stats64']);
  const info = link['linkinfo'];
  if (isObject(info)) {
    deleteKeys(info['info_data'], TICKING_TIMERS);
    deleteKeys(info['info_slave_data'], TICKING_TIMERS);
  }
  return link;
}

/** Lifetimes of non-permanent addresses count down: keep only "forever" vs "finite". */
function stripAddress(entry: JsonObject): JsonObject {
  const infos = entry['addr_info'];
  if (!Array.isArray(infos)) return entry;
  for (const info of infos.filter(isObject)) {
    for (const key of ['valid_life_time', 'preferred_life_time']) {
      if (key in info && info[key] !== FOREVER) info[key] = 'finite';
    }
  }
  return entry;
}

function stripRoute(route: JsonObject): JsonObject {
  deleteKeys(route, ['expires']);
  return route;
}

/** Counter values, used quota and element expiry change with traffic and time. */
export function stripNft(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripNft);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'expires') continue;
    const stripped = stripNft(inner);
    if (key === 'counter') deleteKeys(stripped, ['packets', 'bytes']);
    if (key === 'quota') deleteKeys(stripped, ['used', 'used_unit']);
    out[key] = stripped;
  }
  return out;
}

async function nftRuleset(run: RunInSandbox, ns: string): Promise<JsonObject[] | null> {
  if (!existsSync(NFT_PATH)) return null;
  const prefix = ns === ROOT_NS ? [] : ['ip', 'netns', 'exec', ns];
  const doc = await runJson(run, [...prefix, NFT_PATH, '-j', 'list', 'ruleset']);
  const entries = isObject(doc) ? doc['nftables'] : undefined;
  const list = objects(entries ?? [], 'nft -j list ruleset .nftables');
  return list.filter((entry) => !('metainfo' in entry)).map((entry) => stripNft(entry) as JsonObject);
}

export async function snapshotNamespace(run: RunInSandbox, ns: string): Promise<NamespaceSnapshot> {
  const ip = (...args: string[]): Promise<Json> =>
    runJson(run, ns === ROOT_NS ? ['ip', '-j', ...args] : ['ip', '-n', ns, '-j', ...args]);
  const [links, addresses, routes4, routes6, nftables] = await Promise.all([
    ip('-d', 'link', 'show'), ip('addr', 'show'), ip('route', 'show'), ip('-6', 'route', 'show'),
    nftRuleset(run, ns),
  ]);
  return {
    links: objects(links, 'ip link').map(stripLink),
    addresses: objects(addresses, 'ip addr').map(stripAddress),
    routes4: objects(routes4, 'ip route').map(stripRoute),
    routes6: objects(routes6, 'ip -6 route').map(stripRoute),
    nftables,
  };
}

export async function collectSnapshot(run: RunInSandbox): Promise<Snapshot> {
  const names = [ROOT_NS, ...(await listNetns(run))];
  const parts = await Promise.all(names.map((ns) => snapshotNamespace(run, ns)));
  return { namespaces: Object.fromEntries(names.map((ns, i) => [ns, parts[i] as NamespaceSnapshot])) };
}
