import assert from 'node:assert/strict';
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { rmdirSync } from 'node:fs';
import { mkdir, mkdtemp, rmdir, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { normalise, type NormaliseOptions } from './normalise.js';
import { killInsideSandbox, killQuietly } from './reaper.js';
import { collectSnapshot, type Snapshot } from './snapshot.js';
import { waitFor } from './wait.js';

/** The checkout root: this file is dist/test/helpers/sandbox.js. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** netrecon's default state directory; a private tmpfs inside every sandbox. */
/** netrecon's default state dir; scripts/private-mounts.sh puts a private 0700 tmpfs there. */
export const SANDBOX_STATE_DIR = '/var/lib/netrecon';

export interface RunOptions {
  readonly input?: string;
  /** Added to this process's environment. */
  readonly env?: Record<string, string>;
  /** Default 120 s; the command gets SIGTERM, then SIGKILL 5 s later. */
  readonly timeoutMs?: number;
  /** Working directory inside the sandbox; default the sandbox's workDir. */
  readonly cwd?: string;
}

export interface RunResult {
  /** 128 + signal number when killed by a signal. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
}

export interface SandboxProcess {
  /** The command's own pid (nsenter execs it), so signals reach the command. */
  readonly pid: number;
  /** Output so far, for waitFor checks. */
  output(): { stdout: string; stderr: string };
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the command exits; never rejects for a non-zero exit. */
  readonly exited: Promise<RunResult>;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * Runs in the new namespaces before the holder sleeps: the private mounts of
 * scripts/private-mounts.sh ($2), a tmpfs on the work dir ($1), lo up.
 */
const SETUP = [
  'set -e',
  'sh "$2"',
  'mount -t tmpfs -o mode=0755 netrecon-sandbox "$1"',
  'ip link set lo up',
  'echo ready',
  'exec sleep infinity',
].join('\n');

/** Every sandbox still open, killed synchronously if the test process exits without close(). */
const live = new Set<KernelSandbox>();
process.on('exit', () => {
  for (const sandbox of live) sandbox.killNow();
});

function toRunResult(result: Result, stdout?: string, stderr?: string): RunResult {
  const signal = result.signal ?? undefined;
  const exitCode = result.exitCode ?? (signal === undefined ? 1 : 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 0));
  const errno = result.exitCode === undefined && signal === undefined && !result.timedOut ? `${result.message}\n` : '';
  return { exitCode, stdout: stdout ?? String(result.stdout ?? ''), stderr: errno + (stderr ?? String(result.stderr ?? '')), signal, timedOut: result.timedOut };
}

function waitReady(holder: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string): void => reject(new Error(`sandbox holder ${why}; stderr: ${stderr.trim() || '(empty)'}`));
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    holder.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    holder.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    holder.once('error', (error) => (clearTimeout(timer), fail(`could not start: ${error.message}`)));
    holder.once('exit', (code, signal) => (clearTimeout(timer), fail(`exited early (${signal ?? code})`)));
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * A private network + mount namespace for one test. Everything made inside
 * (netns, links, tmpfs mounts) vanishes with the holder process in close().
 */
export class KernelSandbox {
  /** Pid of the holder process; `nsenter --target` joins its namespaces. */
  readonly pid: number;
  /** Private tmpfs for test files; the same path on the host is an empty directory. */
  readonly workDir: string;
  readonly stateDir = SANDBOX_STATE_DIR;
  private readonly holder: ChildProcess;
  private readonly children = new Set<SandboxProcess>();
  private closing: Promise<void> | undefined;

  private constructor(holder: ChildProcess, pid: number, workDir: string) {
    this.holder = holder;
    this.pid = pid;
    this.workDir = workDir;
  }

  static async create(): Promise<KernelSandbox> {
    const workDir = await mkdtemp(join(tmpdir(), 'netrecon-sandbox-'));
    const argv = ['--net', '--mount', '--propagation', 'private', '--', 'setpriv', '--pdeathsig', 'KILL', '--', 'sh', '-c', SETUP, 'sandbox-setup', workDir, join(repoRoot, 'scripts', 'private-mounts.sh')];
    const holder = spawnChild('unshare', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await waitReady(holder);
    } catch (error: unknown) {
      holder.kill('SIGKILL');
      await exitOf(holder);
      await rmdir(workDir).catch(() => undefined);
      throw error;
    }
    holder.stdout?.destroy();
    holder.stderr?.destroy();
    holder.unref(); // a forgotten close() must not hang the test file; 'exit' still kills it
    const sandbox = new KernelSandbox(holder, holder.pid as number, workDir);
    live.add(sandbox);
    return sandbox;
  }

  private nsenterArgs(argv: readonly string[], cwd: string | undefined): string[] {
    if (argv.length === 0) throw new Error('KernelSandbox: empty argv');
    // No --fork: nsenter, then setpriv, exec the command, so it keeps the pid.
    // pdeathsig kills it should this test process die without close().
    // nsenter opens --wd before entering the mount namespace: reach the
    // sandbox's directory through the holder's root, or a tmpfs is missed.
    const target = ['--target', String(this.pid), '--net', '--mount', `--wd=${this.hostPath(cwd ?? this.workDir)}`];
    return [...target, '--', 'setpriv', '--pdeathsig', 'KILL', '--', ...argv];
  }

  /** Run a command inside the sandbox to completion. Never rejects for a non-zero exit. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await execa('nsenter', this.nsenterArgs(argv, options.cwd), {
      input: options.input ?? '',
      env: options.env ?? {},
      timeout: options.timeoutMs ?? 120_000,
      reject: false,
      stripFinalNewline: false,
      encoding: 'utf8',
    });
    return toRunResult(result);
  }

  /** Start a long-running command (e.g. `netrecon watch`); close() kills it if still running. */
  spawn(argv: readonly string[], options: Omit<RunOptions, 'timeoutMs'> = {}): SandboxProcess {
    const subprocess = execa('nsenter', this.nsenterArgs(argv, options.cwd), {
      input: options.input ?? '',
      env: options.env ?? {},
      reject: false,
      buffer: false,
      encoding: 'utf8',
    });
    if (subprocess.pid === undefined) throw new Error(`KernelSandbox: could not spawn ${argv.join(' ')}`);
    const text = { stdout: '', stderr: '' };
    subprocess.stdout?.on('data', (chunk: Buffer | string) => (text.stdout += chunk.toString()));
    subprocess.stderr?.on('data', (chunk: Buffer | string) => (text.stderr += chunk.toString()));
    const handle: SandboxProcess = {
      pid: subprocess.pid,
      output: () => ({ ...text }),
      kill: (signal = 'SIGTERM') => killQuietly(handle.pid, signal),
      exited: subprocess.then((result) => toRunResult(result, text.stdout, text.stderr)),
    };
    this.children.add(handle);
    void handle.exited.then(() => this.children.delete(handle));
    return handle;
  }

  netrecon(args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.run([process.execPath, join(repoRoot, 'bin', 'netrecon'), ...args], options);
  }

  /** `netrecon ARGS` that must succeed (exit 0); its result. */
  async netreconOk(args: readonly string[], options?: RunOptions): Promise<RunResult> {
    const result = await this.netrecon(args, options);
    assert.equal(result.exitCode, 0, `netrecon ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    return result;
  }

  spawnNetrecon(args: readonly string[], options?: Omit<RunOptions, 'timeoutMs'>): SandboxProcess {
    return this.spawn([process.execPath, join(repoRoot, 'bin', 'netrecon'), ...args], options);
  }

  /** The host path through which this process reaches `sandboxPath` in the sandbox's mounts. */
  hostPath(sandboxPath: string): string {
    return `/proc/${this.pid}/root${posix.resolve('/', sandboxPath)}`;
  }

  /** Write files (name -> text) under workDir/`dir`; returns that directory's path inside the sandbox. */
  async writeFiles(dir: string, files: Record<string, string>): Promise<string> {
    const base = this.insideWorkDir(dir);
    for (const [name, text] of Object.entries(files)) {
      const target = this.hostPath(this.insideWorkDir(posix.join(dir, name)));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text);
    }
    await mkdir(this.hostPath(base), { recursive: true });
    return base;
  }

  private insideWorkDir(relative: string): string {
    const path = posix.resolve(this.workDir, relative);
    if (path !== this.workDir && !path.startsWith(`${this.workDir}/`)) {
      throw new Error(`KernelSandbox: ${relative} leaves the work directory`);
    }
    return path;
  }

  /** Kernel state of the sandbox root and every named netns (see snapshot.ts). */
  snapshot(): Promise<Snapshot> {
    return collectSnapshot((argv) => this.run(argv));
  }

  /** snapshot() passed through normalise(): for comparisons by name (see normalise.ts). */
  async normalisedSnapshot(options?: NormaliseOptions): Promise<Snapshot> {
    return normalise(await this.snapshot(), options);
  }

  /** One ping (1 s deadline) from a named netns, or from the sandbox root when null. */
  async ping(fromNetns: string | null, address: string): Promise<boolean> {
    const ping = ['ping', '-c1', '-W1', address];
    const result = await this.run(fromNetns === null ? ping : ['ip', 'netns', 'exec', fromNetns, ...ping], { timeoutMs: 10_000 });
    return result.exitCode === 0;
  }

  /** Kill everything in the sandbox and the holder, and wait for them; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    live.delete(this);
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all([...this.children].map((child) => child.exited));
    // Killed processes turn into zombies, which hold no namespace; repeat until none is left.
    await waitFor(async () => killInsideSandbox(this.pid).length === 0, {
      what: `processes inside sandbox ${this.pid} to exit`,
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    this.holder.ref();
    this.holder.kill('SIGKILL');
    await exitOf(this.holder);
    await rmdir(this.workDir).catch(() => undefined);
  }

  /** Synchronous last resort for process 'exit': no waiting possible there. */
  killNow(): void {
    killInsideSandbox(this.pid);
    this.holder.kill('SIGKILL');
    try {
      rmdirSync(this.workDir); // on the host it is an empty mount point
    } catch {
      // already removed
    }
  }
}
