import { spawn, type ChildProcess } from 'node:child_process';
import { watch as chokidarWatch } from 'chokidar';
import type { Logger } from '../log.js';

export type Stop = () => Promise<void>;

const MANIFEST = /\.ya?ml$/;

/** Every create, edit, delete or rename of a manifest under dir (recursively). */
export function watchManifests(dir: string, onChange: (path: string) => void): Stop {
  const watcher = chokidarWatch(dir, { ignoreInitial: true, persistent: true });
  const relevant = (path: string): void => void (MANIFEST.test(path) && onChange(path));
  watcher.on('add', relevant).on('change', relevant).on('unlink', relevant).on('unlinkDir', onChange);
  return () => watcher.close();
}

/** Named namespaces appearing or disappearing (someone ran `ip netns del`). */
export function watchNetnsDir(dir: string, onChange: (path: string) => void): Stop {
  const watcher = chokidarWatch(dir, { ignoreInitial: true, persistent: true, depth: 0 });
  watcher.on('add', onChange).on('unlink', onChange);
  return () => watcher.close();
}

/** Run a monitor command; every non-empty output line is an event. A monitor that cannot run is logged, not fatal. */
function watchLines(logger: Logger, file: string, args: string[], onEvent: (line: string) => void): Stop {
  let child: ChildProcess | undefined = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim() !== '') onEvent(line.trim());
  });
  child.on('error', (e) => logger.warn({ monitor: file, error: e.message }, 'cannot listen to events; relying on --resync polling'));
  child.on('exit', (code) => {
    if (child) logger.warn({ monitor: file, code }, 'event monitor stopped; relying on --resync polling');
    child = undefined;
  });
  return async () => {
    const c = child;
    child = undefined;
    c?.kill('SIGTERM');
  };
}

/** nftables changes (someone flushed or edited the table): `nft monitor`. */
export const watchNftables = (logger: Logger, onEvent: (line: string) => void): Stop => watchLines(logger, 'nft', ['monitor'], onEvent);

/**
 * Kernel events: `ip monitor all-nsid` reports link, address and route
 * changes in the host and in every namespace that has an id here (each
 * sandbox with a veth does), so a hand-made change starts a repair at once.
 * Polling (--resync) stays the safety net.
 */
export const watchKernel = (logger: Logger, onEvent: (line: string) => void): Stop =>
  watchLines(logger, 'ip', ['monitor', 'all-nsid', 'link', 'address', 'route'], onEvent);
