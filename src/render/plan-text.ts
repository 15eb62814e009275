import type { Action, FieldChange, Plan } from '../model/plan.js';

const SYMBOL: Record<Action, string> = { create: '+', delete: '-', update: '~', replace: '-/+' };

const show = (v: unknown): string => (v === undefined ? '(unset)' : String(v));
const lines = (v: unknown): number => (typeof v === 'string' ? v.split('\n').filter((l) => l !== '').length : 0);
/** A multi-line value (a file's content) is summarised; `plan -o json` carries it whole. */
const change = (f: FieldChange): string =>
  typeof f.to === 'string' && f.to.includes('\n') ? `${f.field}: changed (${lines(f.from)} -> ${lines(f.to)} lines)` : `${f.field}: ${show(f.from)} -> ${show(f.to)}`;
const fieldsText = (fields: readonly FieldChange[] | undefined): string =>
  fields && fields.length > 0 ? `  (${fields.map(change).join(', ')})` : '';

/** `plan -o text`: one line per step, then the summary line. */
export function planToText(plan: Plan): string {
  if (plan.steps.length === 0) return 'No changes.\n';
  const lines = plan.steps.map((s) => `${SYMBOL[s.action]} ${s.address}${fieldsText(s.changes)}`);
  const { create, update, delete: del } = plan.summary;
  lines.push('', `Plan: ${create} to create, ${update} to update, ${del} to delete.`);
  return `${lines.join('\n')}\n`;
}
