/**
 * Edge: read many namespaces with a few processes. Node forks its whole
 * (large) process for every spawn, about 3 ms on the main thread here, so
 * N namespaces cost 3N ms before any reading starts. Instead each chunk of
 * names goes to one process that runs `ip -j -d -batch FILE` in each of them
 * (util/enter.ts: perl with setns(2), or xargs and nsenter), which forks
 * cheaply; chunks run in parallel. A chunk whose output does not hold three
 * arrays per name (a namespace vanished mid-read) is read again one by one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInEach } from '../util/enter.js';
import { mapLimit, splitInto, type Runner } from '../util/runner.js';
import { batchInput, snapshotFromValues, splitJsonValues, type NamespaceSnapshot } from './ipjson.js';
import { readNamespace } from './read.js';

let batchFile: string | undefined;

/** The show commands as a file (stdin carries the names); removed when netrecon exits. */
function showCommandsFile(): string {
  if (batchFile === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'netrecon-'));
    batchFile = join(dir, 'show.batch');
    writeFileSync(batchFile, batchInput(), { mode: 0o600 });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return batchFile;
}

const PER_NAMESPACE = 3;

async function readChunk(runner: Runner, names: readonly string[], netnsDir: string): Promise<(NamespaceSnapshot | undefined)[]> {
  const result = await runInEach(runner, names, netnsDir, ['ip', '-j', '-d', '-batch', showCommandsFile()]);
  const values = result.exitCode === 0 ? splitJsonValues(result.stdout) : [];
  if (values.length !== names.length * PER_NAMESPACE) {
    return Promise.all(names.map((ns) => readNamespace(runner, ns, { netnsDir })));
  }
  return names.map((ns, i) => snapshotFromValues(ns, values.slice(i * PER_NAMESPACE, (i + 1) * PER_NAMESPACE)));
}

/** Read `names` in `chunks` parallel processes; undefined for a namespace that vanished. */
export async function readNamespacesChunked(runner: Runner, names: readonly string[], options: { netnsDir: string; chunks: number }): Promise<(NamespaceSnapshot | undefined)[]> {
  const chunks = splitInto(names, options.chunks);
  return (await mapLimit(chunks, chunks.length, (chunk) => readChunk(runner, chunk, options.netnsDir))).flat();
}
