/** A fake Runner for the observe tests: records every call and answers from a function. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { RunResult, Runner } from '../../src/util/runner.js';

export interface Call {
  readonly file: string;
  readonly args: readonly string[];
  readonly input: string | undefined;
}

export type Answer = (call: Call) => RunResult | Promise<RunResult>;

export interface FakeRunner extends Runner {
  readonly calls: Call[];
  /** Most calls in flight at once. */
  readonly maxInFlight: () => number;
}

export function fakeRunner(answer: Answer, delayMs = 0): FakeRunner {
  const calls: Call[] = [];
  let inFlight = 0;
  let max = 0;
  return {
    calls,
    maxInFlight: () => max,
    async run(file, args, options = {}) {
      const call = { file, args: [...args], input: options.input };
      calls.push(call);
      max = Math.max(max, ++inFlight);
      try {
        if (delayMs > 0) await sleep(delayMs);
        return await answer(call);
      } finally {
        inFlight--;
      }
    },
  };
}

export const ok = (stdout: string): RunResult => ({ exitCode: 0, stdout, stderr: '' });
export const fail = (exitCode: number, stderr: string): RunResult => ({ exitCode, stdout: '', stderr });

/** Recorded cases: test/fixtures/ip-json/<case>/ (see its README). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ip-json/', import.meta.url));

export const fixtureCases = (): string[] =>
  readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

export interface Expected {
  readonly resources: readonly unknown[];
  readonly foreign: readonly unknown[];
}

export interface FixtureCase {
  readonly names: string[];
  readonly expected: Expected;
  readonly version: string;
  /** Answers `ip -V`, the host read and `nsenter --net=<dir>/<ns>` reads from the recorded files. */
  readonly answer: Answer;
}

export function fixtureCase(name: string): FixtureCase {
  const dir = join(FIXTURES, name);
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const version = read('ip-version.txt');
  const answer: Answer = ({ file, args }) => {
    if (file === 'ip' && args[0] === '-V') return ok(version);
    if (file === 'ip') return ok(read('@host.out'));
    const ns = basename(args[0] ?? '');
    if (!existsSync(join(dir, `${ns}.out`))) return fail(1, `nsenter: cannot open ${args[0]?.slice(6)}: No such file or directory\n`);
    return ok(read(`${ns}.out`));
  };
  const expected = JSON.parse(read('expected.json')) as Expected;
  return { names: read('netns.txt').split('\n').filter((l) => l !== ''), expected, version: version.trim(), answer };
}
