/**
 * One measured trial = one fresh private sandbox: `unshare --net --mount
 * --propagation private` runs inner.js, which times the phases from inside,
 * so sandbox creation is excluded and no trial can see another's state.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { PARENT_NS_ENV, namespaceIds } from './namespaces.js';
import type { ToolContext, TrialResult, TrialSpec } from './types.js';

const INNER = fileURLToPath(new URL('./inner.js', import.meta.url));
const TRIAL_TIMEOUT_MS = 60 * 60 * 1000;

function isTrialResult(value: unknown): value is TrialResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['tool'] === 'string' && typeof v['n'] === 'number' && Array.isArray(v['phases']);
}

function parseResult(stdout: string): TrialResult | undefined {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed: unknown = JSON.parse(last);
    return isTrialResult(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function runTrial(spec: TrialSpec, ctx: ToolContext): Promise<TrialResult> {
  const argv = ['--net', '--mount', '--propagation', 'private', '--', process.execPath, INNER];
  const result = await execa('unshare', argv, {
    input: JSON.stringify(spec),
    env: { BENCH_NETRECON: ctx.netreconBin, [PARENT_NS_ENV]: (await namespaceIds()).join(' ') },
    reject: false,
    timeout: TRIAL_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const parsed = parseResult(result.stdout);
  if (parsed !== undefined) return parsed;
  const why = result.timedOut ? 'timed out' : `exited ${result.exitCode ?? result.signal ?? '?'}`;
  return { tool: spec.tool, n: spec.n, phases: [], error: `sandbox ${why}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` };
}
