import { FirewallBugError } from './errors.js';
import { TABLE_FAMILY, TABLE_NAME } from './names.js';

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One object of `nft -j list` output: its kind ("table", "chain", "rule", ...) and body. */
export interface Entry {
  readonly kind: string;
  readonly body: JsonObject;
}

const withoutHandle = (body: JsonObject): JsonObject => Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'handle'));

const rank = (kind: string): number => (kind === 'table' ? 0 : kind === 'chain' ? 2 : kind === 'rule' ? 3 : 1);

/**
 * `add` commands that recreate the listed objects: the table first, then
 * sets and other objects, chains, rules (each kind in listing order),
 * after creating and deleting the table so it replaces whatever is there.
 */
export function restoreOf(entries: readonly Entry[]): string {
  const ref = { family: TABLE_FAMILY, name: TABLE_NAME };
  const ordered = [...entries].sort((a, b) => rank(a.kind) - rank(b.kind));
  const commands = [{ add: { table: ref } }, { delete: { table: ref } }, ...ordered.map((e) => ({ add: { [e.kind]: withoutHandle(e.body) } }))];
  return JSON.stringify({ nftables: commands });
}

/** Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well below. */
const MAX_ARG = 64 * 1024;

/**
 * argv for `nft` that runs an ObservedFirewall.restore: `-j` and the JSON
 * cut between commands into arguments nft joins with spaces (harmless
 * between JSON tokens). Needs no stdin, so it works from node.
 */
export function nftRestoreArgs(restore: string): string[] {
  const parsed: unknown = JSON.parse(restore);
  if (!isObject(parsed) || !Array.isArray(parsed['nftables'])) throw new FirewallBugError('restore is not nft JSON');
  const commands = parsed['nftables'].map((c) => JSON.stringify(c));
  const args = ['-j', '{"nftables":['];
  let chunk = '';
  commands.forEach((command, i) => {
    const piece = i < commands.length - 1 ? `${command},` : command;
    if (chunk.length > 0 && chunk.length + piece.length > MAX_ARG) {
      args.push(chunk);
      chunk = '';
    }
    chunk += piece;
  });
  if (chunk.length > 0) args.push(chunk);
  args.push(']}');
  return args;
}
