import type { PublishSpec } from '../../model/manifest.js';
import { familyOf, ipToBigint, isIp } from '../../util/cidr.js';
import type { AttachmentEntry } from './attachments.js';
import { collisions, shortRef } from './common.js';
import type { Findings } from './common.js';

const ipKey = (ip: string | undefined): string | undefined => (ip !== undefined && isIp(ip) ? ipToBigint(ip).toString() : undefined);

const owner = (e: AttachmentEntry): string => `attachment ${e.base.name} (${shortRef(e.base.source)})`;

function checkAddresses(entries: readonly AttachmentEntry[], f: Findings): void {
  for (const field of ['address', 'address6'] as const) {
    const keyOf = (e: AttachmentEntry): string | undefined => {
      const ip = ipKey(e.base[field]);
      return ip === undefined ? undefined : `${e.base.network}/${ip}`;
    };
    for (const [later, first] of collisions(entries, keyOf)) {
      const msg = `${later.base[field] ?? ''} on network ${later.base.network} is also the address of ${owner(first)}`;
      f.field(later.item.at, ['spec', field], 'collision', msg);
    }
  }
}

interface Published {
  readonly entry: AttachmentEntry;
  readonly index: number;
  readonly p: PublishSpec;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

const hostIpsClash = (a: string, b: string): boolean =>
  isIp(a) && isIp(b) && familyOf(a) === familyOf(b) && (WILDCARDS.has(a) || WILDCARDS.has(b) || ipToBigint(a) === ipToBigint(b));

/** Two publishes of one host port and protocol clash when their host IPs are equal or one is the wildcard. */
function checkPublish(entries: readonly AttachmentEntry[], f: Findings): void {
  const byPort = new Map<string, Published[]>();
  for (const entry of entries) {
    entry.base.publish.forEach((p, index) => {
      const key = `${p.protocol}/${p.hostPort}`;
      byPort.set(key, [...(byPort.get(key) ?? []), { entry, index, p }]);
    });
  }
  for (const group of byPort.values()) {
    group.forEach((later, i) => {
      const first = group.slice(0, i).find((g) => hostIpsClash(g.p.hostIP, later.p.hostIP));
      if (first === undefined) return;
      const { p } = later;
      const msg = `host port ${p.protocol} ${p.hostIP}:${p.hostPort} is also published by ${owner(first.entry)} as ${first.p.hostIP}:${first.p.hostPort}`;
      f.field(later.entry.item.at, ['spec', 'publish', later.index, 'hostPort'], 'collision', msg);
    });
  }
}

/** A macvlan passthru parent gives its one device to one attachment only. */
function checkPassthru(entries: readonly AttachmentEntry[], f: Findings): void {
  const byParent = new Map<string, AttachmentEntry[]>();
  for (const e of entries) {
    const parent = e.network?.spec.macvlan?.parent;
    if (parent !== undefined) byParent.set(parent, [...(byParent.get(parent) ?? []), e]);
  }
  for (const [parent, group] of byParent) {
    const passthru = group.find((e) => e.network?.spec.macvlan?.mode === 'passthru');
    if (passthru === undefined || group.length < 2) continue;
    const first = group[0] ?? passthru;
    for (const e of group.slice(1)) {
      const msg = `parent ${parent} is in macvlan passthru mode and already used by ${owner(first)}; passthru allows one attachment per parent`;
      f.field(e.item.at, ['spec', 'network'], 'collision', msg);
    }
  }
}

/** Checks across all attachments: addresses per network, host ports, passthru parents. */
export function checkAttachmentCollisions(entries: readonly AttachmentEntry[], f: Findings): void {
  checkAddresses(entries, f);
  checkPublish(entries, f);
  checkPassthru(entries, f);
}
