/** Command-line options of `npm run bench -- ...`. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkSize } from './tools/common.js';
import { TOOLS, toolById } from './tools/index.js';
import type { Tool } from './types.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchOptions {
  readonly sizes: readonly number[];
  readonly repeat: number;
  readonly tools: readonly Tool[];
  readonly out: string;
  readonly netreconBin: string;
  readonly install: boolean;
}

export const USAGE = `usage: npm run bench -- [--sizes 50,200,1000] [--repeat 3] [--tools ${TOOLS.map((t) => t.id).join(',')}]
                        [--out BENCHMARKS.md] [--netrecon ./bin/netrecon] [--no-install]`;

function parseSizes(text: string): number[] {
  return text.split(',').map((s) => checkSize(Number(s.trim())));
}

function parseTools(text: string): Tool[] {
  return text.split(',').map((id) => {
    const tool = toolById(id.trim());
    if (tool === undefined) throw new Error(`unknown tool "${id}"; known: ${TOOLS.map((t) => t.id).join(', ')}`);
    return tool;
  });
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: 'string', default: '50,200,1000' },
      repeat: { type: 'string', default: '3' },
      tools: { type: 'string' },
      out: { type: 'string', default: resolve(REPO_ROOT, 'BENCHMARKS.md') },
      netrecon: { type: 'string', default: resolve(REPO_ROOT, 'bin/netrecon') },
      'no-install': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) throw new Error(`--repeat must be an integer in 1..100`);
  return {
    sizes: parseSizes(values.sizes),
    repeat,
    tools: values.tools === undefined ? TOOLS : parseTools(values.tools),
    out: resolve(values.out),
    netreconBin: resolve(values.netrecon),
    install: !values['no-install'],
  };
}
