import { parseArgs } from 'node:util';
import { NetreconError } from '../model/errors.js';

/**
 * Command-line parsing with node:util's parseArgs: global options are
 * accepted before or after the command name, like kubectl's.
 */
export const COMMANDS = ['apply', 'plan', 'delete', 'validate', 'status', 'watch', 'exec', 'help', 'version'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface ParsedArgs {
  readonly command: CommandName;
  readonly positionals: readonly string[];
  /** Everything after `--` (exec). */
  readonly rest: readonly string[];
  readonly files: readonly string[];
  readonly output?: string;
  readonly dryRun: boolean;
  readonly prune: boolean;
  /** delete: where the host vouches for a namespace, take it from the record once a glance inside confirms it (default), or without the glance (--no-refresh); read the rest. */
  readonly refresh: boolean;
  readonly allowEmpty: boolean;
  readonly detailedExitcode: boolean;
  readonly stateDir?: string;
  readonly logLevel?: string;
  readonly logFormat?: string;
  readonly resync?: string;
  readonly help: boolean;
}

const OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  output: { type: 'string', short: 'o' },
  'dry-run': { type: 'boolean' },
  'no-prune': { type: 'boolean' },
  'no-refresh': { type: 'boolean' },
  'allow-empty': { type: 'boolean' },
  'detailed-exitcode': { type: 'boolean' },
  'state-dir': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  resync: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** Which options each command takes, beyond the global ones. */
const ALLOWED: Record<CommandName, readonly string[]> = {
  apply: ['file', 'output', 'dry-run', 'no-prune', 'allow-empty'],
  plan: ['file', 'output', 'detailed-exitcode', 'no-prune', 'allow-empty'],
  delete: ['file', 'output', 'dry-run', 'no-refresh'],
  validate: ['file'],
  status: ['file', 'output', 'detailed-exitcode'],
  watch: ['resync', 'no-prune', 'allow-empty'],
  exec: [],
  help: [],
  version: [],
};
const GLOBAL = ['state-dir', 'log-level', 'log-format', 'help', 'version'];

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const dashdash = argv.indexOf('--');
  const head = dashdash < 0 ? [...argv] : argv.slice(0, dashdash);
  const rest = dashdash < 0 ? [] : argv.slice(dashdash + 1);
  const { values, positionals } = parseOrThrow(head);
  const first = positionals[0];
  const command: CommandName = values.version && !first ? 'version' : first === undefined ? 'help' : asCommand(first);
  for (const key of Object.keys(values)) {
    if (!GLOBAL.includes(key) && !ALLOWED[command].includes(key)) throw usage(`${command} does not take --${key}`);
  }
  const { files, others } = filesOf(command, values.file ?? [], positionals.slice(1));
  return {
    command, positionals: others, rest, files, output: values.output,
    dryRun: values['dry-run'] ?? false, prune: !(values['no-prune'] ?? false),
    refresh: !(values['no-refresh'] ?? false), allowEmpty: values['allow-empty'] ?? false,
    detailedExitcode: values['detailed-exitcode'] ?? false, stateDir: values['state-dir'], logLevel: values['log-level'],
    logFormat: values['log-format'], resync: values.resync, help: values.help ?? false,
  };
}

/** `-f PATH...`: paths after -f that are not options are files too (commands that take files take no other arguments). */
function filesOf(command: CommandName, flagged: readonly string[], positionals: readonly string[]): { files: string[]; others: string[] } {
  if (!ALLOWED[command].includes('file')) return { files: [...flagged], others: [...positionals] };
  if (positionals.length > 0 && flagged.length === 0) throw usage(`${command} takes manifests with -f PATH (got "${positionals[0]}")`);
  return { files: [...flagged, ...positionals], others: [] };
}

function parseOrThrow(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e: unknown) {
    throw usage(e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e));
  }
}

function asCommand(name: string): CommandName {
  if ((COMMANDS as readonly string[]).includes(name)) return name as CommandName;
  throw usage(`unknown command "${name}"`);
}

export const usage = (message: string): NetreconError => new NetreconError('usage', `${message}\nRun 'netrecon help' for usage.`);

/** Parse "30s", "5m", "1500ms", "2h" into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw usage(`invalid duration "${text}" (use e.g. 30s, 5m, 500ms)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

export function requireOutput(value: string | undefined, allowed: readonly string[], fallback: string): string {
  const out = value ?? fallback;
  if (!allowed.includes(out)) throw usage(`-o must be one of ${allowed.join(', ')}`);
  return out;
}
