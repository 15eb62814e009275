import type { Command, Plan } from '../model/plan.js';
import { HOST_NS, sysctlPath } from '../model/resource.js';
import { batchesOf, forwardLines, type Batch } from '../reconcile/batches.js';

/** Quote for bash only when needed; netrecon's names are validated, this is belt and braces. */
const quote = (s: string): string => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** A heredoc delimiter that does not occur in the body. */
const delimiter = (body: string): string => {
  let d = 'EOF';
  while (body.split('\n').includes(d)) d = `${d}_`;
  return d;
};

const heredoc = (head: string, body: string): string[] => {
  const d = delimiter(body);
  return [`${head} <<'${d}'`, body, d];
};

const dirOf = (path: string): string => path.replace(/\/[^/]*$/, '');

function singleToShell(c: Command): string[] {
  switch (c.tool) {
    case 'nft': return heredoc(`nft ${c.format === 'json' ? '-j ' : ''}-f -`, c.script.replace(/\n$/, ''));
    case 'sysctl': return [`echo ${quote(c.value)} > /proc/sys/${sysctlPath(c.key)}`];
    // As apply does: a removed file's directory goes too once it is empty.
    case 'file': return c.content === null ? [`rm -f ${quote(c.path)}`, `rmdir ${quote(dirOf(c.path))} 2>/dev/null || true`]
      : c.target !== undefined ? [`mkdir -p ${quote(dirOf(c.path))}`, `ln -sfn ${quote(c.target)} ${quote(c.path)}`]
      : [`mkdir -p ${quote(dirOf(c.path))}`, ...heredoc(`cat > ${quote(c.path)}`, c.content.replace(/\n$/, ''))];
    case 'ip': return [`ip ${c.args.map(quote).join(' ')}`];
  }
}

function batchToShell(b: Batch): string[] {
  if (b.kind === 'single') return singleToShell(b.lines[0].command);
  const head = b.ns === HOST_NS ? 'ip -batch -' : `ip -n ${quote(b.ns)} -batch -`;
  return heredoc(head, b.lines.map((l) => l.command.args.map(quote).join(' ')).join('\n'));
}

/** `plan -o sh`: the same batches the executor runs, as a bash script. */
export function planToShell(plan: Plan): string {
  const { create, update, delete: del } = plan.summary;
  const out = ['#!/usr/bin/env bash', `# netrecon plan: ${create} to create, ${update} to update, ${del} to delete`, 'set -e'];
  for (const wave of batchesOf(forwardLines(plan.steps))) for (const b of wave) out.push(...batchToShell(b));
  return `${out.join('\n')}\n`;
}
