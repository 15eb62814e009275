import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is being waited for, named in the timeout error ("veth carrier up"). */
  readonly what: string;
  /** Give up after this long; default 10 s. */
  readonly timeoutMs?: number;
  /** Pause between checks; default 50 ms. */
  readonly intervalMs?: number;
}

export class WaitTimeoutError extends Error {
  readonly what: string;
  constructor(what: string, timeoutMs: number, lastError: unknown) {
    const cause = lastError === undefined ? '' : ` (last check threw: ${describe(lastError)})`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    this.name = 'WaitTimeoutError';
    this.what = what;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Poll `check` until it returns true. Bounded: throws WaitTimeoutError naming
 * `what` once `timeoutMs` has passed. A check that throws counts as "not yet";
 * its last error is quoted in the timeout message.
 */
export async function waitFor(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error: unknown) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.what, timeoutMs, lastError);
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
