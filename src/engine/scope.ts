/**
 * Which namespaces a reconcile must read. `delete` and `apply --no-prune`
 * touch only what their manifests own, so on a host with N sandboxes,
 * deleting or adding one reads its namespace (and the host), not all N —
 * as a runtime calling netrecon once per container needs. Everything else
 * (an apply that prunes, anything without a trustworthy record of the last
 * apply or without the lease file, which a rebuild would need) reads all.
 * A sandbox's namespaces are the one it has now, the one at the last apply,
 * and any an apply --no-prune left behind when it gave the sandbox another.
 * Pure.
 */
import type { ManifestSet, SandboxSpec } from '../model/manifest.js';
import type { ObservedState } from '../model/resource.js';
import { sandboxNetns } from '../reconcile/desired-files.js';
import type { AppliedSet } from './applied.js';
import type { Intent } from './prepare.js';

/** The namespaces to read, sorted; undefined: all of them. */
export function observeScope(intent: Intent, manifests: ManifestSet, applied: AppliedSet | undefined, leasesOnFile: boolean): string[] | undefined {
  if ((intent.kind === 'apply' && intent.prune) || applied === undefined || !leasesOnFile) return undefined;
  const names = new Set<string>();
  const versions = (sandbox: string): SandboxSpec[] =>
    [manifests.sandboxes.get(sandbox), applied.manifests.sandboxes.get(sandbox)].filter((s): s is SandboxSpec => s !== undefined);
  const addSandbox = (sandbox: string): void => {
    for (const s of versions(sandbox)) {
      const ns = sandboxNetns(s);
      if (ns !== undefined) names.add(ns);
      // container:<other> lives in the other's namespace.
      const shared = s.shareWith === undefined ? [] : versions(s.shareWith).map(sandboxNetns);
      for (const other of shared) if (other !== undefined) names.add(other);
    }
    for (const ns of applied.leftBehind?.get(sandbox) ?? []) names.add(ns);
  };
  for (const sandbox of manifests.sandboxes.keys()) addSandbox(sandbox);
  for (const a of manifests.attachments.values()) {
    addSandbox(a.sandbox);
    const before = applied.manifests.attachments.get(a.name);
    if (before !== undefined) addSandbox(before.sandbox);
  }
  return [...names].sort();
}

/**
 * A scoped read missed something these manifests own: a veth of one of
 * their attachments ends in a namespace outside the scope (made by hand, or
 * by an apply the record does not describe). Then everything must be read.
 */
export const scopeMissed = (observed: ObservedState, manifests: ManifestSet): boolean =>
  (observed.unpaired ?? []).some((owner) => owner.startsWith('attachment/') && manifests.attachments.has(owner.slice('attachment/'.length)));
