/**
 * A cheap upper bound of a YAML text's nesting depth, computed before the YAML
 * parser sees the text: very deep input makes the parser recurse until the
 * stack runs out, which can kill the process instead of throwing.
 *
 * Counted: block levels (an indentation stack), compact indicators ("- - x",
 * "? x") and flow brackets anywhere (inside quotes and comments too, so the
 * bound can only be too high, never too low).
 */

interface ScanState {
  readonly indents: number[];
  flow: number;
}

const leadingIndicators = (content: string): number => {
  const m = /^(?:[-?:](?:[ \t]+|$))+/.exec(content);
  return m === null ? 0 : (m[0].match(/[-?:]/g) ?? []).length;
};

/** Follows the brackets of one line; returns the deepest flow level reached on it. */
function updateFlow(state: ScanState, line: string): number {
  let deepest = state.flow;
  for (const ch of line) {
    if (ch === '[' || ch === '{') deepest = Math.max(deepest, ++state.flow);
    else if ((ch === ']' || ch === '}') && state.flow > 0) state.flow--;
  }
  return deepest;
}

function lineDepth(state: ScanState, line: string): number {
  const content = line.trimStart();
  if (content !== '' && !content.startsWith('#') && state.flow === 0) {
    const indent = line.length - content.length;
    while (state.indents.length > 0 && (state.indents.at(-1) ?? 0) >= indent) state.indents.pop();
    state.indents.push(indent);
  }
  const flow = updateFlow(state, line);
  return state.indents.length + leadingIndicators(content) + flow;
}

/** Offset of the first line deeper than `limit`, or undefined when the text stays within it. */
export function excessiveNestingAt(text: string, limit: number): number | undefined {
  const state: ScanState = { indents: [], flow: 0 };
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('---') || line.startsWith('...')) state.indents.length = 0;
    if (lineDepth(state, line) > limit) return offset;
    offset += line.length + 1;
  }
  return undefined;
}
