import { readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../util/runner.js';

/** `net:[4026532281]` -> 4026532281 (the namespace's inode on nsfs). */
const NET_LINK = /^net:\[(\d+)\]$/;

/** The processes in the namespace of inode `ino` (several namespaces at once: by inode). */
async function pidsByNamespace(procDir: string, inodes: ReadonlySet<number>, concurrency: number): Promise<Map<number, number[]>> {
  const pids = (await readdir(procDir)).filter((name) => /^\d+$/.test(name));
  const out = new Map<number, number[]>();
  await mapLimit(pids, concurrency, async (pid) => {
    // A process may exit meanwhile, or hide its namespaces: then it holds nothing we could see.
    const link = await readlink(join(procDir, pid, 'ns', 'net')).catch(() => '');
    const ino = Number(NET_LINK.exec(link)?.[1] ?? NaN);
    if (inodes.has(ino)) out.set(ino, [...(out.get(ino) ?? []), Number(pid)]);
  });
  return out;
}

/**
 * Which of the named namespaces (mounted under `netnsDir`) a process is in,
 * with the pids, sorted. `ip netns del` only unmounts a namespace: one a
 * process still runs in lives on with its links, a veth's host end still on
 * its bridge. A namespace that is not mounted (any more) holds nothing here.
 */
export async function namespacesInUse(netnsDir: string, names: readonly string[], options: { procDir?: string; concurrency?: number } = {}): Promise<Map<string, number[]>> {
  const concurrency = options.concurrency ?? 16;
  const procDir = options.procDir ?? '/proc';
  // A mounted namespace is a file on nsfs; anything else under netnsDir is not one.
  const nsfs = (await stat(join(procDir, 'self', 'ns', 'net'))).dev;
  const byInode = new Map<number, string>();
  await mapLimit(names, concurrency, async (name) => {
    const info = await stat(join(netnsDir, name)).catch(() => undefined);
    if (info !== undefined && info.dev === nsfs) byInode.set(info.ino, name);
  });
  if (byInode.size === 0) return new Map();
  const pids = await pidsByNamespace(procDir, new Set(byInode.keys()), concurrency);
  const out = new Map<string, number[]>();
  for (const [ino, held] of pids) {
    const name = byInode.get(ino);
    if (name !== undefined) out.set(name, held.sort((a, b) => a - b));
  }
  return out;
}
