import type { AttachmentSpec, ManifestSet, NetworkSpec, SourceRef } from '../model/manifest.js';
import { bigintToIp, type Cidr, cidrToString, type Family, ipToBigint, isReservedInSubnet, lastAddress, parseCidr } from '../util/cidr.js';
import { byCodeUnit } from '../util/order.js';
import { allocateFamily, type FamilyInput, type FamilyResult } from './family.js';
import type { Lease, LeaseTable } from './leases.js';
import { AddressPool } from './pool.js';
import { type Diagnostic, diagnosticAt, shortRef } from '../model/diagnostic.js';

/** The addresses IPAM decided for one attachment. Prefixes are the subnet's. */
export interface Assignment {
  readonly ipv4: string;
  readonly ipv6?: string;
  readonly prefix: number;
  readonly prefix6?: number;
}

export interface AllocateInput {
  readonly manifests: ManifestSet;
  readonly leases: LeaseTable;
}

export interface AllocateResult {
  /** Attachment name -> addresses, in name order. Missing for attachments with a diagnostic. */
  readonly assignments: Map<string, Assignment>;
  /** The lease table to persist. */
  readonly leases: LeaseTable;
  readonly diagnostics: Diagnostic[];
}

type LeaseMap = Record<string, Lease>;

export const byName = byCodeUnit;

/**
 * Decides every attachment's addresses from the manifests and the previous
 * leases. Pure and deterministic: the same input gives the same output,
 * whatever the order of the input maps.
 */
export function allocateAddresses(input: AllocateInput): AllocateResult {
  const { manifests } = input;
  const { networks: prior, counter } = releaseDeparted(input.leases, manifests);
  const members = membersByNetwork(manifests);
  const networks: Record<string, LeaseMap> = {};
  const assigned: [string, Assignment][] = [];
  const diagnostics: Diagnostic[] = [];
  const names = [...new Set([...Object.keys(prior), ...manifests.networks.keys()])].sort(byName);
  for (const name of names) {
    const spec = manifests.networks.get(name);
    const result = spec === undefined ? { leases: prior[name] ?? {} } : allocateNetwork(spec, members.get(name) ?? [], prior[name] ?? {});
    if (Object.keys(result.leases).length > 0) networks[name] = result.leases;
    if ('assigned' in result) {
      assigned.push(...result.assigned);
      diagnostics.push(...result.diagnostics);
    }
  }
  assigned.sort(([a], [b]) => byName(a, b));
  return { assignments: new Map(assigned), leases: { version: 1, counter, networks }, diagnostics };
}

/** Leases of attachments no longer on their network are marked released, with the next counter value. */
function releaseDeparted(table: LeaseTable, manifests: ManifestSet): { networks: Record<string, LeaseMap>; counter: number } {
  let counter = table.counter;
  const networks: Record<string, LeaseMap> = {};
  for (const net of Object.keys(table.networks).sort(byName)) {
    const leases = table.networks[net] ?? {};
    const out: LeaseMap = {};
    for (const name of Object.keys(leases).sort(byName)) {
      const lease = leases[name] as Lease;
      const present = manifests.attachments.get(name)?.network === net;
      out[name] = present || lease.released !== undefined ? lease : { ...lease, released: ++counter };
    }
    networks[net] = out;
  }
  return { networks, counter };
}

function membersByNetwork(manifests: ManifestSet): Map<string, AttachmentSpec[]> {
  const out = new Map<string, AttachmentSpec[]>();
  const sorted = [...manifests.attachments.values()].sort((a, b) => byName(a.name, b.name));
  for (const a of sorted) {
    const list = out.get(a.network);
    if (list === undefined) out.set(a.network, [a]);
    else list.push(a);
  }
  return out;
}

interface NetworkResult {
  readonly assigned: [string, Assignment][];
  readonly leases: LeaseMap;
  readonly diagnostics: Diagnostic[];
}

function allocateNetwork(spec: NetworkSpec, members: readonly AttachmentSpec[], leases: LeaseMap): NetworkResult {
  const v4In = familyInput({ spec, family: 4, members, leases });
  const v6In = spec.subnet6 === undefined ? undefined : familyInput({ spec, family: 6, members, leases });
  const v4 = allocateFamily(v4In);
  const v6 = v6In === undefined ? undefined : allocateFamily(v6In);
  const diagnostics = familyDiagnostics(spec, members, v4In, v4);
  if (v6In !== undefined && v6 !== undefined) diagnostics.push(...familyDiagnostics(spec, members, v6In, v6));
  const assigned: [string, Assignment][] = [];
  const out: LeaseMap = {};
  for (const { name } of members) {
    const lease = compactLease(v4.assigned.get(name), v6?.assigned.get(name));
    if (lease !== undefined) out[name] = lease;
    const assignment = assignmentOf(spec, v4.assigned.get(name), v6 && v6.assigned.get(name));
    if (assignment !== undefined) assigned.push([name, assignment]);
  }
  for (const [name, released] of v4In.released) {
    const lease = compactLease(v4.kept.get(name), v6?.kept.get(name));
    if (lease !== undefined) out[name] = { ...lease, released };
  }
  return { assigned, leases: out, diagnostics };
}

