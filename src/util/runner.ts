import { execa } from 'execa';

/**
 * The one seam through which netrecon runs system commands. Always an
 * argument array, never a shell. Tests inject a fake that records argv and
 * replays recorded output.
 */
export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
}

export interface Runner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** Thrown when the executable itself cannot be started (ENOENT, EACCES). */
export class SpawnError extends Error {
  readonly file: string;
  readonly errno: string;
  constructor(file: string, errno: string) {
    super(`cannot run ${file}: ${errno}`);
    this.name = 'SpawnError';
    this.file = file;
    this.errno = errno;
  }
}

export const execaRunner: Runner = {
  async run(file, args, options = {}) {
    const result = await execa(file, [...args], {
      input: options.input ?? '',
      reject: false,
      stripFinalNewline: false,
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
    const code = (result as { code?: string }).code;
    if (result.failed && result.exitCode === undefined && code !== undefined) throw new SpawnError(file, code);
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  },
};

/** Run `fn` over `items` with at most `limit` in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
