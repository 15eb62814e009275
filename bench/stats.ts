/** Aggregation of trial results: medians per (tool, size, phase). */
import type { TrialResult } from './types.js';

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Sample {
  readonly ms: number[];
  readonly rssKb: number[];
}

export interface Summary {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
  readonly medianRssKb: number | undefined;
}

function key(tool: string, n: number, phase: string): string {
  return `${tool}\u0000${n}\u0000${phase}`;
}

/** Timings per phase; a failed trial still counts for the phases it completed before failing. */
export class Results {
  private readonly samples = new Map<string, Sample>();
  readonly errors: TrialResult[] = [];
  /** Phase names per tool, in first-seen order. */
  readonly phases = new Map<string, string[]>();

  add(trial: TrialResult): void {
    if (trial.error !== undefined) this.errors.push(trial);
    const names = this.phases.get(trial.tool) ?? [];
    for (const p of trial.phases) {
      if (!names.includes(p.name)) names.push(p.name);
      const k = key(trial.tool, trial.n, p.name);
      const s = this.samples.get(k) ?? { ms: [], rssKb: [] };
      s.ms.push(p.ms);
      if (p.rssKb !== undefined) s.rssKb.push(p.rssKb);
      this.samples.set(k, s);
    }
    this.phases.set(trial.tool, names);
  }

  summary(tool: string, n: number, phase: string): Summary | undefined {
    const s = this.samples.get(key(tool, n, phase));
    if (s === undefined) return undefined;
    const medianMs = median(s.ms);
    if (medianMs === undefined) return undefined;
    return { medianMs, minMs: Math.min(...s.ms), maxMs: Math.max(...s.ms), runs: s.ms.length, medianRssKb: median(s.rssKb) };
  }
}