/** Undefined when an address is missing: IPv4 always, IPv6 when the network has subnet6. */
function assignmentOf(spec: NetworkSpec, ipv4: string | undefined, ipv6: string | undefined): Assignment | undefined {
  if (ipv4 === undefined) return undefined;
  const prefix = subnetOf(spec.subnet).prefix;
  if (spec.subnet6 === undefined) return { ipv4, prefix };
  return ipv6 === undefined ? undefined : { ipv4, prefix, ipv6, prefix6: subnetOf(spec.subnet6).prefix };
}

const compactLease = (ipv4: string | undefined, ipv6: string | undefined): Lease | undefined => {
  if (ipv4 === undefined && ipv6 === undefined) return undefined;
  return { ...(ipv4 === undefined ? {} : { ipv4 }), ...(ipv6 === undefined ? {} : { ipv6 }) };
};

/** Manifests arrive validated; a malformed CIDR here is a bug, not a user error. */
function subnetOf(text: string | undefined): Cidr {
  const cidr = text === undefined ? undefined : parseCidr(text);
  if (cidr === undefined) throw new Error(`bug: IPAM got an invalid CIDR ${String(text)} from validated manifests`);
  return cidr;
}

/** Never handed out: the gateway, and the network/broadcast (IPv4) or subnet-router anycast (IPv6) address. */
function reservedOf(subnet: Cidr, gateway: string | undefined): bigint[] {
  const edges = [subnet.base, lastAddress(subnet)].filter((v) => isReservedInSubnet(subnet, bigintToIp(v, subnet.family)));
  return gateway === undefined ? edges : [...edges, ipToBigint(gateway)];
}

interface FamilyRequest {
  readonly spec: NetworkSpec;
  readonly family: Family;
  readonly members: readonly AttachmentSpec[];
  readonly leases: LeaseMap;
}

function familyInput({ spec, family, members, leases }: FamilyRequest): FamilyInput {
  const subnet = subnetOf(family === 4 ? spec.subnet : spec.subnet6);
  const range = family === 4 ? subnetOf(spec.ipRange) : subnet;
  const pool = new AddressPool(range, reservedOf(subnet, family === 4 ? spec.gateway : spec.gateway6));
  const statics = new Map<string, string>();
  for (const m of members) {
    const ip = family === 4 ? m.address : m.address6;
    if (ip !== undefined) statics.set(m.name, ip);
  }
  const names = members.map((m) => m.name);
  const memberSet = new Set(names);
  const previous = new Map<string, string>();
  const released = new Map<string, number>();
  for (const [name, lease] of Object.entries(leases)) {
    const ip = family === 4 ? lease.ipv4 : lease.ipv6;
    if (ip !== undefined) previous.set(name, ip);
    // A member's lease marked released is a re-created attachment: it is active again.
    if (lease.released !== undefined && !memberSet.has(name)) released.set(name, lease.released);
  }
  return { family, pool, members: names, statics, previous, released };
}

/**
 * One family's errors, each at an attachment: no free address left for it,
 * or (at the static claimant, naming both) an address a live dynamic
 * attachment holds.
 */
function familyDiagnostics(spec: NetworkSpec, members: readonly AttachmentSpec[], input: FamilyInput, result: FamilyResult): Diagnostic[] {
  const pool = cidrToString(input.pool.range);
  const sourceOf = new Map(members.map((m) => [m.name, m.source]));
  const at = (name: string): SourceRef => sourceOf.get(name) as SourceRef;
  return [
    ...result.exhausted.map((name) =>
      diagnosticAt(at(name), 'ipam-exhausted', `network ${spec.name}: no free address in ${pool} for attachment ${name} (${input.pool.inUse} in use)`)),
    ...result.displaced.map(({ name, ip, by }) =>
      diagnosticAt(at(by), 'address-in-use',
        `attachment ${by}: address ${ip} on network ${spec.name} is held by attachment ${name} (${shortRef(at(name))}), a dynamic address it keeps across applies; choose another address, or give ${name} a static one`)),
  ];
}
