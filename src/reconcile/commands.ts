import { deleteTableScript } from '../firewall/index.js';
import { Wave, type Command, type IpCommand, type NftCommand, type SysctlCommand } from '../model/plan.js';
import {
  HOST_NS,
  ownerAlias,
  routeLocalnet,
  type AddrResource,
  type BridgeResource,
  type FirewallResource,
  type MacvlanResource,
  type NetnsResource,
  type Resource,
  type RouteResource,
  type VethResource,
} from '../model/resource.js';

/**
 * Resource -> exact `ip` batch lines. Every name reaching here was validated
 * by the manifest loader or read from the kernel; nothing goes through a shell.
 */

const ip = (ns: string, wave: Wave, ...args: string[]): IpCommand => ({ tool: 'ip', ns, wave, args });
const createWave = (ns: string): Wave => (ns === HOST_NS ? Wave.hostCreate : Wave.nsCreate);
const deleteWave = (ns: string): Wave => (ns === HOST_NS ? Wave.hostDelete : Wave.nsDelete);
const mtuArgs = (mtu: number | undefined): string[] => (mtu === undefined ? [] : ['mtu', String(mtu)]);
const upDown = (up: boolean): string => (up ? 'up' : 'down');

export function createCommands(r: Resource): Command[] {
  switch (r.type) {
    case 'netns': return createNetns(r);
    case 'bridge': return createBridge(r);
    case 'veth': return createVeth(r);
    case 'macvlan': return createMacvlan(r);
    case 'addr': return [ip(r.ns, createWave(r.ns), 'addr', 'add', r.cidr, 'dev', r.dev, ...nodad(r))];
    case 'route': return [ip(r.ns, createWave(r.ns), ...routeArgs('replace', r))];
    case 'vlan': return [
      ip(HOST_NS, Wave.hostCreate, 'link', 'add', 'link', r.link, 'name', r.name, 'type', 'vlan', 'id', String(r.vid)),
      ip(HOST_NS, Wave.hostCreate, 'link', 'set', r.name, 'alias', ownerAlias(r.owner), upDown(r.up)),
    ];
    case 'file': return [{ tool: 'file', wave: Wave.hostCreate, path: r.path, content: r.content, ...(r.target === undefined ? {} : { target: r.target }) }];
    case 'firewall': return [firewallCommand(r)];
    case 'sysctl': return [{ tool: 'sysctl', wave: Wave.firewall, key: r.name, value: r.value }];
    // Half of a veth whose other half is gone: nothing to recreate it from, so undoing its removal is a no-op.
    case 'stray-link': return [];
  }
}

export function deleteCommands(r: Resource): Command[] {
  switch (r.type) {
    case 'netns': return [ip(HOST_NS, Wave.hostDelete, 'netns', 'del', r.ns)];
    case 'veth': return [ip(HOST_NS, Wave.hostDelete, 'link', 'del', r.hostName)];
    case 'file': return [{ tool: 'file', wave: Wave.hostDelete, path: r.path, content: null }];
    case 'firewall': return [{ tool: 'nft', wave: Wave.firewall, format: 'text', script: deleteTableScript() }];
    case 'sysctl': return r.previous === undefined ? [] : [{ tool: 'sysctl', wave: Wave.firewall, key: r.name, value: r.previous }];
    case 'vlan':
    case 'bridge':
    case 'macvlan':
    case 'stray-link': return [ip(r.ns, deleteWave(r.ns), 'link', 'del', r.name)];
    case 'addr': return [ip(r.ns, deleteWave(r.ns), 'addr', 'del', r.cidr, 'dev', r.dev)];
    case 'route': return [ip(r.ns, deleteWave(r.ns), ...routeArgs('del', r))];
  }
}

/** Commands turning `from` into `to` (same key and type; only updatable fields differ). */
export function updateCommands(from: Resource, to: Resource): Command[] {
  if (to.type === 'netns') return [ip(to.ns, Wave.nsCreate, 'link', 'set', 'lo', 'alias', ownerAlias(to.owner), upDown(to.loUp))];
  if (to.type === 'bridge' && from.type === 'bridge') return updateBridge(from, to);
  if (to.type === 'veth' && from.type === 'veth') return updateVeth(from, to);
  if (to.type === 'macvlan') return [setInside(to)];
  if (to.type === 'vlan') return [ip(HOST_NS, Wave.hostCreate, 'link', 'set', to.name, 'alias', ownerAlias(to.owner), upDown(to.up))];
  if (to.type === 'file' || to.type === 'firewall' || to.type === 'sysctl') return createCommands(to);
  if (to.type === 'route') return [ip(to.ns, createWave(to.ns), ...routeArgs('replace', to))];
  throw new Error(`bug: ${to.key} cannot be updated in place`);
}

function createNetns(r: NetnsResource): IpCommand[] {
  return [
    ip(HOST_NS, Wave.hostCreate, 'netns', 'add', r.ns),
    ip(r.ns, Wave.nsCreate, 'link', 'set', 'lo', 'alias', ownerAlias(r.owner), upDown(r.loUp)),
  ];
}

