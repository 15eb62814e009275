import { readFile } from 'node:fs/promises';
import { errnoOf } from './json.js';

/**
 * True when a process with this pid exists. EPERM means it exists but
 * belongs to another user; anything but ESRCH is taken as "alive" so that a
 * lock is never stolen on a doubt.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return errnoOf(e) !== 'ESRCH';
  }
}

/**
 * The process's start time (field 22 of /proc/<pid>/stat, in clock ticks
 * since boot), or undefined where /proc is not available. A pid that is
 * alive with another start time is a different, newer process.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}
