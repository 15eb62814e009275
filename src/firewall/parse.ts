import { NftJsonError } from './errors.js';
import { DIGEST_PATTERN, TABLE_FAMILY, TABLE_NAME } from './names.js';
import { type Entry, isObject, type JsonObject, restoreOf } from './restore.js';

/** The live table inet netrecon, as read with `nft -j`. */
export interface ObservedFirewall {
  /** From the rule comment "netrecon:<digest>"; undefined when no rule carries one. */
  readonly digest: string | undefined;
  readonly chains: number;
  readonly rules: number;
  /**
   * nft JSON commands that atomically replace the table with exactly this
   * one (handles stripped). Run with `nft ...nftRestoreArgs(restore)`, or
   * `nft -j -f FILE`; not `nft -j -f -` from node: nft 1.0.6 opens
   * /dev/stdin for JSON, which fails (ENXIO) on node's socket stdin.
   */
  readonly restore: string;
}


/** Fields each kind must carry as strings; other kinds are kept when they name our table, else ignored. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  table: ['family', 'name'],
  chain: ['family', 'table', 'name'],
  rule: ['family', 'table', 'chain'],
  set: ['family', 'table', 'name'],
  map: ['family', 'table', 'name'],
};

function entryOf(item: unknown, index: number): Entry | undefined {
  if (!isObject(item)) throw new NftJsonError(`nftables[${index}] is not an object`);
  const kind = Object.keys(item)[0];
  if (kind === undefined || kind === 'metainfo') return undefined;
  const body = item[kind];
  if (!isObject(body)) throw new NftJsonError(`nftables[${index}].${kind} is not an object`);
  for (const field of REQUIRED[kind] ?? []) {
    if (typeof body[field] !== 'string') throw new NftJsonError(`nftables[${index}].${kind}.${field} is not a string`);
  }
  return { kind, body };
}

const isOurs = ({ kind, body }: Entry): boolean =>
  body['family'] === TABLE_FAMILY && (kind === 'table' ? body['name'] : body['table']) === TABLE_NAME;

function entriesOf(json: unknown): Entry[] {
  if (!isObject(json) || !Array.isArray(json['nftables'])) throw new NftJsonError('not an object with an "nftables" array');
  return json['nftables'].map(entryOf).filter((e): e is Entry => e !== undefined && isOurs(e));
}

function digestOf(rules: readonly Entry[]): string | undefined {
  for (const { body } of rules) {
    const match = typeof body['comment'] === 'string' ? DIGEST_PATTERN.exec(body['comment']) : null;
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * Reads the table inet netrecon from `nft -j list table inet netrecon` or
 * `nft -j list ruleset` output; undefined when the table is not there.
 * Unknown fields and kinds are tolerated; a document without nft's shape
 * throws NftJsonError.
 */
export function firewallFromNftJson(json: unknown): ObservedFirewall | undefined {
  const entries = entriesOf(json);
  if (!entries.some((e) => e.kind === 'table')) return undefined;
  const rules = entries.filter((e) => e.kind === 'rule');
  return {
    digest: digestOf(rules),
    chains: entries.filter((e) => e.kind === 'chain').length,
    rules: rules.length,
    restore: restoreOf(entries),
  };
}
