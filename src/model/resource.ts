/**
 * Kernel resources, desired or observed, keyed by a stable address
 * (kind + namespace + name, never an ifindex).
 *
 * Addresses:
 *   netns/<ns>                      a named network namespace (lo up, marked)
 *   link/<ns>/<ifname>              a link; <ns> is HOST_NS for the root namespace
 *   addr/<ns>/<ifname>/<ip>/<len>   an address on a link
 *   route/<ns>/<dst>                a route; <dst> is "default", "default6" or a CIDR
 */

/** Namespace id of the root (host) namespace; "@" cannot start a sandbox name. */
export const HOST_NS = '@host';

/** What netrecon writes into an ifalias to mark a link (or a netns's lo) as its own. */
export const OWNER_PREFIX = 'netrecon:';

/** Owner of a resource: the manifest object it exists for, e.g. "attachment/web-frontend". */
export type Owner = `${'network' | 'sandbox' | 'attachment'}/${string}`;

export const ownerAlias = (owner: Owner): string => `${OWNER_PREFIX}${owner}`;

export const ownerFromAlias = (alias: string | undefined): Owner | undefined => {
  if (!alias?.startsWith(OWNER_PREFIX)) return undefined;
  const rest = alias.slice(OWNER_PREFIX.length);
  return /^(network|sandbox|attachment)\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(rest) ? (rest as Owner) : undefined;
};

export interface NetnsResource {
  readonly type: 'netns';
  readonly key: string;
  readonly ns: string;
  readonly owner: Owner;
  /** lo is up (it carries 127.0.0.1/8 once up). */
  readonly loUp: boolean;
}

export interface BridgeResource {
  readonly type: 'bridge';
  readonly key: string;
  readonly ns: typeof HOST_NS;
  readonly name: string;
  readonly owner: Owner;
  /** Set explicitly (like CNI) so it does not follow the lowest port's MAC as ports come and go. */
  readonly mac: string;
  readonly mtu?: number;
  readonly up: boolean;
  /**
   * net.ipv4.conf.<name>.route_localnet: on while IPv4 ports are published
   * to the bridge, so the host's connections to 127.0.0.1 can be DNATed out
   * through it (firewall/chains.ts). Observed from /proc.
   */
  readonly routeLocalnet?: boolean;
}

/** What every attachment's interface inside a sandbox has, whatever the driver. */
interface SandboxLink {
  readonly key: string;
  readonly ns: string;
  readonly name: string;
  readonly owner: Owner;
  readonly mac: string;
  readonly mtu?: number;
  readonly up: boolean;
}

/** A veth pair: the sandbox end (keyed) and the host end on a bridge. */
export interface VethResource extends SandboxLink {
  readonly type: 'veth';
  readonly hostName: string;
  /** Observed only: the host end's MAC (random at creation), so a rollback recreates it exactly. */
  readonly hostMac?: string;
  readonly hostMaster: string;
  /**
   * Observed only: the host end's bridge port number. The bridge hands out
   * the lowest free number, so a rollback that recreates several ports does
   * it in this order to get the same numbers back (see Step.bridgePort).
   */
  readonly hostPort?: number;
  readonly hostUp: boolean;
  /** Bridge port isolation: set for `icc: false` (isolated ports cannot talk to each other). */
  readonly hostIsolated: boolean;
  /** Hairpin: set when the attachment publishes ports, so it reaches its own published port. */
  readonly hostHairpin: boolean;
}

export interface MacvlanResource extends SandboxLink {
  readonly type: 'macvlan';
  readonly parent: string;
  readonly mode: string;
}

/** An 802.1Q subinterface netrecon created as a macvlan parent ("eth1.100", as Docker does). */
export interface VlanResource {
  readonly type: 'vlan';
  readonly key: string;
  readonly ns: typeof HOST_NS;
  readonly name: string;
  readonly owner: Owner;
  readonly link: string;
  readonly vid: number;
  readonly up: boolean;
}

/** A file netrecon writes for a sandbox: /etc/netns/<ns>/resolv.conf or hosts. */
export interface FileResource {
  readonly type: 'file';
  readonly key: string;
  readonly ns: string;
  readonly path: string;
  readonly owner: Owner;
  /** The file's text ("" for a symbolic link). */
  readonly content: string;
  /** Set when the file is a symbolic link to this path. */
  readonly target?: string;
}

