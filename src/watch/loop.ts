/**
 * A serial, coalescing reconcile loop: triggers arriving within the debounce
 * window become one reconcile; reconciles never overlap; triggers arriving
 * during one cause exactly one more; a failure is retried with exponential
 * backoff. Time comes from injected functions so tests need no real clock.
 */
export type TriggerKind = 'start' | 'file' | 'kernel' | 'resync' | 'signal' | 'retry';

export interface Trigger {
  readonly kind: TriggerKind;
  readonly detail?: string;
}

export type ReconcileResult = 'ok' | 'failed';

export interface LoopOptions {
  readonly reconcile: (triggers: readonly Trigger[]) => Promise<ReconcileResult>;
  readonly debounceMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** Schedules fn after ms; returns a cancel function (setTimeout in production). */
  readonly schedule: (fn: () => void, ms: number) => () => void;
}

export class ReconcileLoop {
  private pending: Trigger[] = [];
  private running: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: LoopOptions) {}

  /** Ask for a reconcile; bursts are coalesced. */
  trigger(t: Trigger): void {
    if (this.stopped) return;
    this.pending.push(t);
    if (this.running) return; // one more run follows the current one
    this.arm(this.options.debounceMs);
  }

  /** Stop: no new reconcile starts; resolves when the one in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.running;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private arm(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.options.schedule(() => this.fire(), ms);
  }

  private fire(): void {
    this.cancelTimer = undefined;
    if (this.stopped || this.running || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.running = this.runOnce(batch).finally(() => {
      this.running = undefined;
      this.afterRun();
    });
  }

  private async runOnce(batch: readonly Trigger[]): Promise<void> {
    const result = await this.options.reconcile(batch).catch((): ReconcileResult => 'failed');
    this.failures = result === 'ok' ? 0 : this.failures + 1;
  }

  private afterRun(): void {
    if (this.stopped) return;
    if (this.pending.length > 0) return this.arm(this.options.debounceMs);
    if (this.failures > 0) {
      const { initialMs, maxMs } = this.options.backoff;
      this.pending.push({ kind: 'retry', detail: `attempt ${this.failures + 1}` });
      this.arm(Math.min(maxMs, initialMs * 2 ** (this.failures - 1)));
    }
  }
}

export const timerSchedule = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};
