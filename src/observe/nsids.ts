/**
 * Edge: the ids the host namespace gives the named namespaces (`ip -j netns
 * list`, one process). A veth's host end names the namespace of its other
 * end only by such an id (link_netnsid); the kernel assigns one when a veth
 * is created across namespaces. Namespaces without an id are left out.
 */
import type { Runner } from '../util/runner.js';
import { isObject } from './ipjson.js';

/** Pure: `ip -j netns list` output → name → id. Throws on output that is not its JSON. */
export function nsidsFromJson(stdout: string): Map<string, number> {
  const text = stdout.trim();
  const value: unknown = text === '' ? [] : JSON.parse(text);
  if (!Array.isArray(value)) throw new SyntaxError('`ip -j netns list` did not print a JSON array');
  const out = new Map<string, number>();
  for (const entry of value) {
    if (!isObject(entry) || typeof entry['name'] !== 'string') throw new SyntaxError('`ip -j netns list` printed an entry without a name');
    if (typeof entry['id'] === 'number') out.set(entry['name'], entry['id']);
  }
  return out;
}

/** The ids of the namespaces under /run/netns (the only directory `ip netns` knows); empty when they cannot be read. */
export async function listNsids(runner: Runner): Promise<Map<string, number>> {
  const result = await runner.run('ip', ['-j', 'netns', 'list']).catch(() => undefined);
  if (result === undefined || result.exitCode !== 0) return new Map();
  try {
    return nsidsFromJson(result.stdout);
  } catch {
    return new Map();
  }
}
