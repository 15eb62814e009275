import type { Plan } from '../model/plan.js';

/** `plan -o json`: the plan as data (shape: schemas/plan.schema.json). */
export const planToJson = (plan: Plan): string => `${JSON.stringify(plan, null, 2)}\n`;
