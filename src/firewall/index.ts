/**
 * The nftables table inet netrecon: what the manifests ask for (pure), and
 * what `nft -j` says is there (pure parser). See README.md for the rules.
 */
export { FirewallBugError, NftJsonError } from './errors.js';
export { firewallFromNftJson, type ObservedFirewall } from './parse.js';
export { nftRestoreArgs } from './restore.js';
export { deleteTableScript, type DesiredFirewall, firewallFromManifests } from './script.js';

/** argv for nft: a DesiredFirewall.script or deleteTableScript() on stdin. */
export const NFT_APPLY_ARGS: readonly string[] = ['-f', '-'];
/** argv for nft whose stdout firewallFromNftJson reads (the table may be absent: no error). */
export const NFT_LIST_ARGS: readonly string[] = ['-j', 'list', 'ruleset'];
