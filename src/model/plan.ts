import type { Owner } from './resource.js';

/**
 * A plan is versioned data that fully describes an apply: ordered steps,
 * each with its exact commands and their inverse, computed at plan time.
 */

export const PLAN_VERSION = 1;

/**
 * Execution waves. Commands of one wave run as one `ip -batch` per namespace,
 * namespaces in parallel; waves run in this order. Deletes come first (inside
 * sandboxes, then on the host), then creates (host first: netns, bridges and
 * veths created with their peer already inside the sandbox; then inside each
 * sandbox), then the firewall.
 */
export const Wave = {
  nsDelete: 0,
  hostDelete: 1,
  hostCreate: 2,
  nsCreate: 3,
  firewall: 4,
} as const;
export type Wave = (typeof Wave)[keyof typeof Wave];

/** One line for `ip -batch` run in a namespace (HOST_NS for the root one). */
export interface IpCommand {
  readonly tool: 'ip';
  readonly ns: string;
  readonly wave: Wave;
  readonly args: readonly string[];
}

/** One `nft -f` transaction (text), or `nft -j -f` (json: a ruleset as `nft -j list` prints it). */
export interface NftCommand {
  readonly tool: 'nft';
  readonly wave: Wave;
  readonly format: 'text' | 'json';
  readonly script: string;
}

/** Write a value under /proc/sys in the host namespace (e.g. net.ipv4.ip_forward). */
export interface SysctlCommand {
  readonly tool: 'sysctl';
  readonly wave: Wave;
  readonly key: string;
  readonly value: string;
}

/** Write (content) or remove (null) a file netrecon owns, e.g. /etc/netns/<ns>/resolv.conf. */
export interface FileCommand {
  readonly tool: 'file';
  readonly wave: Wave;
  readonly path: string;
  readonly content: string | null;
  /** Make the file a symbolic link to this path instead. */
  readonly target?: string;
}

export type Command = IpCommand | NftCommand | SysctlCommand | FileCommand;

export type Action = 'create' | 'update' | 'delete' | 'replace';

export interface Step {
  /** Position in the plan, from 0. */
  readonly id: number;
  /** Resource address, e.g. "link/web/eth0". */
  readonly address: string;
  readonly action: Action;
  readonly owner: Owner;
  /** Addresses this step creates or removes as a side effect (e.g. a netns delete removes its links). */
  readonly covers: readonly string[];
  readonly commands: readonly Command[];
  /** Commands that undo `commands`, in the order they should run. */
  readonly inverse: readonly Command[];
  /** For display only: which fields differ, for updates and replaces. */
  readonly changes?: readonly FieldChange[];
  /**
   * A step that takes host veth ends off a bridge (a delete, a replace, or an
   * update moving one to another bridge): the lowest of their bridge port
   * numbers. Rollback recreates such steps' ports in
   * ascending order of it, so the bridge (which hands out the lowest free
   * number) gives each port its old number back.
   */
  readonly bridgePort?: number;
}

export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
}

export interface Plan {
  readonly version: typeof PLAN_VERSION;
  /** sha256 of the observed owned state the plan was computed from. */
  readonly observedDigest: string;
  readonly steps: readonly Step[];
  readonly summary: PlanSummary;
}
