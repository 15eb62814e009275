import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileKey, HOST_NS, netnsKey, type FileResource, type ForeignObject, type ObservedState, type Owner, type Resource } from '../model/resource.js';

const MANAGED = ['resolv.conf', 'hosts'] as const;
const MARKER = /^# netrecon:((?:sandbox|network)\/[a-z0-9]([-a-z0-9]*[a-z0-9])?) /;
const SHARED_DIR = '.netrecon';

const errno = (e: unknown): string | undefined => (e instanceof Error && 'code' in e ? String(e.code) : undefined);

function ifExists<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e: unknown) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

const listDirs = (dir: string): string[] =>
  (ifExists(() => readdirSync(dir, { withFileTypes: true })) ?? []).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);

type Found = { resource: FileResource } | { foreign: ForeignObject } | undefined;

/** A regular file is owned when its first line is netrecon's marker; a link when it points into netrecon's shared directory. */
function readManaged(path: string, ns: string, name: string, sharedDir: string): Found {
  const info = ifExists(() => lstatSync(path, { throwIfNoEntry: false }));
  if (!info) return undefined;
  const key = fileKey(ns, name);
  if (info.isSymbolicLink()) {
    const target = readlinkSync(path);
    // The link carries no mark: its owner is the sandbox owning the namespace (see ownersOfLinks).
    if (target.startsWith(`${sharedDir}/`)) return { resource: { type: 'file', key, ns, path, owner: `sandbox/${ns}`, content: '', target } };
    return { foreign: { key, what: `symbolic link ${path}` } };
  }
  const content = readFileSync(path, 'utf8');
  const owner = MARKER.exec(content)?.[1] as Owner | undefined;
  return owner ? { resource: { type: 'file', key, ns, path, owner, content } } : { foreign: { key, what: `file ${path}` } };
}

/**
 * The per-sandbox files under /etc/netns and the per-network hosts files in
 * /etc/netns/.netrecon: owned when marked, foreign otherwise (never overwritten).
 * Synchronous calls: a thousand small ones through the thread pool cost
 * ~50 ms of the main thread at 500 sandboxes, while the namespace reads
 * need both cores; these take a few.
 */
export async function observeFiles(etcNetnsDir: string): Promise<{ resources: FileResource[]; foreign: ForeignObject[] }> {
  const sharedDir = `${etcNetnsDir}/${SHARED_DIR}`;
  const wanted: [string, string, string][] = [];
  for (const ns of listDirs(etcNetnsDir)) for (const name of MANAGED) wanted.push([`${etcNetnsDir}/${ns}/${name}`, ns, name]);
  for (const name of ifExists(() => readdirSync(sharedDir)) ?? []) if (name.endsWith('.hosts')) wanted.push([`${sharedDir}/${name}`, HOST_NS, name]);
  const found = wanted.map(([path, ns, name]) => readManaged(path, ns, name, sharedDir));
  return {
    resources: found.flatMap((f) => (f && 'resource' in f ? [f.resource] : [])),
    foreign: found.flatMap((f) => (f && 'foreign' in f ? [f.foreign] : [])),
  };
}

/** Add observed files (and other non-kernel resources) to the kernel's observed state; links take their namespace's owner. */
export function withFiles(state: ObservedState, files: { resources: readonly Resource[]; foreign: readonly ForeignObject[] }): ObservedState {
  const resources = new Map(state.resources);
  for (const r of files.resources) {
    const owner = r.type === 'file' && r.target !== undefined ? state.resources.get(netnsKey(r.ns))?.owner : undefined;
    resources.set(r.key, owner ? { ...r, owner } : r);
  }
  return { ...state, resources, foreign: new Map([...state.foreign, ...files.foreign.map((f) => [f.key, f] as const)]) };
}
