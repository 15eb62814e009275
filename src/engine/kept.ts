/**
 * apply --no-prune keeps what earlier applies made. IPAM and what objects
 * share (the firewall table, forwarding, hosts files) must then see the kept
 * objects too, and a newcomer must not take an address a kept one holds.
 * Pure.
 */
import { diagnosticAt, type Diagnostic } from '../model/diagnostic.js';
import type { ManifestSet } from '../model/manifest.js';
import { shortRef } from '../model/diagnostic.js';
import type { Assignment } from '../reconcile/desired.js';
import { filesOfSandboxes, peerIndex } from '../reconcile/desired-files.js';
import type { FileResource, ObservedState } from '../model/resource.js';
import { mergeApplied, type AppliedSet } from './applied.js';

const KEPT = 'an earlier apply made it and --no-prune keeps it';

/** The own hosts files of kept sandboxes (they list their networks' members): rewritten when they exist, never created. */
export function keptSandboxFiles(manifests: ManifestSet, remaining: ManifestSet, assignments: ReadonlyMap<string, Assignment>, observed: ObservedState): FileResource[] {
  const kept = [...remaining.sandboxes.values()].filter((s) => !manifests.sandboxes.has(s.name));
  return filesOfSandboxes(kept, peerIndex(remaining, assignments)).filter((f) => observed.resources.get(f.key)?.type === 'file');
}

/** This apply's objects over the kept ones (this apply wins a name). */
export const withKept = (manifests: ManifestSet, kept: AppliedSet): ManifestSet =>
  ({ ...mergeApplied(kept, { manifests, assignments: new Map() }).manifests, files: manifests.files });

/** A diagnostic about a kept object says so: its file is not one the user passed. */
export const labelKept = (manifests: ManifestSet, diagnostics: readonly Diagnostic[]): Diagnostic[] =>
  diagnostics.map((d) => (manifests.files.includes(d.file) ? d : { ...d, message: `${d.message} (${KEPT}: pass its manifest, or delete it)` }));

/** An attachment of this apply with an address a kept attachment on its network holds. */
export function takenFromKept(manifests: ManifestSet, remaining: ManifestSet, assignments: ReadonlyMap<string, Assignment>): Diagnostic[] {
  const held = new Map<string, string>();
  for (const k of remaining.attachments.values()) {
    const as = assignments.get(k.name);
    if (manifests.attachments.has(k.name) || as === undefined) continue;
    for (const ip of [as.ipv4, as.ipv6]) if (ip !== undefined) held.set(`${k.network} ${ip}`, k.name);
  }
  const out: Diagnostic[] = [];
  for (const a of manifests.attachments.values()) {
    const as = assignments.get(a.name);
    for (const ip of as === undefined ? [] : [as.ipv4, as.ipv6]) {
      const holder = ip === undefined ? undefined : held.get(`${a.network} ${ip}`);
      const k = holder === undefined ? undefined : remaining.attachments.get(holder);
      if (k === undefined) continue;
      out.push(diagnosticAt(a.source, 'address-in-use',
        `attachment ${a.name}: address ${ip ?? ''} on network ${a.network} is held by attachment ${k.name} (${shortRef(k.source)}; ${KEPT})`));
    }
  }
  return out;
}
