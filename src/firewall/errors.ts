import { ObserveError } from '../model/errors.js';

/**
 * A value that validation should have rejected reached the firewall
 * generator (an unsafe name, an address that is not one, a publish without
 * the address it needs). This is a bug in netrecon, not a user error.
 */
export class FirewallBugError extends Error {
  constructor(message: string) {
    super(`bug: ${message}`);
    this.name = new.target.name;
  }
}

/** `nft -j` output that does not have nft's shape. */
export class NftJsonError extends ObserveError {
  constructor(message: string) {
    super(`nft -j output: ${message}`);
  }
}
