import type { ReadResult, StateDir } from './dir.js';

/**
 * The apply journal. Its content belongs to the apply engine; here it is
 * opaque JSON checked by the caller's validator. Written once per step
 * batch, so no .bak copy.
 */
export const JOURNAL_FILE = 'journal.json';

export const writeJournal = (state: StateDir, journal: unknown): Promise<void> =>
  state.writeJson(JOURNAL_FILE, journal, { backup: false });

export const readJournal = <T>(state: StateDir, validate: (x: unknown) => x is T): Promise<ReadResult<T>> =>
  state.readJson(JOURNAL_FILE, validate);

export const clearJournal = (state: StateDir): Promise<void> => state.remove(JOURNAL_FILE);
