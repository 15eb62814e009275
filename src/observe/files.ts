import { readdir, readFile } from 'node:fs/promises';
import { fileKey, type FileResource, type ForeignObject, type ObservedState, type Owner, type Resource } from '../model/resource.js';

const MANAGED = ['resolv.conf', 'hosts'] as const;
const MARKER = /^# netrecon:((?:sandbox)\/[a-z0-9]([-a-z0-9]*[a-z0-9])?) /;

const errno = (e: unknown): string | undefined => (e instanceof Error && 'code' in e ? String(e.code) : undefined);

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e: unknown) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e: unknown) {
    if (errno(e) === 'ENOENT') return [];
    throw e;
  }
}

/**
 * The per-sandbox files under /etc/netns: owned when their first line is
 * netrecon's marker, foreign otherwise (never overwritten).
 */
export async function observeFiles(etcNetnsDir: string): Promise<{ resources: FileResource[]; foreign: ForeignObject[] }> {
  const resources: FileResource[] = [];
  const foreign: ForeignObject[] = [];
  for (const ns of await listDirs(etcNetnsDir)) {
    for (const name of MANAGED) {
      const path = `${etcNetnsDir}/${ns}/${name}`;
      const content = await readIfExists(path);
      if (content === undefined) continue;
      const owner = MARKER.exec(content)?.[1] as Owner | undefined;
      if (owner) resources.push({ type: 'file', key: fileKey(ns, name), ns, path, owner, content });
      else foreign.push({ key: fileKey(ns, name), what: `file ${path}` });
    }
  }
  return { resources, foreign };
}

/** Add observed files to the kernel's observed state. */
export function withFiles(state: ObservedState, files: { resources: readonly Resource[]; foreign: readonly ForeignObject[] }): ObservedState {
  return {
    resources: new Map([...state.resources, ...files.resources.map((r) => [r.key, r] as const)]),
    foreign: new Map([...state.foreign, ...files.foreign.map((f) => [f.key, f] as const)]),
  };
}
