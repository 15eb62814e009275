/**
 * netrecon itself, from the manifests for N sandboxes generated inside the
 * sandbox: cold apply, no-op plan and apply, one address changed (plan and
 * apply), drift repair of one veth deleted by hand, one more sandbox added
 * (`apply --no-prune` of it and the network) and removed (`delete` of its own
 * file), as a runtime calling netrecon once per container would; delete. The executable
 * path reaches the scripts through $BENCH_NETRECON (set by sandbox.ts), never
 * spliced into the script text.
 */
import { execa } from 'execa';
import type { Availability, Phase, Tool, ToolContext, TrialSpec } from '../types.js';
import { GATEWAY, SUBNET_PREFIX, WAIT_ONE_PORT_GONE, WAIT_ONLY_LO, WORK, checkSize, ipOf, nsName, range, rssWrap } from './common.js';
import { isExecutable } from './install.js';

const MANIFESTS = `${WORK}/manifests`;
const ATTACHMENTS = `${MANIFESTS}/attachments.yaml`;
const CHANGED = `${WORK}/attachments-changed.yaml`;
const EXTRA = `${WORK}/extra`;
const STATE = `--state-dir ${WORK}/state`;

interface Variant {
  readonly id: string;
  /** Masquerade on the bridge and one published port per attachment. */
  readonly masq: boolean;
}

function networkYaml(v: Variant): string {
  return [
    'apiVersion: netrecon.dev/v1', 'kind: Network', 'metadata: {name: bench}', 'spec:', '  driver: bridge',
    `  subnet: 10.88.0.0/${SUBNET_PREFIX}`, `  gateway: ${GATEWAY}`, `  bridge: {name: nr-bench, masquerade: ${v.masq}}`,
  ].join('\n') + '\n';
}

const sandboxYaml = (i: number): string => `apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: ${nsName(i)}}\nspec: {mode: private}\n`;

function sandboxesYaml(n: number): string {
  return range(n).map(sandboxYaml).join('---\n');
}

function attachmentYaml(i: number, address: string, masq: boolean): string {
  const publish = masq ? `\n  publish: [{hostPort: ${1024 + i}, port: 80, protocol: tcp}]` : '';
  return `apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: ${nsName(i)}-eth0}\nspec:\n  sandbox: ${nsName(i)}\n  network: bench\n  interface: eth0\n  address: ${address}${publish}\n`;
}

/** All attachments; with `changedIndex` that one gets the first unused address instead. */
function attachmentsYaml(n: number, masq: boolean, changedIndex?: number): string {
  return range(n).map((i) => attachmentYaml(i, i === changedIndex ? ipOf(n) : ipOf(i), masq)).join('---\n');
}

interface RunOptions {
  readonly expectExit?: number;
  readonly settle?: boolean;
  readonly expectPorts?: number;
  /** Script run after netrecon, inside the timed phase. */
  readonly after?: string;
  /** The -f arguments; default: every manifest. */
  readonly files?: string;
}

/** A timed phase running one netrecon command, checking its exit code, recording its peak RSS. */
function run(ctx: ToolContext, phase: string, command: string, opts: RunOptions = {}): Phase {
  const expectExit = opts.expectExit ?? 0;
  const rssFile = `${WORK}/rss-${phase}`;
  const call = `${rssWrap(ctx.timeBin, rssFile)}"$BENCH_NETRECON" ${command} ${opts.files ?? `-f ${MANIFESTS}`} ${STATE} > /dev/null`;
  const check = `[ "$rc" -eq ${expectExit} ] || { echo "netrecon ${command}: exit $rc, expected ${expectExit}" >&2; exit 1; }`;
  const script = [`rc=0`, `${call} || rc=$?`, check, ...(opts.after === undefined ? [] : [opts.after])].join('\n');
  return {
    name: phase,
    timed: true,
    script,
    ...(opts.expectPorts === undefined ? {} : { expectPorts: opts.expectPorts }),
    ...(opts.settle === true ? { settle: true } : {}),
    ...(ctx.timeBin === undefined ? {} : { rssFile }),
  };
}

