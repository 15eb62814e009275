import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { EnvironmentError } from '../model/errors.js';
import { createLogger, type LogFormat, type Logger } from '../log.js';
import type { EngineDeps } from '../engine/context.js';
import type { Batch } from '../reconcile/batches.js';
import { ETC_NETNS } from '../reconcile/desired-files.js';
import { SpawnError, spawnRunner, type Runner } from '../util/runner.js';
import { usage, type ParsedArgs } from './args.js';

export const DEFAULT_STATE_DIR = '/var/lib/netrecon';
export const NETNS_DIR = '/run/netns';

const PACKAGE_OF: Record<string, string> = { ip: 'iproute2', nsenter: 'util-linux', nft: 'nftables' };

/** Turn "cannot start the program" into a one-line, actionable error. */
export const checkedRunner = (inner: Runner): Runner => ({
  async run(file, args, options) {
    try {
      return await inner.run(file, args, options);
    } catch (e: unknown) {
      if (e instanceof SpawnError && e.errno === 'ENOENT') {
        throw new EnvironmentError('tool-missing', `\`${file}\` not found: install ${PACKAGE_OF[file] ?? file} (e.g. apt-get install ${PACKAGE_OF[file] ?? file})`);
      }
      throw e;
    }
  },
});

/** netrecon changes network namespaces: it needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN. */
export function requirePrivileges(): void {
  if (process.getuid?.() === 0) return;
  const status = readFileSync('/proc/self/status', 'utf8');
  const capEff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(status)?.[1] ?? '0'}`);
  const has = (bit: bigint): boolean => ((capEff >> bit) & 1n) === 1n;
  if (has(12n) && has(21n)) return;
  throw new EnvironmentError('privileges', 'netrecon needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) to read and change network namespaces: run it with sudo');
}

export function makeLogger(args: ParsedArgs, defaultLevel: string): Logger {
  const format = args.logFormat;
  if (format !== undefined && format !== 'json' && format !== 'pretty') throw usage('--log-format must be json or pretty');
  const level = args.logLevel ?? defaultLevel;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw usage(`invalid --log-level "${level}"`);
  return createLogger({ level, format: format as LogFormat | undefined });
}

export const stateDirOf = (args: ParsedArgs): string => args.stateDir ?? process.env.NETRECON_STATE_DIR ?? DEFAULT_STATE_DIR;

/**
 * Test seam for fault injection (1-based batch counts within one apply):
 * NETRECON_FAULT="batch=N" makes the Nth batch fail before it runs (rollback
 * tests); "kill=N" SIGKILLs netrecon just before its Nth batch, after the
 * journal was written (crash-recovery tests).
 */
function faultInjectorFromEnv(): ((batch: Batch) => void) | undefined {
  const spec = process.env.NETRECON_FAULT;
  const m = spec ? /^(batch|kill)=(\d+)$/.exec(spec) : null;
  if (!m) return undefined;
  const target = Number(m[2]);
  let seen = 0;
  return (batch) => {
    seen += 1;
    if (seen !== target) return;
    if (m[1] === 'kill') process.kill(process.pid, 'SIGKILL');
    throw new Error(`injected fault (NETRECON_FAULT=${spec}) before batch in ${batch.ns}`);
  };
}

export function engineDeps(args: ParsedArgs, logger: Logger): EngineDeps {
  return {
    runner: checkedRunner(spawnRunner),
    logger,
    stateDir: stateDirOf(args),
    netnsDir: NETNS_DIR,
    etcNetnsDir: ETC_NETNS,
    concurrency: Math.max(2, availableParallelism() * 2),
    faultInjector: faultInjectorFromEnv(),
  };
}
