import type { Writable } from 'node:stream';
import { allocateAddresses, emptyLeaseTable } from '../ipam/index.js';
import { ManifestError } from '../model/errors.js';
import type { ParsedArgs } from './args.js';
import { manifestsFrom } from './session.js';

/**
 * `netrecon validate`: schema and semantic checks, and whether every pool has
 * room for its attachments (decidable from the manifests alone: leases of
 * earlier applies can only take room, never make it); needs no privileges
 * and touches nothing.
 */
export async function runValidate(args: ParsedArgs, out: Writable): Promise<number> {
  const m = await manifestsFrom(args);
  const { diagnostics } = allocateAddresses({ manifests: m, leases: emptyLeaseTable() });
  if (diagnostics.length > 0) throw new ManifestError(diagnostics);
  out.write(`valid: ${m.networks.size} network(s), ${m.sandboxes.size} sandbox(es), ${m.attachments.size} attachment(s) in ${m.files.length} file(s)\n`);
  return 0;
}
