import { isIp, parseCidr } from '../util/cidr.js';
import { FirewallBugError } from './errors.js';

/** The one table netrecon owns. */
export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'netrecon';
/** Prefix of the rule comment that carries the digest ("netrecon:<16 hex>"). */
export const DIGEST_PREFIX = 'netrecon:';
export const DIGEST_PATTERN = /^netrecon:([0-9a-f]{16})$/;

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/** A name that goes into the script between double quotes (interface, comment). */
export function safeName(name: string, what: string): string {
  if (!SAFE_NAME.test(name)) throw new FirewallBugError(`${what} ${JSON.stringify(name)} is not a safe nft name`);
  return name;
}

export function safeIp(ip: string, what: string): string {
  if (!isIp(ip)) throw new FirewallBugError(`${what} ${JSON.stringify(ip)} is not an IP address`);
  return ip;
}

export function safeCidr(cidr: string, what: string): string {
  if (parseCidr(cidr) === undefined) throw new FirewallBugError(`${what} ${JSON.stringify(cidr)} is not a CIDR`);
  return cidr;
}

export function safePort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FirewallBugError(`${what} ${String(port)} is not a port`);
  return port;
}
