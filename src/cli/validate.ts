import type { Writable } from 'node:stream';
import type { ParsedArgs } from './args.js';
import { manifestsFrom } from './session.js';

/** `netrecon validate`: schema and semantic checks only; needs no privileges and touches nothing. */
export async function runValidate(args: ParsedArgs, out: Writable): Promise<number> {
  const m = await manifestsFrom(args);
  out.write(`valid: ${m.networks.size} network(s), ${m.sandboxes.size} sandbox(es), ${m.attachments.size} attachment(s) in ${m.files.length} file(s)\n`);
  return 0;
}