function createBridge(r: BridgeResource): Command[] {
  return [
    ip(HOST_NS, Wave.hostCreate, 'link', 'add', r.name, 'address', r.mac, ...mtuArgs(r.mtu), 'type', 'bridge'),
    ip(HOST_NS, Wave.hostCreate, 'link', 'set', r.name, 'alias', ownerAlias(r.owner), upDown(r.up)),
    ...(r.routeLocalnet === true ? [localnetCommand(r)] : []),
  ];
}

/** A new bridge starts with route_localnet off; sysctls run after the host's links exist. */
const localnetCommand = (r: BridgeResource): SysctlCommand =>
  ({ tool: 'sysctl', wave: Wave.firewall, key: routeLocalnet(r.name), value: r.routeLocalnet === true ? '1' : '0' });

function updateBridge(from: BridgeResource, to: BridgeResource): Command[] {
  const out: Command[] = [];
  if (from.mac !== to.mac || from.mtu !== to.mtu || from.up !== to.up || from.owner !== to.owner) {
    out.push(ip(HOST_NS, Wave.hostCreate, 'link', 'set', to.name, 'address', to.mac, ...mtuArgs(to.mtu), 'alias', ownerAlias(to.owner), upDown(to.up)));
  }
  if (to.routeLocalnet !== undefined && (from.routeLocalnet ?? false) !== to.routeLocalnet) out.push(localnetCommand(to));
  return out;
}

/** The veth is created with its peer already inside the sandbox: no slow `link set … netns` move. */
function createVeth(r: VethResource): IpCommand[] {
  return [
    ip(HOST_NS, Wave.hostCreate, 'link', 'add', r.hostName, ...(r.hostMac ? ['address', r.hostMac] : []), ...mtuArgs(r.mtu), 'type', 'veth',
      'peer', 'name', r.name, 'netns', r.ns, 'address', r.mac, ...mtuArgs(r.mtu)),
    ip(HOST_NS, Wave.hostCreate, 'link', 'set', r.hostName, 'master', r.hostMaster, 'alias', ownerAlias(r.owner), upDown(r.hostUp)),
    ...(r.hostIsolated || r.hostHairpin ? [portFlags(r)] : []),
    setInside(r),
  ];
}

/** Bridge port flags of the host end: isolation (icc: false) and hairpin (published ports). */
const onOff = (b: boolean): string => (b ? 'on' : 'off');
const portFlags = (r: VethResource): IpCommand =>
  ip(HOST_NS, Wave.hostCreate, 'link', 'set', r.hostName, 'type', 'bridge_slave', 'isolated', onOff(r.hostIsolated), 'hairpin', onOff(r.hostHairpin));

/** The table from its generated script, or (observed) from the JSON that recreates it exactly. */
function firewallCommand(r: FirewallResource): NftCommand {
  if (r.script !== undefined) return { tool: 'nft', wave: Wave.firewall, format: 'text', script: r.script };
  if (r.restore !== undefined) return { tool: 'nft', wave: Wave.firewall, format: 'json', script: r.restore };
  throw new Error(`bug: firewall ${r.key} has neither a script nor a restore`);
}

function createMacvlan(r: MacvlanResource): IpCommand[] {
  return [
    ip(HOST_NS, Wave.hostCreate, 'link', 'add', 'link', r.parent, 'name', r.name, 'netns', r.ns,
      'address', r.mac, ...mtuArgs(r.mtu), 'type', 'macvlan', 'mode', r.mode),
    setInside(r),
  ];
}

const setInside = (r: VethResource | MacvlanResource): IpCommand =>
  ip(r.ns, Wave.nsCreate, 'link', 'set', r.name, 'address', r.mac, ...mtuArgs(r.mtu), 'alias', ownerAlias(r.owner), upDown(r.up));

function updateVeth(from: VethResource, to: VethResource): IpCommand[] {
  const out: IpCommand[] = [];
  if (from.hostMaster !== to.hostMaster || from.hostUp !== to.hostUp || from.mtu !== to.mtu || from.owner !== to.owner) {
    out.push(ip(HOST_NS, Wave.hostCreate, 'link', 'set', to.hostName, ...mtuArgs(to.mtu), 'master', to.hostMaster,
      'alias', ownerAlias(to.owner), upDown(to.hostUp)));
  }
  // A port on a new bridge starts with the kernel's default flags (isolation and hairpin off).
  const newPort = from.hostMaster !== to.hostMaster && (to.hostIsolated || to.hostHairpin);
  if (newPort || from.hostIsolated !== to.hostIsolated || from.hostHairpin !== to.hostHairpin) out.push(portFlags(to));
  if (from.mac !== to.mac || from.up !== to.up || from.mtu !== to.mtu || from.owner !== to.owner) out.push(setInside(to));
  return out;
}

const nodad = (r: AddrResource): string[] => (r.family === 6 ? ['nodad'] : []);

/** `ip -batch` takes no per-line `-6`: the family follows from the gateway (or the destination). */
function routeArgs(verb: 'add' | 'del' | 'replace', r: RouteResource): string[] {
  const via = r.via === undefined ? [] : ['via', r.via];
  return ['route', verb, r.dst, ...via, 'dev', r.dev];
}
