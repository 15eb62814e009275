import { PLAN_VERSION, Wave, type Command, type Plan, type PlanSummary, type Step } from '../model/plan.js';
import { HOST_NS, type AddrResource, type Resource } from '../model/resource.js';
import { parseCidr, type Cidr } from '../util/cidr.js';
import { createCommands, deleteCommands, updateCommands } from './commands.js';
import type { Change } from './diff.js';

export interface PlanOptions {
  /** Namespaces a process is still in (see namespacesInUse): deleting one removes its links first. */
  readonly inUse?: ReadonlySet<string>;
  /** The observed resources: IPv4 addresses that stay are put back when the kernel flushes them (see keptSecondaries). */
  readonly observed?: ReadonlyMap<string, Resource>;
}

/**
 * Changes -> ordered steps, each with its exact commands and its inverse,
 * computed now from the observed state (so rollback never has to guess).
 * Deletes come first in reverse dependency order, then everything else in
 * dependency order; the executor further groups commands into waves.
 */
export function planSteps(changes: readonly Change[], observedDigest: string, options: PlanOptions = {}): Plan {
  const deleting: NetnsDeleting = { inUse: options.inUse ?? new Set<string>(), reused: createdHostNames(changes) };
  const kept = keptIpv4(changes, options.observed);
  const steps = changes.map((change, id) => withKeptSecondaries(stepFor(change, id, deleting), change, kept));
  return { version: PLAN_VERSION, observedDigest, steps, summary: summarize(steps) };
}

/**
 * Commands that bring back removed resources exactly as observed (the
 * inverse of a delete or replace). A veth is first removed by name: after a
 * namespace delete the kernel tears its veths down in the background, so an
 * old pair may still hold the name (rollback runs with -force, so "not found" is fine).
 */
const recreate = (observed: Resource, covers: readonly Resource[]): Command[] => {
  const all = [observed, ...covers];
  return [...all.flatMap((r) => (r.type === 'veth' ? deleteCommands(r) : [])), ...all.flatMap(createCommands)];
};

/** The lowest bridge port number among the host veth ends a step takes off their bridge (Step.bridgePort). */
function bridgePort(removed: readonly Resource[]): { bridgePort?: number } {
  const ports = removed.flatMap((r) => (r.type === 'veth' && r.hostPort !== undefined ? [r.hostPort] : []));
  return ports.length === 0 ? {} : { bridgePort: Math.min(...ports) };
}

interface NetnsDeleting {
  /** Namespaces a process is still in. */
  readonly inUse: ReadonlySet<string>;
  /** Host veth end names this plan creates (or creates again). */
  readonly reused: ReadonlySet<string>;
}

/** The host end names of the veths a plan creates: a sandbox moved to another namespace keeps its attachment's name. */
function createdHostNames(changes: readonly Change[]): Set<string> {
  return new Set(changes.flatMap((c) => (c.action !== 'delete' && c.desired.type === 'veth' ? [c.desired.hostName] : [])));
}

/**
 * `ip netns del` only unmounts a namespace. When no process is in it, the
 * kernel then removes it and its links, in the background; when one is, the
 * namespace lives on with them (a veth's host end stays on its bridge, a
 * macvlan on its parent). So in a namespace in use the links netrecon owns
 * are deleted first, inside it, as CNI's DEL does; and a veth whose host end
 * name this plan creates again (a sandbox moved to another namespace) is
 * deleted by that name first, or the create may find the old end still
 * there ("File exists").
 */
function deleteNetnsCommands(r: Resource, covers: readonly Resource[], deleting: NetnsDeleting): Command[] {
  if (r.type !== 'netns') return deleteCommands(r);
  if (!deleting.inUse.has(r.ns)) {
    const reused = covers.flatMap((c) => (c.type === 'veth' && deleting.reused.has(c.hostName) ? [c.hostName] : []));
    return [...reused.map((name): Command => ({ tool: 'ip', ns: HOST_NS, wave: Wave.hostDelete, args: ['link', 'del', name] })), ...deleteCommands(r)];
  }
  const links = covers.flatMap((c) => (c.ns === r.ns && (c.type === 'veth' || c.type === 'macvlan' || c.type === 'stray-link') ? [c.name] : []));
  const inside = links.map((name): Command => ({ tool: 'ip', ns: r.ns, wave: Wave.nsDelete, args: ['link', 'del', name] }));
  return [...inside, ...deleteCommands(r)];
}

