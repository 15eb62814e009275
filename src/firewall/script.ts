import { createHash } from 'node:crypto';
import type { Assignment } from '../ipam/allocate.js';
import type { ManifestSet } from '../model/manifest.js';
import { chainRules, localnetBridges } from './chains.js';
import { DIGEST_PREFIX, TABLE_FAMILY, TABLE_NAME } from './names.js';
import { bridgeNetworks, type ChainRules, portForwards } from './rules.js';

/** What the table inet netrecon should be. */
export interface DesiredFirewall {
  /** One `nft -f -` transaction: creates the table if missing, deletes it, recreates it with these rules. */
  readonly script: string;
  /** 16 hex of sha256 over the rules; stored as the comment "netrecon:<digest>" of the last rule of chain forward. */
  readonly digest: string;
  readonly chains: number;
  readonly rules: number;
  /** Whether net.ipv4.ip_forward / net.ipv6.conf.all.forwarding must be 1. */
  readonly forwarding: { readonly ipv4: boolean; readonly ipv6: boolean };
  /** Bridges that need net.ipv4.conf.BR.route_localnet=1 (IPv4 ports published to them are reached from localhost). */
  readonly localnet: readonly string[];
}

const TABLE = `${TABLE_FAMILY} ${TABLE_NAME}`;

/** Base chains in creation (and listing) order, with their hooks; `publish` is a regular chain. */
const CHAINS: readonly { readonly name: keyof ChainRules; readonly header?: string }[] = [
  { name: 'prerouting', header: 'type nat hook prerouting priority dstnat; policy accept;' },
  { name: 'output', header: 'type nat hook output priority -100; policy accept;' },
  { name: 'publish' },
  { name: 'postrouting', header: 'type nat hook postrouting priority srcnat; policy accept;' },
  { name: 'forward', header: 'type filter hook forward priority filter; policy accept;' },
];

/** Return traffic of every flow that was let through; the last rule of forward, carrying the digest. */
const ESTABLISHED = 'ct state established,related accept';

/** Creating before deleting makes the transaction valid whether or not the table exists. */
export const deleteTableScript = (): string => `table ${TABLE} {}\ndelete table ${TABLE}\n`;

function renderChains(rules: ChainRules, digest: string | undefined): string {
  const tail = digest === undefined ? ESTABLISHED : `${ESTABLISHED} comment "${DIGEST_PREFIX}${digest}"`;
  return CHAINS.map(({ name, header }) => {
    const lines = [...(header === undefined ? [] : [header]), ...rules[name], ...(name === 'forward' ? [tail] : [])];
    return `\tchain ${name} {\n${lines.map((l) => `\t\t${l}\n`).join('')}\t}\n`;
  }).join('\n');
}

const sha16 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The firewall the manifests ask for, or undefined when there is no bridge
 * network (then netrecon keeps no table at all). Pure and deterministic:
 * the order of the input maps does not matter.
 */
export function firewallFromManifests(manifests: ManifestSet, assignments: ReadonlyMap<string, Assignment>): DesiredFirewall | undefined {
  const nets = bridgeNetworks(manifests);
  if (nets.length === 0) return undefined;
  const forwards = portForwards(manifests, assignments, nets);
  const rules = chainRules(nets, forwards);
  const digest = sha16(renderChains(rules, undefined));
  const script = `${deleteTableScript()}table ${TABLE} {\n${renderChains(rules, digest)}}\n`;
  const open = nets.filter((n) => !n.internal);
  return {
    script,
    digest,
    chains: CHAINS.length,
    rules: CHAINS.reduce((sum, { name }) => sum + rules[name].length, 1),
    forwarding: { ipv4: open.length > 0, ipv6: open.some((n) => n.subnet6 !== undefined) },
    localnet: localnetBridges(forwards),
  };
}
