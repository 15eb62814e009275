import { spawn } from 'node:child_process';
import { NetreconError } from '../model/errors.js';
import { observe } from '../engine/prepare.js';
import { loadRecords, type SandboxRecord } from '../engine/records.js';
import type { EngineDeps } from '../engine/context.js';
import type { ParsedArgs } from './args.js';
import { usage } from './args.js';
import { engineDeps, makeLogger, requirePrivileges } from './context.js';
import { readOnlyState } from './session.js';

/** Where a sandbox's processes live: its own netns, another's (container:<other>), or the host's. */
type Target = { readonly kind: 'netns'; readonly ns: string } | { readonly kind: 'host' };

/** The namespace netrecon made for a sandbox (its lo carries netrecon:sandbox/<name>). */
async function netnsByMark(deps: EngineDeps, sandbox: string): Promise<string | undefined> {
  for (const r of (await observe(deps)).resources.values()) if (r.type === 'netns' && r.owner === `sandbox/${sandbox}`) return r.ns;
  return undefined;
}

async function targetOf(deps: EngineDeps, sandbox: string): Promise<Target> {
  const state = await readOnlyState(deps);
  const records: Record<string, SandboxRecord> = state ? await loadRecords(state) : {};
  const record = records[sandbox];
  if (record?.mode === 'host') return { kind: 'host' };
  const owner = record?.mode === 'container' && record.shareWith ? record.shareWith : sandbox;
  const ns = await netnsByMark(deps, owner);
  if (ns !== undefined) return { kind: 'netns', ns };
  throw new NetreconError('not-found', `no sandbox "${sandbox}" managed by netrecon on this host (apply its manifests first)`);
}

/**
 * `netrecon exec SANDBOX -- CMD ARGS...`: run CMD where the sandbox's
 * processes would run — through `ip netns exec`, so /etc/netns/<ns>/ files
 * apply — and pass its exit status through.
 */
export async function runExec(args: ParsedArgs): Promise<number> {
  const sandbox = args.positionals[0];
  if (sandbox === undefined || args.positionals.length > 1 || args.rest.length === 0) throw usage('usage: netrecon exec SANDBOX -- CMD [ARG...]');
  requirePrivileges();
  const target = await targetOf(engineDeps(args, makeLogger(args, 'warn')), sandbox);
  const [file, argv] = target.kind === 'host' ? [args.rest[0] as string, args.rest.slice(1)] : ['ip', ['netns', 'exec', target.ns, ...args.rest]];
  return new Promise<number>((resolve, reject) => {
    const child = spawn(file, argv, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', (e) => reject(new NetreconError('exec', `cannot run ${args.rest[0]}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15));
    });
  });
}
