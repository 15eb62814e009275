import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `net:[4026532281]` -> 4026532281 (the namespace's inode on nsfs). */
const NET_LINK = /^net:\[(\d+)\]$/;

/** A process may exit meanwhile, or hide its namespaces: then it holds nothing we could see. */
function netLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

function statOf(path: string): { dev: number; ino: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The processes in the namespace of inode `ino` (several namespaces at once: by inode). */
function pidsByNamespace(procDir: string, inodes: ReadonlySet<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const pid of readdirSync(procDir).filter((name) => /^\d+$/.test(name))) {
    const ino = Number(NET_LINK.exec(netLink(join(procDir, pid, 'ns', 'net')))?.[1] ?? NaN);
    if (inodes.has(ino)) out.set(ino, [...(out.get(ino) ?? []), Number(pid)]);
  }
  return out;
}

/**
 * Which of the named namespaces (mounted under `netnsDir`) a process is in,
 * with the pids, sorted. `ip netns del` only unmounts a namespace: one a
 * process still runs in lives on with its links, a veth's host end still on
 * its bridge. A namespace that is not mounted (any more) holds nothing here.
 * Synchronous calls: hundreds of small ones through the thread pool cost the
 * main thread more than the calls themselves (see observe/files.ts).
 */
export async function namespacesInUse(netnsDir: string, names: readonly string[], options: { procDir?: string } = {}): Promise<Map<string, number[]>> {
  const procDir = options.procDir ?? '/proc';
  // A mounted namespace is a file on nsfs; anything else under netnsDir is not one.
  const nsfs = statSync(join(procDir, 'self', 'ns', 'net')).dev;
  const byInode = new Map<number, string>();
  for (const name of names) {
    const info = statOf(join(netnsDir, name));
    if (info !== undefined && info.dev === nsfs) byInode.set(info.ino, name);
  }
  if (byInode.size === 0) return new Map();
  const pids = pidsByNamespace(procDir, new Set(byInode.keys()));
  const out = new Map<string, number[]>();
  for (const [ino, held] of pids) {
    const name = byInode.get(ino);
    if (name !== undefined) out.set(name, held.sort((a, b) => a - b));
  }
  return out;
}
