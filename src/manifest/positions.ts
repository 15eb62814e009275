import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { SourceRef } from '../model/manifest.js';

/** A path into a document: mapping keys and sequence indexes. */
export type FieldPath = readonly (string | number)[];

/** Position of the value at a path, or of its key (`part: 'key'`). */
export type Locate = (path: FieldPath, part?: 'key' | 'value') => SourceRef;

/** "spec.publish[0].hostPort" for ['spec', 'publish', 0, 'hostPort']. */
export const fieldPath = (path: FieldPath): string =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc === '' ? seg : `${acc}.${seg}`), '');

/** Splits an ajv instancePath ("/spec/publish/0") into a FieldPath. Indexes become numbers. */
export const fromPointer = (pointer: string): (string | number)[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));

export const positionAt = (file: string, lc: LineCounter, offset: number): SourceRef => {
  const { line, col } = lc.linePos(offset);
  return { file, line: Math.max(line, 1), col: Math.max(col, 1) };
};

interface Step {
  readonly node: Node;
  readonly key?: Node;
}

function child(doc: Document.Parsed, node: Node, seg: string | number): Step | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (isMap(target)) {
    const pair = target.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    if (pair === undefined || !isScalar(pair.key)) return undefined;
    return isScalar(pair.value) || isMap(pair.value) || isSeq(pair.value) || isAlias(pair.value)
      ? { node: pair.value, key: pair.key }
      : { node: pair.key, key: pair.key };
  }
  if (isSeq(target) && typeof seg === 'number') {
    const item = target.items[seg];
    return item !== undefined && item !== null && typeof item === 'object' && 'range' in item ? { node: item as Node } : undefined;
  }
  return undefined;
}

/**
 * A locator for one document. Walks the YAML nodes along the path and stops at
 * the deepest node that exists, so a missing field points at its parent.
 */
export function makeLocator(file: string, doc: Document.Parsed, lc: LineCounter): Locate {
  return (path, part = 'value') => {
    const root = doc.contents;
    let step: Step | undefined = root === null ? undefined : { node: root };
    for (const seg of path) {
      if (step === undefined) break;
      const next = child(doc, step.node, seg);
      if (next === undefined) break;
      step = next;
    }
    const node = part === 'key' && step?.key !== undefined ? step.key : step?.node;
    const offset = node?.range?.[0] ?? doc.range[0];
    return positionAt(file, lc, offset);
  };
}

export { shortRef } from '../model/diagnostic.js';
