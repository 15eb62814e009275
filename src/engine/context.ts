import type { Logger } from '../log.js';
import type { Batch } from '../reconcile/batches.js';
import type { Runner } from '../util/runner.js';

/** Everything the engine needs from the outside world, injected. */
export interface EngineDeps {
  readonly runner: Runner;
  readonly logger: Logger;
  readonly stateDir: string;
  readonly netnsDir: string;
  /** Where per-sandbox resolv.conf and hosts live (/etc/netns). */
  readonly etcNetnsDir: string;
  /** Namespaces read or written at once. */
  readonly concurrency: number;
  /** Test seam: throw from it to make a batch fail (see NETRECON_FAULT). */
  readonly faultInjector?: (batch: Batch) => void;
  /** How long verification waits for the kernel to finish asynchronous removals. */
  readonly settleMs?: number;
}
