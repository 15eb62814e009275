import type { AttachmentSpec, SandboxSpec } from '../../model/manifest.js';
import type { Item } from '../documents.js';
import { checkAddress, checkAddress6, checkMac, checkPublish, checkRoutes } from './attachment-fields.js';
import { normalizeIp } from './common.js';
import type { Findings } from './common.js';
import { checkAttachmentCollisions } from './attachment-collisions.js';
import type { NetworkView } from './networks.js';
import { assignPerSandbox } from './per-sandbox.js';

type AttItem = Item<'Attachment'>;

/** An attachment before the per-sandbox defaults (interface, defaultRoute). */
export interface AttachmentEntry {
  readonly item: AttItem;
  readonly network?: NetworkView;
  readonly base: Omit<AttachmentSpec, 'interface' | 'defaultRoute'>;
}

export interface AttachmentInputs {
  readonly networks: ReadonlyMap<string, NetworkView>;
  readonly sandboxes: ReadonlyMap<string, SandboxSpec>;
  /** "Kind/name" of documents that failed the schema. */
  readonly invalid: ReadonlySet<string>;
}

function checkReferences(item: AttItem, inputs: AttachmentInputs, f: Findings): void {
  const { sandbox, network } = item.spec;
  const known = (kind: string, name: string): boolean => inputs.invalid.has(`${kind}/${name}`);
  if (!inputs.networks.has(network) && !known('Network', network)) f.field(item.at, ['spec', 'network'], 'reference', `network ${network} not found`);
  const target = inputs.sandboxes.get(sandbox);
  if (target === undefined) {
    if (!known('Sandbox', sandbox)) f.field(item.at, ['spec', 'sandbox'], 'reference', `sandbox ${sandbox} not found`);
  } else if (target.mode !== 'private') {
    const why =
      target.mode === 'container'
        ? `shares sandbox ${target.shareWith ?? ''}'s netns; attach to ${target.shareWith ?? ''} instead`
        : `has mode ${target.mode}, which takes no attachments`;
    f.field(item.at, ['spec', 'sandbox'], 'mode', `sandbox ${sandbox} ${why}`);
  }
}

function attachmentEntry(item: AttItem, inputs: AttachmentInputs, f: Findings): AttachmentEntry {
  checkReferences(item, inputs, f);
  const network = inputs.networks.get(item.spec.network);
  if (network !== undefined) {
    checkAddress(item, network, f);
    checkAddress6(item, network, f);
  }
  const mac = checkMac(item, f);
  const { address, address6 } = item.spec;
  const base = {
    name: item.name,
    labels: item.labels,
    sandbox: item.spec.sandbox,
    network: item.spec.network,
    ...(address === undefined ? {} : { address }),
    ...(address6 === undefined ? {} : { address6: normalizeIp(address6) }),
    ...(mac === undefined ? {} : { mac }),
    routes: checkRoutes(item, network, f),
    publish: checkPublish(item, network, f),
    source: item.source,
  };
  return { item, base, ...(network === undefined ? {} : { network }) };
}

/** Attachments with every default filled in; references, addresses, names and collisions checked. */
export function resolveAttachments(items: readonly AttItem[], inputs: AttachmentInputs, f: Findings): Map<string, AttachmentSpec> {
  const entries = items.map((item) => attachmentEntry(item, inputs, f));
  checkAttachmentCollisions(entries, f);
  const specs = assignPerSandbox(entries, f);
  return new Map(specs.map((s) => [s.name, s]));
}
