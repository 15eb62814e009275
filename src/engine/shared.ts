import { readFile } from 'node:fs/promises';
import { EnvironmentError } from '../model/errors.js';
import { FIREWALL_KEY, HOST_NS, SHARED_OWNER, routeLocalnet, sysctlKey, sysctlPath, type FirewallResource, type Resource, type SysctlResource } from '../model/resource.js';
import type { Step } from '../model/plan.js';
import { NFT_LIST_ARGS, firewallFromNftJson } from '../firewall/index.js';
import { FORWARDING } from '../reconcile/desired-shared.js';
import type { StateDir } from '../state/index.js';
import type { Runner } from '../util/runner.js';

/** Values of sysctls before netrecon changed them, so delete can put them back. */
export const SYSCTL_FILE = 'sysctl.json';

interface SysctlRecords {
  readonly version: 1;
  readonly previous: Readonly<Record<string, string>>;
}

const isSysctlRecords = (x: unknown): x is SysctlRecords =>
  typeof x === 'object' && x !== null && (x as { version?: unknown }).version === 1 && typeof (x as { previous?: unknown }).previous === 'object';

export async function loadSysctlRecords(state: StateDir | undefined): Promise<Record<string, string>> {
  if (!state) return {};
  const r = await state.readJson(SYSCTL_FILE, isSysctlRecords);
  return r.status === 'ok' ? { ...r.value.previous } : {};
}

/** The table inet netrecon as nft -j lists it; nothing (and nftAvailable false) when nft is not installed. */
async function observeFirewall(runner: Runner): Promise<{ resource?: FirewallResource; nftAvailable: boolean }> {
  let r;
  try {
    r = await runner.run('nft', NFT_LIST_ARGS);
  } catch (e: unknown) {
    if (e instanceof EnvironmentError) return { nftAvailable: false };
    throw e;
  }
  if (r.exitCode !== 0) throw new EnvironmentError('nft', `nft ${NFT_LIST_ARGS.join(' ')} failed: ${r.stderr.trim()}`);
  const fw = firewallFromNftJson(JSON.parse(r.stdout) as unknown);
  if (!fw) return { nftAvailable: true };
  return { nftAvailable: true, resource: { type: 'firewall', key: FIREWALL_KEY, ns: HOST_NS, owner: SHARED_OWNER,
    digest: fw.digest ?? '', chains: fw.chains, rules: fw.rules, restore: fw.restore } };
}

async function observeSysctls(previous: Record<string, string>): Promise<SysctlResource[]> {
  return Promise.all(Object.values(FORWARDING).map(async (name) => {
    const value = (await readFile(`/proc/sys/${sysctlPath(name)}`, 'utf8')).trim();
    return { type: 'sysctl', key: sysctlKey(name), ns: HOST_NS, owner: SHARED_OWNER, name, value, previous: previous[name] } as const;
  }));
}

/**
 * The kernel's resources with route_localnet read into netrecon's bridges
 * (/proc/sys/net/ipv4/conf/<bridge>/route_localnet; see BridgeResource).
 * Read after the kernel, which names the bridges.
 */
export async function withLocalnet(resources: ReadonlyMap<string, Resource>): Promise<Map<string, Resource>> {
  const out = new Map(resources);
  await Promise.all([...resources.values()].map(async (r) => {
    if (r.type !== 'bridge') return;
    const value = (await readFile(`/proc/sys/${sysctlPath(routeLocalnet(r.name))}`, 'utf8').catch(() => '')).trim();
    out.set(r.key, { ...r, routeLocalnet: value === '1' });
  }));
  return out;
}

export async function observeShared(runner: Runner, state: StateDir | undefined): Promise<{ resources: Resource[]; nftAvailable: boolean }> {
  const [fw, sysctls] = await Promise.all([observeFirewall(runner), loadSysctlRecords(state).then(observeSysctls)]);
  return { resources: [...(fw.resource ? [fw.resource] : []), ...sysctls], nftAvailable: fw.nftAvailable };
}

/** After a successful apply: remember the value a sysctl had before netrecon first set it; forget it once restored. */
export async function recordSysctls(state: StateDir, steps: readonly Step[], observed: ReadonlyMap<string, Resource>): Promise<void> {
  const records = await loadSysctlRecords(state);
  let changed = false;
  for (const step of steps) {
    const before = observed.get(step.address);
    if (before?.type !== 'sysctl') continue;
    if (step.action === 'delete') delete records[before.name];
    else if (records[before.name] === undefined) records[before.name] = before.value;
    changed = true;
  }
  if (changed) await state.writeJson(SYSCTL_FILE, { version: 1, previous: records });
}
