import { diagnosticAt, shortRef, type Diagnostic } from '../model/diagnostic.js';
import type { AttachmentSpec, ManifestSet } from '../model/manifest.js';
import { macFromIpv4 } from '../util/cidr.js';
import { byCodeUnit } from '../util/order.js';
import type { Assignment } from './desired.js';

const byName = (a: AttachmentSpec, b: AttachmentSpec): number => byCodeUnit(a.name, b.name);

/**
 * Two interfaces on one network with the same MAC (an explicit `mac` equal
 * to another's, or to the MAC another's address gives it): the bridge
 * forwards that MAC to one port only, so one of them loses its traffic.
 * Known once addresses are allocated; reported at the attachment that sets
 * its MAC explicitly (or the later by name). Pure.
 */
export function macCollisions(manifests: Pick<ManifestSet, 'attachments'>, assignments: ReadonlyMap<string, Assignment>): Diagnostic[] {
  const seen = new Map<string, AttachmentSpec>();
  const out: Diagnostic[] = [];
  // Derived MACs first: the one to change is the explicit one.
  const ordered = [...manifests.attachments.values()].sort((a, b) => Number(a.mac !== undefined) - Number(b.mac !== undefined) || byName(a, b));
  for (const a of ordered) {
    const ipv4 = assignments.get(a.name)?.ipv4;
    const mac = a.mac ?? (ipv4 === undefined ? undefined : macFromIpv4(ipv4));
    if (mac === undefined) continue;
    const key = `${a.network} ${mac}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, a);
      continue;
    }
    // Two derived MACs alike are two addresses alike: IPAM reports that.
    if (a.mac === undefined) continue;
    out.push(diagnosticAt(a.source, 'collision',
      `spec.mac: ${mac} is also the MAC of attachment ${first.name} (${shortRef(first.source)}) on network ${a.network}${first.mac === undefined ? ', derived from its address' : ''}: the network would deliver its traffic to one of them only`));
  }
  return out;
}
