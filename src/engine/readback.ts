import { HOST_NS, type ObservedState } from '../model/resource.js';
import type { Step } from '../model/plan.js';
import { listNetnsDir, observedFromSnapshots, readNamespace, snapshotFromBatch, type NamespaceSnapshot } from '../observe/index.js';
import { observeFiles, withFiles } from '../observe/files.js';
import type { StateDir } from '../state/index.js';
import { mapLimit } from '../util/runner.js';
import type { EngineDeps } from './context.js';
import { observeShared, withLocalnet } from './shared.js';

/** The namespace a resource address lives in: the second segment ("link/web/eth0" -> "web"); nft/sysctl: the host. */
const nsOfAddress = (address: string): string => {
  const [kind, ns] = address.split('/');
  return kind === 'nft' || kind === 'sysctl' || ns === undefined ? HOST_NS : ns;
};

/** Every namespace an apply may have changed: where its commands ran, and where its resources live. */
export function touchedNamespaces(steps: readonly Step[]): Set<string> {
  const out = new Set<string>([HOST_NS]);
  for (const s of steps) {
    out.add(nsOfAddress(s.address));
    for (const c of s.commands) if (c.tool === 'ip') out.add(c.ns);
    for (const key of s.covers) out.add(nsOfAddress(key));
  }
  return out;
}

/**
 * The owned state after an apply, re-observed without a second process per
 * namespace: each touched namespace's last batch already printed it (read
 * back); touched namespaces without such output are read now; untouched
 * ones are as observed before the apply. Files and shared resources are read anew.
 */
export async function observedAfterApply(deps: EngineDeps, state: StateDir, before: ObservedState, steps: readonly Step[], readBacks: ReadonlyMap<string, string>): Promise<ObservedState> {
  const touched = touchedNamespaces(steps);
  const existing = new Set(await listNetnsDir(deps.netnsDir));
  const wanted = [...touched].filter((ns) => ns === HOST_NS || existing.has(ns));
  const snapshots = await mapLimit(wanted, deps.concurrency, async (ns): Promise<NamespaceSnapshot | undefined> => {
    const printed = readBacks.get(ns);
    return printed !== undefined ? snapshotFromBatch(ns, printed) : readNamespace(deps.runner, ns, { netnsDir: deps.netnsDir });
  });
  const host = snapshots.find((s) => s?.ns === HOST_NS);
  if (!host) throw new Error('bug: the host namespace was not read back');
  const fresh = observedFromSnapshots(host, snapshots.filter((s): s is NamespaceSnapshot => s !== undefined && s.ns !== HOST_NS), { partial: true });
  const [files, shared, read] = await Promise.all([observeFiles(deps.etcNetnsDir), observeShared(deps.runner, state), withLocalnet(fresh.resources)]);
  const kept = [...before.resources.values()].filter((r) => !touched.has(r.ns) && r.type !== 'file' && r.ns !== HOST_NS);
  const kernel: ObservedState = { resources: new Map([...kept, ...read.values()].map((r) => [r.key, r])), foreign: fresh.foreign };
  return {
    ...withFiles(kernel, { resources: [...files.resources, ...shared.resources], foreign: [] }),
    nftAvailable: shared.nftAvailable,
    ...(fresh.unpaired === undefined ? {} : { unpaired: fresh.unpaired }),
  };
}
