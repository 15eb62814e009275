import { readdirSync, readlinkSync, statSync } from 'node:fs';

/**
 * Finds and kills every process living in a sandbox, so its namespaces die.
 * Synchronous on purpose: it also runs from a process 'exit' handler.
 *
 * A process belongs to the sandbox when it shares the holder's mount
 * namespace, or sits in the holder's network namespace or in any named netns
 * bind-mounted under the sandbox's /run/netns (`ip netns exec` gives its
 * children a fresh mount namespace, so the mount check alone misses them).
 */
interface SandboxNamespaces {
  readonly net: ReadonlySet<string>;
  readonly mnt: string;
}

function readNs(pid: number, kind: 'net' | 'mnt'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined; // gone, or a zombie: it holds no namespace any more
  }
}

function namedNetns(holderPid: number): string[] {
  const dir = `/proc/${holderPid}/root/run/netns`;
  try {
    return readdirSync(dir).map((name) => `net:[${statSync(`${dir}/${name}`).ino}]`);
  } catch {
    return [];
  }
}

function sandboxNamespaces(holderPid: number): SandboxNamespaces | undefined {
  const net = readNs(holderPid, 'net');
  const mnt = readNs(holderPid, 'mnt');
  if (net === undefined || mnt === undefined) return undefined;
  return { net: new Set([net, ...namedNetns(holderPid)]), mnt };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** Pids (other than the holder and this process) inside the sandbox of `holderPid`. */
export function pidsInsideSandbox(holderPid: number): number[] {
  const ns = sandboxNamespaces(holderPid);
  if (ns === undefined) return [];
  return allPids().filter((pid) => {
    if (pid === holderPid || pid === process.pid) return false;
    const net = readNs(pid, 'net');
    return readNs(pid, 'mnt') === ns.mnt || (net !== undefined && ns.net.has(net));
  });
}

/** SIGKILL everything inside the sandbox except the holder; returns the pids signalled. */
export function killInsideSandbox(holderPid: number): number[] {
  const pids = pidsInsideSandbox(holderPid);
  for (const pid of pids) killQuietly(pid);
  return pids;
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
