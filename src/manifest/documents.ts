import type { MacvlanMode, ResourceKind, SourceRef } from '../model/manifest.js';
import type { ParsedDoc } from './parse.js';
import type { Locate } from './positions.js';

/**
 * Document shapes as the JSON Schemas in schemas/ accept them: optional
 * fields are still optional here, defaults are filled in later.
 */
export interface RawNetwork {
  readonly driver?: 'bridge' | 'macvlan';
  readonly subnet: string;
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly subnet6?: string;
  readonly gateway6?: string;
  readonly mtu?: number;
  readonly bridge?: { readonly name?: string; readonly internal?: boolean; readonly masquerade?: boolean; readonly icc?: boolean };
  readonly macvlan?: { readonly parent: string; readonly mode?: MacvlanMode };
}

export interface RawSandbox {
  readonly mode?: string;
  readonly netns?: string;
  readonly dns?: { readonly nameservers?: readonly string[]; readonly search?: readonly string[] };
  readonly hosts?: Readonly<Record<string, string>>;
}

export interface RawAttachment {
  readonly sandbox: string;
  readonly network: string;
  readonly interface?: string;
  readonly address?: string;
  readonly address6?: string;
  readonly mac?: string;
  readonly defaultRoute?: boolean;
  readonly routes?: readonly { readonly to: string; readonly via: string }[];
  readonly publish?: readonly {
    readonly hostPort: number;
    readonly port: number;
    readonly protocol?: 'tcp' | 'udp';
    readonly hostIP?: string;
  }[];
}

interface RawSpecs {
  readonly Network: RawNetwork;
  readonly Sandbox: RawSandbox;
  readonly Attachment: RawAttachment;
}

/** A schema-valid document of one kind, with what diagnostics need. */
export interface Item<K extends ResourceKind = ResourceKind> {
  readonly kind: K;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: RawSpecs[K];
  readonly at: Locate;
  /** Position of metadata.name. */
  readonly source: SourceRef;
}

export interface ItemsByKind {
  readonly Network: Item<'Network'>[];
  readonly Sandbox: Item<'Sandbox'>[];
  readonly Attachment: Item<'Attachment'>[];
}

/**
 * Only for documents that passed the schema: their shape is then known, so
 * the casts below state what the schema has checked.
 */
export function itemsFromDocs(docs: readonly ParsedDoc[]): ItemsByKind {
  const out: ItemsByKind = { Network: [], Sandbox: [], Attachment: [] };
  for (const doc of docs) {
    const meta = doc.value['metadata'] as { name: string; labels?: Record<string, string> };
    const base = { name: meta.name, labels: meta.labels ?? {}, at: doc.at, source: doc.at(['metadata', 'name']) };
    const spec = doc.value['spec'];
    const kind = doc.value['kind'] as ResourceKind;
    if (kind === 'Network') out.Network.push({ ...base, kind, spec: spec as RawNetwork });
    if (kind === 'Sandbox') out.Sandbox.push({ ...base, kind, spec: spec as RawSandbox });
    if (kind === 'Attachment') out.Attachment.push({ ...base, kind, spec: spec as RawAttachment });
  }
  return out;
}
