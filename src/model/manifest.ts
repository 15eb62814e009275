/**
 * Manifests after loading, schema validation, semantic checks and defaults.
 * Every field here is filled in: later stages never re-derive a default.
 */

/** Where a value came from, for `FILE:LINE:COL: message` diagnostics. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type ResourceKind = 'Network' | 'Sandbox' | 'Attachment';

export interface BridgeOptions {
  readonly name: string;
  readonly internal: boolean;
  readonly masquerade: boolean;
  readonly icc: boolean;
}

export type MacvlanMode = 'bridge' | 'vepa' | 'private' | 'passthru';

export interface MacvlanOptions {
  readonly parent: string;
  readonly mode: MacvlanMode;
}

export interface NetworkSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly driver: 'bridge' | 'macvlan';
  /** Canonical CIDR (network address, no host bits): "172.30.0.0/24". */
  readonly subnet: string;
  readonly gateway: string;
  /** Pool for dynamic addresses; defaults to the whole subnet. Canonical CIDR. */
  readonly ipRange: string;
  readonly subnet6?: string;
  readonly gateway6?: string;
  readonly mtu?: number;
  readonly bridge?: BridgeOptions;
  readonly macvlan?: MacvlanOptions;
  readonly source: SourceRef;
}

export type SandboxMode = 'private' | 'none' | 'host' | 'container';

export interface DnsOptions {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
}

export interface SandboxSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly mode: SandboxMode;
  /** For mode "container": the sandbox whose namespace is shared. */
  readonly shareWith?: string;
  /** Name under /run/netns (private and none only). */
  readonly netns?: string;
  readonly dns?: DnsOptions;
  readonly hosts: Readonly<Record<string, string>>;
  readonly source: SourceRef;
}

export interface RouteSpec {
  readonly to: string;
  readonly via: string;
}

export interface PublishSpec {
  readonly hostPort: number;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly hostIP: string;
}

export interface AttachmentSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly sandbox: string;
  readonly network: string;
  readonly interface: string;
  /** Static IPv4 address, if given; otherwise IPAM allocates one. */
  readonly address?: string;
  readonly address6?: string;
  /** Lower-case, colon-separated; absent means "derive from the IPv4 address". */
  readonly mac?: string;
  readonly defaultRoute: boolean;
  /** The manifest names the interface (else a default, kept once given: reconcile/sticky.ts). */
  readonly interfaceGiven?: boolean;
  /** The manifest sets defaultRoute (else a default, kept once given). */
  readonly defaultRouteGiven?: boolean;
  readonly routes: readonly RouteSpec[];
  readonly publish: readonly PublishSpec[];
  readonly source: SourceRef;
}

/** The whole desired input, keyed by metadata.name per kind. */
export interface ManifestSet {
  readonly networks: ReadonlyMap<string, NetworkSpec>;
  readonly sandboxes: ReadonlyMap<string, SandboxSpec>;
  readonly attachments: ReadonlyMap<string, AttachmentSpec>;
  /** Files read, in order (for messages and watch mode). */
  readonly files: readonly string[];
}

export const emptyManifestSet = (): ManifestSet => ({
  networks: new Map(),
  sandboxes: new Map(),
  attachments: new Map(),
  files: [],
});
