import { createHash } from 'node:crypto';

/** Host end of an attachment's veth: "nrv" + 8 hex of a hash of sandbox and interface (fits IFNAMSIZ). */
export const hostVethName = (sandbox: string, iface: string): string =>
  `nrv${createHash('sha256').update(`${sandbox}/${iface}`).digest('hex').slice(0, 8)}`;
