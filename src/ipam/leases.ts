import { familyOf, isIp } from '../util/cidr.js';

/**
 * Persistent IPAM state: which attachment holds which address, per network.
 * Plain JSON so it can be written to the state directory as it is.
 */
export interface Lease {
  readonly ipv4?: string;
  readonly ipv6?: string;
  /**
   * Set when the attachment no longer exists: the value of `LeaseTable.counter`
   * at the time it was released (a logical clock, so allocation stays pure).
   */
  readonly released?: number;
}

export interface LeaseTable {
  readonly version: 1;
  /** Monotonic counter; bumped once per lease released. */
  readonly counter: number;
  /** network name -> attachment name -> lease. */
  readonly networks: Readonly<Record<string, Readonly<Record<string, Lease>>>>;
}

export const LEASE_TABLE_VERSION = 1;

export const emptyLeaseTable = (): LeaseTable => ({ version: 1, counter: 0, networks: {} });

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Keys are manifest names (DNS labels), which also keeps "__proto__" and the like out. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const hasNameKeys = (x: Record<string, unknown>): boolean => Object.keys(x).every((k) => NAME.test(k));

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

const isAddressOf = (x: unknown, family: 4 | 6): boolean => typeof x === 'string' && isIp(x) && familyOf(x) === family;

const LEASE_FIELDS = new Set(['ipv4', 'ipv6', 'released']);

export const isLease = (x: unknown): x is Lease =>
  isRecord(x) &&
  Object.keys(x).every((k) => LEASE_FIELDS.has(k)) &&
  (x.ipv4 === undefined || isAddressOf(x.ipv4, 4)) &&
  (x.ipv6 === undefined || isAddressOf(x.ipv6, 6)) &&
  (x.released === undefined || isCount(x.released));

/** Runtime check for a lease table read from disk (strict: unknown fields are rejected). */
export const isLeaseTable = (x: unknown): x is LeaseTable =>
  isRecord(x) &&
  Object.keys(x).every((k) => k === 'version' || k === 'counter' || k === 'networks') &&
  x.version === LEASE_TABLE_VERSION &&
  isCount(x.counter) &&
  isRecord(x.networks) &&
  hasNameKeys(x.networks) &&
  Object.values(x.networks).every((leases) => isRecord(leases) && hasNameKeys(leases) && Object.values(leases).every(isLease));
