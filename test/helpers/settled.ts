import { diffSnapshots } from './diff.js';
import type { KernelSandbox } from './sandbox.js';
import type { Snapshot } from './snapshot.js';
import { waitFor } from './wait.js';

/** The normalised snapshot once it equals `want`, or the last one after 5 s (the kernel removes a deleted netns's veth peers in the background). */
export async function settled(sb: KernelSandbox, want: Snapshot): Promise<Snapshot> {
  let last = await sb.normalisedSnapshot();
  await waitFor(async () => {
    last = await sb.normalisedSnapshot();
    return diffSnapshots(want, last).length === 0;
  }, { what: 'the kernel to settle', timeoutMs: 5_000, intervalMs: 100 }).catch(() => undefined);
  return last;
}
