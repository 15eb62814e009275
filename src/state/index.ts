export { openStateDir, type OpenOptions, type ReadResult, type StateDir, type WriteOptions } from './dir.js';
export { clearJournal, JOURNAL_FILE, readJournal, writeJournal } from './journal.js';
export { LEASES_FILE, loadLeases, saveLeases } from './leases.js';
export { acquireLock, isLockRecord, liveLockHolder, type Lock, LOCK_FILE, type LockOptions, type LockRecord } from './lock.js';
export { PARSE_CACHE_FILE, readParseCache, saveParseCache } from './parse-cache.js';
