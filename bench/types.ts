/** Data shared by the bench's outer driver and the runner inside each sandbox. */

/** One step of a trial: a bash script run inside the sandbox, timed or not. */
export interface Phase {
  readonly name: string;
  readonly script: string;
  /** Untimed phases prepare the next timed one (e.g. delete a veth by hand). */
  readonly timed: boolean;
  /** After the phase, this many bridge ports must exist in the sandbox root netns. */
  readonly expectPorts?: number;
  /**
   * Before the phase (untimed), wait until the sandbox root's bridges have
   * received no packet for a few seconds: for ~10 s after N interfaces come
   * up, their IPv6 autoconfiguration (DAD, router solicitations, MLD
   * reports) is flooded to every port of the bridge, N x N packet copies
   * that keep a CPU busy in softirq and slow any read of the kernel.
   */
  readonly settle?: boolean;
  /** File where `/usr/bin/time -f %M -o FILE` wrote the peak RSS (KiB). */
  readonly rssFile?: string;
}

/** Everything one sandbox (one `unshare`) runs: files written first, untimed, then phases. */
export interface TrialSpec {
  readonly tool: string;
  readonly n: number;
  readonly files: Readonly<Record<string, string>>;
  readonly phases: readonly Phase[];
}

export interface PhaseResult {
  readonly name: string;
  readonly ms: number;
  readonly rssKb?: number;
}

/** What the runner inside the sandbox prints as its only stdout line. */
export interface TrialResult {
  readonly tool: string;
  readonly n: number;
  readonly phases: readonly PhaseResult[];
  readonly error?: string;
}

export type Availability =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly reason: string };

export interface ToolContext {
  /** Absolute path of the netrecon executable under test. */
  readonly netreconBin: string;
  /** `/usr/bin/time` when present: peak RSS is measured with it. */
  readonly timeBin: string | undefined;
  /** May the bench apt-get install missing Debian packages? */
  readonly install: boolean;
}

export interface Tool {
  readonly id: string;
  /** One line for BENCHMARKS.md: what exactly is run. */
  readonly description: string;
  available(ctx: ToolContext): Promise<Availability>;
  trial(n: number, ctx: ToolContext): TrialSpec;
}
