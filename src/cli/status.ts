import type { Writable } from 'node:stream';
import type { ObservedState, Resource } from '../model/resource.js';
import { desiredWithAddresses, observe, priorLeases } from '../engine/prepare.js';
import type { EngineDeps } from '../engine/context.js';
import { isInSync, statusRows, type StatusRow } from '../reconcile/status.js';
import { requireOutput, type ParsedArgs } from './args.js';
import { engineDeps, makeLogger, requirePrivileges, stateDirOf } from './context.js';
import { readParseCache } from '../state/index.js';
import { manifestsFrom, readOnlyState } from './session.js';

interface ParentState {
  readonly parent: string;
  readonly operstate: string;
}

/** Operational state of every macvlan parent in use: sandboxes lose connectivity when it goes down. */
async function macvlanParents(deps: EngineDeps, resources: Iterable<Resource>): Promise<ParentState[]> {
  const parents = [...new Set([...resources].flatMap((r) => (r.type === 'macvlan' && r.parent ? [r.parent] : [])))].sort();
  return Promise.all(parents.map(async (parent) => {
    const r = await deps.runner.run('ip', ['-j', 'link', 'show', 'dev', parent]);
    const parsed = r.exitCode === 0 ? (JSON.parse(r.stdout) as { operstate?: string }[]) : [];
    return { parent, operstate: parsed[0]?.operstate ?? 'missing' };
  }));
}

/** Each sandbox namespace's addresses, from the observed state. */
const addressesByNetns = (observed: ObservedState): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const r of observed.resources.values()) if (r.type === 'addr' && !r.ns.startsWith('@')) (out[r.ns] ??= []).push(`${r.dev} ${r.cidr}`);
  return out;
};

const STATE_TEXT: Record<StatusRow['state'], string> = {
  'in-sync': 'in sync', drifted: 'DRIFTED', missing: 'MISSING', conflict: 'CONFLICT', 'not-declared': 'not declared', owned: 'owned',
};

function statusText(rows: readonly StatusRow[], addresses: Record<string, string[]>, parents: readonly ParentState[]): string {
  const width = Math.max(8, ...rows.map((r) => r.address.length));
  const lines = rows.map((r) => `${r.address.padEnd(width)}  ${STATE_TEXT[r.state]}${r.detail ? `  (${r.detail})` : ''}`);
  for (const [ns, addrs] of Object.entries(addresses).sort()) lines.push(`sandbox netns ${ns}: ${addrs.sort().join(', ')}`);
  for (const p of parents) lines.push(`macvlan parent ${p.parent}: ${p.operstate}`);
  const count = (s: StatusRow['state']): number => rows.filter((r) => r.state === s).length;
  lines.push(`Status: ${count('in-sync')} in sync, ${count('drifted')} drifted, ${count('missing')} missing, ${count('conflict')} conflicts, ${count('not-declared')} not declared${count('owned') ? `, ${count('owned')} owned` : ''}.`);
  return `${lines.join('\n')}\n`;
}

/** `netrecon status`: live state of everything netrecon owns, and drift against the manifests when given. */
export async function runStatus(args: ParsedArgs, out: Writable): Promise<number> {
  const output = requireOutput(args.output, ['text', 'json'], 'text');
  const manifests = args.files.length > 0 ? await manifestsFrom(args, undefined, await readParseCache(stateDirOf(args))) : undefined;
  requirePrivileges();
  const deps = engineDeps(args, makeLogger(args, 'warn'));
  const observed = await observe(deps);
  let desired: ReadonlyMap<string, Resource> | undefined;
  if (manifests) desired = desiredWithAddresses(observed, manifests, (await priorLeases(deps, await readOnlyState(deps), observed, manifests)).leases).desired;
  const rows = statusRows(desired, observed);
  const addresses = addressesByNetns(observed);
  const parents = await macvlanParents(deps, [...(desired?.values() ?? []), ...observed.resources.values()]);
  out.write(output === 'json' ? `${JSON.stringify({ inSync: isInSync(rows), resources: rows, sandboxes: addresses, macvlanParents: parents }, null, 2)}\n`
    : statusText(rows, addresses, parents));
  return args.detailedExitcode && !isInSync(rows) ? 2 : 0;
}
