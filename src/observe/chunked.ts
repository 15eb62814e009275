/**
 * Edge: read many namespaces with a few processes. Node forks its whole
 * (large) process for every spawn, about 3 ms on the main thread here, so
 * N namespaces cost 3N ms before any reading starts. Instead each chunk of
 * names goes to one `xargs -0 -I{} nsenter --net=DIR/{} ip -j -d -batch FILE`
 * (xargs substitutes the name into one argument: no shell), which forks
 * cheaply; chunks run in parallel. A chunk whose output does not hold three
 * arrays per name (a namespace vanished mid-read) is read again one by one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLimit, type Runner } from '../util/runner.js';
import { batchInput, snapshotFromValues, splitJsonValues, type NamespaceSnapshot } from './ipjson.js';
import { readNamespace } from './read.js';

let batchFile: string | undefined;

/** The show commands as a file (xargs's stdin carries the names); removed when netrecon exits. */
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
  const args = ['-0', '-I{}', 'nsenter', `--net=${netnsDir}/{}`, 'ip', '-j', '-d', '-batch', showCommandsFile()];
  const result = await runner.run('xargs', args, { input: names.join('\0') });
  const values = result.exitCode === 0 ? splitJsonValues(result.stdout) : [];
  if (values.length !== names.length * PER_NAMESPACE) {
    return Promise.all(names.map((ns) => readNamespace(runner, ns, { netnsDir })));
  }
  return names.map((ns, i) => snapshotFromValues(ns, values.slice(i * PER_NAMESPACE, (i + 1) * PER_NAMESPACE)));
}

/** Read `names` in `chunks` parallel processes; undefined for a namespace that vanished. */
export async function readNamespacesChunked(runner: Runner, names: readonly string[], options: { netnsDir: string; chunks: number }): Promise<(NamespaceSnapshot | undefined)[]> {
  const size = Math.ceil(names.length / Math.max(1, options.chunks));
  const chunks = Array.from({ length: Math.ceil(names.length / size) }, (_, i) => names.slice(i * size, (i + 1) * size));
  return (await mapLimit(chunks, chunks.length, (chunk) => readChunk(runner, chunk, options.netnsDir))).flat();
}