function stepFor(change: Change, id: number, deleting: NetnsDeleting): Step {
  switch (change.action) {
    case 'create': {
      const r = change.desired;
      return { id, address: r.key, action: 'create', owner: r.owner, covers: [], commands: createCommands(r), inverse: deleteCommands(r) };
    }
    case 'delete': {
      const r = change.observed;
      return { id, address: r.key, action: 'delete', owner: r.owner, covers: change.covers.map((c) => c.key),
        commands: deleteNetnsCommands(r, change.covers, deleting), inverse: recreate(r, change.covers), ...bridgePort([r, ...change.covers]) };
    }
    case 'update': {
      const { desired: d, observed: o } = change;
      return { id, address: d.key, action: 'update', owner: d.owner, covers: [], changes: change.fields,
        commands: updateCommands(o, d), inverse: updateCommands(d, o),
        ...(change.fields.some((f) => f.field === 'hostMaster') ? bridgePort([o]) : {}) };
    }
    case 'replace': {
      const { desired: d, observed: o } = change;
      return { id, address: d.key, action: 'replace', owner: d.owner, covers: change.covers.map((c) => c.key), changes: change.fields,
        commands: [...deleteCommands(o), ...createCommands(d)], inverse: [...deleteCommands(d), ...recreate(o, change.covers)],
        ...bridgePort([o, ...change.covers]) };
    }
  }
}

/** Owned IPv4 addresses observed that no change removes. */
function keptIpv4(changes: readonly Change[], observed: ReadonlyMap<string, Resource> | undefined): AddrResource[] {
  if (observed === undefined) return [];
  const removed = new Set(changes.flatMap((c) => (c.action === 'delete' || c.action === 'replace' ? [c.observed.key, ...c.covers.map((r) => r.key)] : [])));
  return [...observed.values()].filter((r): r is AddrResource => r.type === 'addr' && r.family === 4 && !removed.has(r.key));
}

/**
 * Deleting an interface's primary IPv4 address makes the kernel delete its
 * secondaries too (the addresses in the same subnet added after it), unless
 * promote_secondaries is set. When an apply --no-prune changed an address,
 * the old one stays, the new one is its secondary, and a later apply that
 * prunes the old one lost the new one with it (and a route via the subnet
 * failed). So an address delete puts back, in the same batch, the owned
 * addresses of that subnet that stay (`replace`: a no-op when promoted).
 */
function withKeptSecondaries(step: Step, change: Change, kept: readonly AddrResource[]): Step {
  if (change.action !== 'delete' || change.observed.type !== 'addr' || change.observed.family !== 4) return step;
  const r = change.observed;
  const subnet = parseCidr(r.cidr);
  const wave = step.commands[0]?.wave;
  if (subnet === undefined || wave === undefined) return step;
  const same = kept.filter((k) => k.ns === r.ns && k.dev === r.dev && sameSubnet(parseCidr(k.cidr), subnet));
  const putBack = same.map((k): Command => ({ tool: 'ip', ns: k.ns, wave, args: ['addr', 'replace', k.cidr, 'dev', k.dev] }));
  return putBack.length === 0 ? step : { ...step, commands: [...step.commands, ...putBack] };
}

const sameSubnet = (a: Cidr | undefined, b: Cidr): boolean => a !== undefined && a.prefix === b.prefix && a.base === b.base;

function summarize(steps: readonly Step[]): PlanSummary {
  let create = 0;
  let update = 0;
  let del = 0;
  for (const s of steps) {
    if (s.action === 'create' || s.action === 'replace') create++;
    if (s.action === 'delete' || s.action === 'replace') del++;
    if (s.action === 'update') update++;
  }
  return { create, update, delete: del };
}
