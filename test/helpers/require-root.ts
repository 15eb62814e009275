import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { KernelSandbox } from './sandbox.js';

let probe: Promise<string | undefined> | undefined;

/** Why kernel tests cannot run here, or undefined when they can. Probed once per process. */
export function kernelSandboxUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    if (process.getuid?.() !== 0) return 'kernel tests need root (they create network namespaces)';
    const result = await execa('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'true'], { reject: false });
    if (result.exitCode !== 0) {
      return `unshare --net --mount is not permitted here: ${String(result.stderr).trim() || result.message}`;
    }
    return undefined;
  })();
  return probe;
}

/**
 * Call first in every kernel test: returns false after skipping the test,
 * with the reason printed, when not root or namespaces cannot be made.
 *   if (!(await requireRoot(t))) return;
 */
export async function requireRoot(t: TestContext): Promise<boolean> {
  const reason = await kernelSandboxUnavailable();
  if (reason === undefined) return true;
  t.diagnostic(`skipped: ${reason}`);
  t.skip(reason);
  return false;
}

/**
 * requireRoot + KernelSandbox.create(), closed automatically when the test
 * ends (pass or fail). Undefined when the test was skipped.
 */
export async function sandboxFor(t: TestContext): Promise<KernelSandbox | undefined> {
  if (!(await requireRoot(t))) return undefined;
  const sandbox = await KernelSandbox.create();
  t.after(() => sandbox.close());
  return sandbox;
}