/** The nftables table inet netrecon, identified by the digest of its rules. */
export interface FirewallResource {
  readonly type: 'firewall';
  readonly key: string;
  readonly ns: typeof HOST_NS;
  readonly owner: Owner;
  readonly digest: string;
  readonly chains: number;
  readonly rules: number;
  /** Desired: the nft -f transaction that creates it. Observed: undefined. */
  readonly script?: string;
  /** Observed: JSON that recreates the live table exactly (the inverse of a change). */
  readonly restore?: string;
}

/** A sysctl netrecon set (IP forwarding), with the value it found before, to put back. */
export interface SysctlResource {
  readonly type: 'sysctl';
  readonly key: string;
  readonly ns: typeof HOST_NS;
  readonly owner: Owner;
  readonly name: string;
  readonly value: string;
  /** Observed: the value before netrecon first changed it. */
  readonly previous?: string;
}

/** An owned link seen in the kernel that fits no other shape (e.g. a veth whose peer is gone). */
export interface StrayLinkResource {
  readonly type: 'stray-link';
  readonly key: string;
  readonly ns: string;
  readonly name: string;
  readonly owner: Owner;
}

export interface AddrResource {
  readonly type: 'addr';
  readonly key: string;
  readonly ns: string;
  readonly dev: string;
  /** "172.30.0.10/24" (host address + prefix length). */
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly owner: Owner;
}

export interface RouteResource {
  readonly type: 'route';
  readonly key: string;
  readonly ns: string;
  /** "default" or a canonical CIDR. */
  readonly dst: string;
  readonly family: 4 | 6;
  readonly via?: string;
  readonly dev: string;
  readonly owner: Owner;
}

export type LinkResource = BridgeResource | VethResource | MacvlanResource | VlanResource | StrayLinkResource;
export type Resource = NetnsResource | LinkResource | AddrResource | RouteResource | FileResource | FirewallResource | SysctlResource;

/** Owner of what all bridge networks share: the firewall table and IP forwarding. */
export const SHARED_OWNER: Owner = 'network/*';
export const FIREWALL_KEY = 'nft/netrecon';
export const sysctlKey = (name: string): string => `sysctl/${name}`;

/**
 * A sysctl's file under /proc/sys. An interface name may hold dots
 * (net.ipv4.conf.eth0.100.route_localnet is conf/eth0.100/route_localnet),
 * so per-interface names keep the interface whole.
 */
export function sysctlPath(name: string): string {
  const m = /^(net)\.(ipv[46])\.(conf)\.(.+)\.([a-z_]+)$/.exec(name);
  return m === null ? name.replaceAll('.', '/') : `${m[1]}/${m[2]}/${m[3]}/${m[4]}/${m[5]}`;
}

/** net.ipv4.conf.BR.route_localnet: lets a packet from 127.0.0.1, DNATed by the output hook, leave through bridge BR. */
export const routeLocalnet = (bridge: string): string => `net.ipv4.conf.${bridge}.route_localnet`;
export type ResourceType = Resource['type'];

export const netnsKey = (ns: string): string => `netns/${ns}`;
export const linkKey = (ns: string, name: string): string => `link/${ns}/${name}`;
export const addrKey = (ns: string, dev: string, cidr: string): string => `addr/${ns}/${dev}/${cidr}`;
export const fileKey = (ns: string, name: string): string => `file/${ns}/${name}`;
export const routeKey = (ns: string, dst: string, family: 4 | 6): string =>
  `route/${ns}/${dst === 'default' && family === 6 ? 'default6' : dst}`;

/** A name in the kernel that netrecon does not own (for conflict detection). */
export interface ForeignObject {
  readonly key: string;
  readonly what: string;
}

export interface DesiredState {
  readonly resources: ReadonlyMap<string, Resource>;
}

export interface ObservedState {
  /** Owned resources only. */
  readonly resources: ReadonlyMap<string, Resource>;
  /** Names present in the kernel and not owned: netns/<ns> and link/<ns>/<name> keys. */
  readonly foreign: ReadonlyMap<string, ForeignObject>;
  /** False when nft is not installed (then no firewall could be observed or applied). */
  readonly nftAvailable?: boolean;
  /**
   * Only when some namespaces were read: the owners of host veth ends whose
   * other end was not found (it sits in a namespace that was not read).
   */
  readonly unpaired?: readonly Owner[];
  /** Namespaces not read because the host vouched for them (delete; see observe/vouch.ts). */
  readonly vouched?: readonly string[];
}