function phases(n: number, ctx: ToolContext): Phase[] {
  const victim = nsName(Math.min(1, n - 1));
  return [
    run(ctx, 'apply-cold', 'apply', { expectPorts: n }),
    run(ctx, 'plan-noop', 'plan --detailed-exitcode', { settle: true }),
    run(ctx, 'apply-noop', 'apply', { expectPorts: n }),
    { name: 'edit-address', timed: false, script: `cp ${CHANGED} ${ATTACHMENTS}` },
    run(ctx, 'plan-change', 'plan --detailed-exitcode', { expectExit: 2 }),
    run(ctx, 'apply-change', 'apply', { expectPorts: n }),
    { name: 'delete-veth', timed: false, expectPorts: n - 1, script: `nsenter --net=/run/netns/${victim} ip link del eth0` },
    run(ctx, 'apply-drift', 'apply', { expectPorts: n }),
    run(ctx, 'add-one', 'apply --no-prune', { expectPorts: n + 1, files: `-f ${MANIFESTS}/network.yaml -f ${EXTRA}` }),
    run(ctx, 'remove-one', 'delete', { expectPorts: n, files: `-f ${EXTRA}`, after: WAIT_ONE_PORT_GONE(n) }),
    run(ctx, 'delete', 'delete', { expectPorts: 0, after: WAIT_ONLY_LO }),
    // The same delete trusting the record where the host vouches for a namespace (not read): see observe/vouch.ts.
    // Started on a settled kernel: right after a cold apply, IPv6 autoconfiguration floods the bridge for ~10 s (see report.ts).
    { ...run(ctx, 'apply-again', 'apply', { expectPorts: n }), timed: false },
    run(ctx, 'delete-no-refresh', 'delete --no-refresh', { expectPorts: 0, after: WAIT_ONLY_LO, settle: true }),
  ];
}

function trial(v: Variant, n: number, ctx: ToolContext): TrialSpec {
  if (v.masq && checkSize(n) > 64000) throw new Error('netrecon-masq publishes ports 1024+i: N must be <= 64000');
  const files = {
    [`${MANIFESTS}/network.yaml`]: networkYaml(v),
    [`${MANIFESTS}/sandboxes.yaml`]: sandboxesYaml(n),
    [ATTACHMENTS]: attachmentsYaml(n, v.masq),
    [CHANGED]: attachmentsYaml(n, v.masq, 0),
    // Sandbox number n (the first N are 0..n-1) on the address after the one the change phase uses.
    [`${EXTRA}/extra.yaml`]: `${sandboxYaml(n)}---\n${attachmentYaml(n, ipOf(n + 1), v.masq)}`,
  };
  return { tool: v.id, n, files, phases: phases(n, ctx) };
}

/** The most telling line of a failure's stderr (a stack trace starts with a file position). */
function firstError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '').trim().slice(0, 200);
}

async function available(ctx: ToolContext): Promise<Availability> {
  if (!(await isExecutable(ctx.netreconBin))) return { ok: false, reason: `${ctx.netreconBin} is missing or not executable (the CLI has not landed yet)` };
  const help = await execa(ctx.netreconBin, ['--help'], { reject: false, timeout: 30_000 });
  if (help.exitCode !== 0) return { ok: false, reason: `\`${ctx.netreconBin} --help\` exited ${help.exitCode ?? 'abnormally'}: ${firstError(help.stderr)}` };
  const version = await execa(ctx.netreconBin, ['--version'], { reject: false, timeout: 30_000 });
  return { ok: true, version: version.exitCode === 0 ? version.stdout.trim() : 'netrecon (no --version)' };
}

function tool(v: Variant, description: string): Tool {
  return { id: v.id, description, available, trial: (n, ctx) => trial(v, n, ctx) };
}

export const netreconTool = tool(
  { id: 'netrecon', masq: false },
  'netrecon CLI on generated manifests (1 bridge Network without masquerade, N Sandboxes, N Attachments with static addresses); delete timed until the host holds nothing but lo (no bridge, no veth end); peak RSS via /usr/bin/time',
);

export const netreconMasqTool = tool(
  { id: 'netrecon-masq', masq: true },
  'as netrecon with `masquerade: true` and one published port per attachment (compare with cni-masq)',
);
