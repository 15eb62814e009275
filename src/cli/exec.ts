import { spawn } from 'node:child_process';
import { NetreconError } from '../model/errors.js';
import { observe } from '../engine/prepare.js';
import type { ParsedArgs } from './args.js';
import { usage } from './args.js';
import { engineDeps, makeLogger, requirePrivileges } from './context.js';

/** Find the namespace netrecon made for a sandbox (its lo carries netrecon:sandbox/<name>). */
async function netnsOfSandbox(args: ParsedArgs, sandbox: string): Promise<string> {
  const deps = engineDeps(args, makeLogger(args, 'warn'));
  const observed = await observe(deps);
  for (const r of observed.resources.values()) if (r.type === 'netns' && r.owner === `sandbox/${sandbox}`) return r.ns;
  throw new NetreconError('not-found', `no sandbox "${sandbox}" managed by netrecon on this host (apply its manifests first)`);
}

/**
 * `netrecon exec SANDBOX -- CMD ARGS...`: run CMD in the sandbox's namespace
 * through `ip netns exec`, so /etc/netns/<ns>/ files apply, and pass its exit status through.
 */
export async function runExec(args: ParsedArgs): Promise<number> {
  const sandbox = args.positionals[0];
  if (sandbox === undefined || args.positionals.length > 1 || args.rest.length === 0) throw usage('usage: netrecon exec SANDBOX -- CMD [ARG...]');
  requirePrivileges();
  const ns = await netnsOfSandbox(args, sandbox);
  return new Promise<number>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...args.rest], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
    });
  });
}

const signalNumber = (s: NodeJS.Signals): number => ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1 } as Record<string, number>)[s] ?? 1;
