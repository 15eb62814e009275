import { NetreconError } from '../model/errors.js';
import type { ParsedArgs } from './args.js';

export async function runWatch(_args: ParsedArgs): Promise<number> {
  throw new NetreconError('unavailable', 'watch is not available yet in this build');
}
