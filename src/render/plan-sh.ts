import type { Plan } from '../model/plan.js';
import { HOST_NS } from '../model/resource.js';
import { batchesOf, forwardLines } from '../reconcile/batches.js';

/** Quote for bash only when needed; netrecon's names are validated, this is belt and braces. */
const quote = (s: string): string => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** `plan -o sh`: the same batches the executor runs, as a bash script. */
export function planToShell(plan: Plan): string {
  const out = ['#!/usr/bin/env bash', `# netrecon plan: ${plan.summary.create} to create, ${plan.summary.update} to update, ${plan.summary.delete} to delete`, 'set -e'];
  for (const wave of batchesOf(forwardLines(plan.steps))) {
    for (const batch of wave) {
      const head = batch.ns === HOST_NS ? 'ip -batch - <<'+"'EOF'" : `ip -n ${quote(batch.ns)} -batch - <<'EOF'`;
      out.push(head, ...batch.lines.map((l) => l.command.args.map(quote).join(' ')), 'EOF');
    }
  }
  return `${out.join('\n')}\n`;
}
