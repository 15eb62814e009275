/**
 * Runs inside one private sandbox (`unshare --net --mount`, started by
 * sandbox.ts): mounts a tmpfs over /run, a fresh sysfs and tmpfs-backed
 * overlays over /etc and /var/lib (nothing reaches the host's disk), writes the
 * trial's files, runs its phases in order, timing the timed ones with the
 * monotonic clock, and prints one JSON TrialResult line on stdout.
 */
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { PARENT_NS_ENV, namespaceIds } from './namespaces.js';
import { WORK } from './tools/common.js';
import type { Phase, PhaseResult, TrialResult, TrialSpec } from './types.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Refuse to touch anything unless both namespaces differ from those of the bench that started us. */
async function assertPrivate(): Promise<void> {
  const parent = process.env[PARENT_NS_ENV];
  if (parent === undefined) throw new Error(`refusing to run: ${PARENT_NS_ENV} not set (start via sandbox.ts)`);
  const mine = await namespaceIds();
  if (mine.some((id) => parent.split(' ').includes(id))) throw new Error(`refusing to run: not in a private net+mnt namespace (${mine.join(' ')})`);
}

/** The mounts every sandbox of this repository starts with (tmpfs /run, overlays on /etc and /var/lib). */
const PRIVATE_MOUNTS = fileURLToPath(new URL('../../scripts/private-mounts.sh', import.meta.url));

async function mount(args: readonly string[]): Promise<void> {
  await execa('mount', ['--no-mtab', ...args]);
}

async function prepareSandbox(): Promise<void> {
  await assertPrivate();
  await execa('sh', [PRIVATE_MOUNTS]);
  await mount(['-t', 'sysfs', 'bench-sys', '/sys']);
  await mkdir(WORK, { recursive: true });
  await execa('mkfifo', [`${WORK}/sleep.fifo`]);
}

async function writeFiles(files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    if (!path.startsWith(`${WORK}/`)) throw new Error(`trial file outside ${WORK}: ${path}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Bridge ports in the sandbox root netns (links with a `brport` directory). */
async function countPorts(): Promise<number> {
  const links = await readdir('/sys/class/net');
  const ports = await Promise.all(links.map((l) => exists(`/sys/class/net/${l}/brport`)));
  return ports.filter(Boolean).length;
}

async function readRss(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const last = text.trim().split('\n').pop() ?? '';
  return /^\d+$/.test(last) ? Number(last) : undefined;
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}

/** Packets received so far by the bridges of the sandbox root netns. */
async function bridgeRxPackets(): Promise<number> {
  let total = 0;
  for (const link of await readdir('/sys/class/net')) {
    if (!(await exists(`/sys/class/net/${link}/bridge`))) continue;
    total += Number(await readFile(`/sys/class/net/${link}/statistics/rx_packets`, 'utf8').catch(() => '0'));
  }
  return total;
}

const QUIET_MS = 5_000;
const SETTLE_LIMIT_MS = 60_000;

/** Waits until no bridge received a packet for QUIET_MS (at most SETTLE_LIMIT_MS); see Phase.settle. */
async function settle(): Promise<void> {
  const started = performance.now();
  let last = await bridgeRxPackets();
  let quietSince = performance.now();
  while (performance.now() - quietSince < QUIET_MS && performance.now() - started < SETTLE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await bridgeRxPackets();
    if (now !== last) [last, quietSince] = [now, performance.now()];
  }
}

async function runPhase(phase: Phase, index: number): Promise<PhaseResult> {
  const file = `${WORK}/phase-${index}.sh`;
  await writeFile(file, `set -e -o pipefail\n${phase.script}\n`);
  if (phase.settle) await settle();
  const start = performance.now();
  const result = await execa('bash', [file], { reject: false, stdin: 'ignore', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (result.exitCode !== 0) throw new Error(`phase ${phase.name} exited ${result.exitCode ?? result.signal ?? '?'}: ${tail(result.stderr)}`);
  if (phase.expectPorts !== undefined) {
    const ports = await countPorts();
    if (ports !== phase.expectPorts) throw new Error(`after phase ${phase.name}: ${ports} bridge ports, expected ${phase.expectPorts}`);
  }
  const rssKb = phase.rssFile === undefined ? undefined : await readRss(phase.rssFile);
  return { name: phase.name, ms, ...(rssKb === undefined ? {} : { rssKb }) };
}

async function main(): Promise<void> {
  const spec = JSON.parse(await readStdin()) as TrialSpec;
  const phases: PhaseResult[] = [];
  let error: string | undefined;
  try {
    await prepareSandbox();
    await writeFiles(spec.files);
    for (const [index, phase] of spec.phases.entries()) {
      const result = await runPhase(phase, index);
      if (phase.timed) phases.push(result);
    }
  } catch (e: unknown) {
    error = e instanceof Error ? e.message : String(e);
  }
  const out: TrialResult = { tool: spec.tool, n: spec.n, phases, ...(error === undefined ? {} : { error }) };
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
