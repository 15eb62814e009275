/** Identity of the calling process's net and mount namespaces, to prove a sandbox is private. */
import { readlink } from 'node:fs/promises';

export const PARENT_NS_ENV = 'BENCH_PARENT_NS';

/** E.g. `["net:[4026531840]", "mnt:[4026531841]"]`. */
export async function namespaceIds(): Promise<string[]> {
  return Promise.all(['net', 'mnt'].map((ns) => readlink(`/proc/self/ns/${ns}`)));
}
