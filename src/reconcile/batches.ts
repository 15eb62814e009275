import type { Command, IpCommand, Step, Wave } from '../model/plan.js';

/**
 * One unit of execution: an `ip -batch` of consecutive commands of one wave
 * in one namespace, or a single other command (nft transaction, sysctl, file).
 */
export type Batch =
  | { readonly kind: 'ip'; readonly wave: Wave; readonly ns: string; readonly lines: readonly BatchLine<IpCommand>[] }
  | { readonly kind: 'single'; readonly wave: Wave; readonly ns: string; readonly lines: readonly [BatchLine<Command>] };

export interface BatchLine<C extends Command = Command> {
  readonly stepId: number;
  readonly command: C;
}

const SINGLE_NS = '@single';

/**
 * Group commands into waves (ascending), and each wave into one batch per
 * namespace, keeping the given order inside a batch; other tools run one by
 * one after the wave's ip batches. Used by the executor, by rollback (on
 * inverses) and by `plan -o sh`, so all three agree.
 */
export function batchesOf(lines: readonly BatchLine[]): Batch[][] {
  const waves = new Map<Wave, { ip: Map<string, BatchLine<IpCommand>[]>; single: BatchLine[] }>();
  for (const line of lines) {
    const { wave } = line.command;
    let w = waves.get(wave);
    if (!w) waves.set(wave, (w = { ip: new Map(), single: [] }));
    if (line.command.tool !== 'ip') {
      w.single.push(line);
      continue;
    }
    const ipLine = line as BatchLine<IpCommand>;
    const list = w.ip.get(ipLine.command.ns);
    if (list) list.push(ipLine);
    else w.ip.set(ipLine.command.ns, [ipLine]);
  }
  return [...waves.entries()].sort(([a], [b]) => a - b).map(([wave, w]) => [
    ...[...w.ip.entries()].map(([ns, ls]): Batch => ({ kind: 'ip', wave, ns, lines: ls })),
    ...w.single.map((l): Batch => ({ kind: 'single', wave, ns: SINGLE_NS, lines: [l] })),
  ]);
}

export const forwardLines = (steps: readonly Step[]): BatchLine[] =>
  steps.flatMap((s) => s.commands.map((command) => ({ stepId: s.id, command })));

/**
 * Inverses of the given steps, last step first; except that the steps which
 * bring back bridge ports swap places among themselves so those ports are
 * recreated in ascending order of their old numbers (Step.bridgePort).
 */
export function inverseLines(steps: readonly Step[]): BatchLine[] {
  const order = [...steps].reverse();
  const slots = order.flatMap((s, i) => (s.bridgePort === undefined ? [] : [i]));
  const byPort = slots.map((i) => order[i] as Step).sort((a, b) => (a.bridgePort ?? 0) - (b.bridgePort ?? 0));
  slots.forEach((slot, k) => { order[slot] = byPort[k] as Step; });
  return order.flatMap((s) => s.inverse.map((command) => ({ stepId: s.id, command })));
}
