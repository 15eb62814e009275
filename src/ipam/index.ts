export { allocateAddresses, type AllocateInput, type AllocateResult, type Assignment } from './allocate.js';
export { emptyLeaseTable, isLease, isLeaseTable, LEASE_TABLE_VERSION, type Lease, type LeaseTable } from './leases.js';
export { leasesFromObserved } from './observed.js';
