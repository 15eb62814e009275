import { isLeaseTable, type LeaseTable } from '../ipam/leases.js';
import type { ReadResult, StateDir } from './dir.js';

export const LEASES_FILE = 'leases.json';

/** The persisted lease table; 'missing' or 'corrupt' tells the caller to rebuild it from live state. */
export const loadLeases = (state: StateDir): Promise<ReadResult<LeaseTable>> => state.readJson(LEASES_FILE, isLeaseTable);

export const saveLeases = (state: StateDir, table: LeaseTable): Promise<void> => state.writeJson(LEASES_FILE, table);
