/** Fixture cases for the firewall tests: test/fixtures/nft/cases/<case>/input.json -> ManifestSet + assignments. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DesiredFirewall, firewallFromManifests } from '../../src/firewall/index.js';
import type { Assignment } from '../../src/ipam/allocate.js';
import type { AttachmentSpec, BridgeOptions, ManifestSet, NetworkSpec, PublishSpec } from '../../src/model/manifest.js';
import { firstHost, parseCidr } from '../../src/util/cidr.js';

export const NFT_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/nft/', import.meta.url));
const CASES = join(NFT_FIXTURES, 'cases');
const SOURCE = { file: 'input.json', line: 1, col: 1 };

/** input.json: networks and attachments with only the fields that matter; the rest is filled as the manifest loader would. */
export interface CaseInput {
  readonly networks: readonly (Pick<NetworkSpec, 'name' | 'subnet'> & Partial<Pick<NetworkSpec, 'subnet6' | 'driver'>> & { bridge?: Partial<BridgeOptions> })[];
  readonly attachments: readonly { name: string; network: string; publish?: PublishSpec[] }[];
  readonly assignments: Readonly<Record<string, Assignment>>;
}

export interface FirewallCase {
  readonly name: string;
  readonly manifests: ManifestSet;
  readonly assignments: ReadonlyMap<string, Assignment>;
  /** expected.nft, absent when no table is expected. */
  readonly script: string | undefined;
  /** expected.json: digest, counts, forwarding; null when no table is expected. */
  readonly expected: unknown;
}

function network(n: CaseInput['networks'][number]): NetworkSpec {
  const driver = n.driver ?? 'bridge';
  const internal = n.bridge?.internal ?? false;
  const bridge = { name: `nr-${n.name}`.slice(0, 15), internal, masquerade: !internal, icc: true, ...n.bridge };
  const gateway = firstHost(parseCidr(n.subnet) ?? assertNever(n.subnet));
  const base = { name: n.name, labels: {}, driver, subnet: n.subnet, gateway, ipRange: n.subnet, source: SOURCE };
  return {
    ...base,
    ...(n.subnet6 === undefined ? {} : { subnet6: n.subnet6 }),
    ...(driver === 'bridge' ? { bridge } : { macvlan: { parent: 'eth0', mode: 'bridge' as const } }),
  };
}

function assertNever(text: string): never {
  throw new Error(`fixture: bad CIDR ${text}`);
}

function attachment(a: CaseInput['attachments'][number]): AttachmentSpec {
  const base = { name: a.name, labels: {}, sandbox: a.name, network: a.network, interface: 'eth0' };
  return { ...base, defaultRoute: true, routes: [], publish: a.publish ?? [], source: SOURCE };
}

/** The ManifestSet and assignments an input describes. */
export function caseInput(input: CaseInput): { manifests: ManifestSet; assignments: Map<string, Assignment> } {
  const networks = new Map(input.networks.map((n) => [n.name, network(n)]));
  const attachments = new Map(input.attachments.map((a) => [a.name, attachment(a)]));
  const manifests: ManifestSet = { networks, sandboxes: new Map(), attachments, files: [] };
  return { manifests, assignments: new Map(Object.entries(input.assignments)) };
}

export const caseNames = (): string[] => readdirSync(CASES).sort();

export function loadCase(name: string): FirewallCase {
  const dir = join(CASES, name);
  const input = JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')) as CaseInput;
  const nft = join(dir, 'expected.nft');
  const script = existsSync(nft) ? readFileSync(nft, 'utf8') : undefined;
  const expected: unknown = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  return { name, ...caseInput(input), script, expected };
}

/** The firewall a case generates; throws for a case without a table. */
export function caseFirewall(name: string): DesiredFirewall {
  const c = loadCase(name);
  const fw = firewallFromManifests(c.manifests, c.assignments);
  if (fw === undefined) throw new Error(`fixture ${name}: no table generated`);
  return fw;
}

/** The cases that generate a table. */
export const tableCaseNames = (): string[] => caseNames().filter((name) => loadCase(name).script !== undefined);
