import type { Writable } from 'node:stream';
import { formatDiagnostic, sortDiagnostics } from '../model/diagnostic.js';
import { ManifestError, NetreconError } from '../model/errors.js';
import { parseCommandLine, type ParsedArgs } from './args.js';
import { HELP } from './help.js';

const VERSION = '0.1.0';

/** Each command's module is loaded only when it runs: startup stays small (no chokidar for a plan, no nft parser for validate). */
async function dispatch(args: ParsedArgs, out: Writable): Promise<number> {
  if (args.help || args.command === 'help') return out.write(HELP), 0;
  switch (args.command) {
    case 'version': return out.write(`netrecon ${VERSION}\n`), 0;
    case 'apply':
    case 'delete': return (await import('./apply.js')).runApply(args, out);
    case 'plan': return (await import('./plan.js')).runPlan(args, out);
    case 'validate': return (await import('./validate.js')).runValidate(args, out);
    case 'status': return (await import('./status.js')).runStatus(args, out);
    case 'exec': return (await import('./exec.js')).runExec(args);
    case 'watch': return (await import('./watch.js')).runWatch(args);
  }
}

/** Print an error for a person: diagnostics one per line, user errors in one line, bugs as bugs. */
export function reportError(e: unknown, err: Writable): number {
  if (e instanceof ManifestError) {
    for (const d of sortDiagnostics(e.diagnostics)) err.write(`${formatDiagnostic(d)}\n`);
    err.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof NetreconError) {
    err.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const detail = e instanceof Error ? (process.env.NETRECON_DEBUG ? e.stack ?? e.message : e.message) : String(e);
  err.write(`netrecon: internal error (a bug; please report it): ${detail}\n`);
  return 1;
}

/** The only place that decides the process's exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  let code: number;
  try {
    code = await dispatch(parseCommandLine(argv), process.stdout);
  } catch (e: unknown) {
    code = reportError(e, process.stderr);
  }
  process.exitCode = code;
}
