/** The machine a run was measured on, for BENCHMARKS.md. */
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release } from 'node:os';
import { execa } from 'execa';

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly kernel: string;
  readonly iproute2: string;
  readonly node: string;
  readonly date: string;
  readonly commit: string;
  /** 1-minute load average when the run ended: other work on the machine skews timings. */
  readonly load: string;
}

async function cpuModel(): Promise<string> {
  const info = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const line = info.split('\n').find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? 'unknown';
}

async function output(file: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await execa(file, [...args], { reject: false, cwd });
  return result.exitCode === 0 ? result.stdout.trim() : 'unknown';
}

/** HEAD, flagged when src/ or bin/ differ from it: then netrecon was measured from uncommitted code. */
async function commitOf(repoRoot: string): Promise<string> {
  const head = await output('git', ['rev-parse', '--short', 'HEAD'], repoRoot);
  const dirty = await output('git', ['status', '--porcelain', '--', 'src', 'bin'], repoRoot);
  return dirty === '' ? head : `${head} + uncommitted changes in src/ or bin/`;
}

export async function describeMachine(repoRoot: string): Promise<Machine> {
  return {
    nproc: availableParallelism(),
    cpu: await cpuModel(),
    kernel: release(),
    iproute2: await output('ip', ['-V'], repoRoot),
    node: process.version,
    date: new Date().toISOString(),
    commit: await commitOf(repoRoot),
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}
