import type { Writable } from 'node:stream';
import { observe } from '../engine/prepare.js';
import { requireOutput, type ParsedArgs } from './args.js';
import { engineDeps, makeLogger, requirePrivileges } from './context.js';

/** `netrecon status`: the live state of everything netrecon owns. */
export async function runStatus(args: ParsedArgs, out: Writable): Promise<number> {
  const output = requireOutput(args.output, ['text', 'json'], 'text');
  requirePrivileges();
  const deps = engineDeps(args, makeLogger(args, 'warn'));
  const observed = await observe(deps);
  const rows = [...observed.resources.values()].sort((a, b) => a.key.localeCompare(b.key));
  if (output === 'json') out.write(`${JSON.stringify({ resources: rows }, null, 2)}\n`);
  else out.write(rows.length === 0 ? 'netrecon owns nothing on this host.\n' : `${rows.map((r) => `${r.key}  (${r.owner})`).join('\n')}\n`);
  return 0;
}
