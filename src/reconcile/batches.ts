import type { IpCommand, Step, Wave } from '../model/plan.js';

/** One `ip -batch` invocation: consecutive commands of one wave in one namespace. */
export interface Batch {
  readonly wave: Wave;
  readonly ns: string;
  readonly lines: readonly BatchLine[];
}

export interface BatchLine {
  readonly stepId: number;
  readonly command: IpCommand;
}

/**
 * Group commands into waves (ascending), and each wave into one batch per
 * namespace, keeping the given order inside a batch. Used by the executor,
 * by rollback (on inverses) and by `plan -o sh`, so all three agree.
 */
export function batchesOf(lines: readonly BatchLine[]): Batch[][] {
  const waves = new Map<Wave, Map<string, BatchLine[]>>();
  for (const line of lines) {
    const { wave, ns } = line.command;
    let byNs = waves.get(wave);
    if (!byNs) waves.set(wave, (byNs = new Map()));
    const list = byNs.get(ns);
    if (list) list.push(line);
    else byNs.set(ns, [line]);
  }
  return [...waves.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, byNs]) => [...byNs.entries()].map(([ns, ls]) => ({ wave, ns, lines: ls })));
}

export const forwardLines = (steps: readonly Step[]): BatchLine[] =>
  steps.flatMap((s) => s.commands.map((command) => ({ stepId: s.id, command })));

/** Inverses of the given steps, last step first. */
export const inverseLines = (steps: readonly Step[]): BatchLine[] =>
  [...steps].reverse().flatMap((s) => s.inverse.map((command) => ({ stepId: s.id, command })));
