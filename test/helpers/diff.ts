import { isObject, type Json, type JsonObject, type Snapshot } from './snapshot.js';

/**
 * Readable differences between two snapshots, for assertion messages:
 *   `netns "web": links[eth0].mtu: 1500 -> 9000`
 *   `netns "web": routes4: - {"dst":"default",...}`
 * Arrays of interfaces are matched by `ifname`; other arrays of objects
 * (routes, addresses, nft objects) are compared as multisets, with an
 * "order differs" line when only the order changed. Empty when equal.
 */
export function diffSnapshots(a: Snapshot, b: Snapshot): string[] {
  const names = [...new Set([...Object.keys(a.namespaces), ...Object.keys(b.namespaces)])].sort();
  const out: string[] = [];
  for (const name of names) {
    const left = a.namespaces[name];
    const right = b.namespaces[name];
    const label = `netns "${name}"`;
    if (left === undefined) out.push(`${label}: only in the second snapshot`);
    else if (right === undefined) out.push(`${label}: only in the first snapshot`);
    else {
      const lines: string[] = [];
      diffValue('', left as unknown as Json, right as unknown as Json, lines);
      out.push(...lines.map((line) => `${label}: ${line}`));
    }
  }
  return out;
}

function show(value: Json | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function diffValue(path: string, a: Json | undefined, b: Json | undefined, out: string[]): void {
  if (isObject(a) && isObject(b)) return diffObject(path, a, b, out);
  if (Array.isArray(a) && Array.isArray(b)) return diffArray(path, a, b, out);
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: ${show(a)} -> ${show(b)}`);
}

function diffObject(path: string, a: JsonObject, b: JsonObject, out: string[]): void {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const key of keys) diffValue(path === '' ? key : `${path}.${key}`, a[key], b[key], out);
}

function byIfname(items: readonly Json[]): Map<string, Json> | undefined {
  if (!items.every((item) => isObject(item) && typeof item['ifname'] === 'string')) return undefined;
  return new Map(items.map((item) => [String((item as JsonObject)['ifname']), item]));
}

function diffArray(path: string, a: Json[], b: Json[], out: string[]): void {
  const left = byIfname(a);
  const right = byIfname(b);
  if (left && right && (a.length > 0 || b.length > 0)) return diffKeyed(path, left, right, out);
  if (!a.some(isObject) && !b.some(isObject)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: ${show(a)} -> ${show(b)}`);
    return;
  }
  diffMultiset(path, a, b, out);
}

function diffKeyed(path: string, a: Map<string, Json>, b: Map<string, Json>, out: string[]): void {
  for (const [name, item] of a) {
    const other = b.get(name);
    if (other === undefined) out.push(`${path}[${name}]: removed ${show(item)}`);
    else diffValue(`${path}[${name}]`, item, other, out);
  }
  for (const [name, item] of b) if (!a.has(name)) out.push(`${path}[${name}]: added ${show(item)}`);
}

function diffMultiset(path: string, a: Json[], b: Json[], out: string[]): void {
  const remaining = b.map((item) => JSON.stringify(item));
  const before = out.length;
  for (const item of a) {
    const text = JSON.stringify(item);
    const at = remaining.indexOf(text);
    if (at === -1) out.push(`${path}: - ${text}`);
    else remaining.splice(at, 1);
  }
  for (const text of remaining) out.push(`${path}: + ${text}`);
  if (out.length === before && JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: same entries, order differs`);
}
