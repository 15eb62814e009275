/**
 * Edge: read one namespace with ONE process.
 *   host:      ip -j -d -batch -
 *   named ns:  nsenter --net=<netnsDir>/<ns> ip -j -d -batch -
 * (`nsenter --net` stays ~2.7 ms per namespace; `ip -n NS` copies the mount
 * namespace on every call and slows down as namespaces accumulate.)
 * The show commands go on stdin (see BATCH_COMMANDS).
 */
import { EnvironmentError, ObserveError } from '../model/errors.js';
import { HOST_NS } from '../model/resource.js';
import { SpawnError, type Runner } from '../util/runner.js';
import { BatchParseError, batchInput, snapshotFromBatch, type NamespaceSnapshot } from './ipjson.js';

export const DEFAULT_NETNS_DIR = '/run/netns';

export interface ReadOptions {
  /** Where named namespaces are mounted; default /run/netns. */
  readonly netnsDir?: string;
}

const IP_ARGS = ['-j', '-d', '-batch', '-'] as const;

/** The argv that reads `ns` (HOST_NS: the namespace netrecon runs in). */
export function readArgv(ns: string, options: ReadOptions = {}): [string, string[]] {
  if (ns === HOST_NS) return ['ip', [...IP_ARGS]];
  return ['nsenter', [`--net=${options.netnsDir ?? DEFAULT_NETNS_DIR}/${ns}`, 'ip', ...IP_ARGS]];
}

const versions = new WeakMap<Runner, Promise<string>>();

/** `ip -V`, run at most once per runner and only when an error needs it. */
export function iprouteVersion(runner: Runner): Promise<string> {
  let version = versions.get(runner);
  if (version === undefined) {
    version = runner.run('ip', ['-V']).then(
      (r) => (r.exitCode === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : 'iproute2 version unknown'),
      () => 'iproute2 version unknown',
    );
    versions.set(runner, version);
  }
  return version;
}

const where = (ns: string): string => (ns === HOST_NS ? 'the host namespace' : `netns ${ns}`);

/** nsenter could not open the namespace file: it was deleted after the listing. */
const vanished = (stderr: string): boolean => /cannot open .*: No such file or directory/.test(stderr);

async function runBatch(runner: Runner, file: string, args: readonly string[]) {
  try {
    return await runner.run(file, args, { input: batchInput() });
  } catch (e: unknown) {
    if (e instanceof SpawnError) {
      throw new EnvironmentError('missing-command', `cannot run ${e.file} (${e.errno}): observing needs iproute2's ip and util-linux's nsenter on PATH`);
    }
    throw e;
  }
}

/**
 * Read one namespace's links, addresses and routes (raw JSON, for status and
 * the pure parsers). Undefined when the namespace vanished since it was listed.
 */
export async function readNamespace(runner: Runner, ns: string, options: ReadOptions = {}): Promise<NamespaceSnapshot | undefined> {
  const [file, args] = readArgv(ns, options);
  const argv = [file, ...args].join(' ');
  const result = await runBatch(runner, file, args);
  if (result.exitCode !== 0) {
    if (ns !== HOST_NS && vanished(result.stderr)) return undefined;
    if (file === 'nsenter' && result.exitCode === 127) {
      throw new EnvironmentError('missing-command', `cannot run ip inside ${where(ns)}: ${result.stderr.trim()}`);
    }
    const version = await iprouteVersion(runner);
    throw new ObserveError(`\`${argv}\` failed in ${where(ns)} (exit ${result.exitCode}, ${version}): ${result.stderr.trim()}`);
  }
  try {
    return snapshotFromBatch(ns, result.stdout);
  } catch (e: unknown) {
    if (!(e instanceof BatchParseError)) throw e;
    const version = await iprouteVersion(runner);
    throw new ObserveError(`unexpected output of \`${e.command}\` (${argv}) in ${where(ns)}, ${version}: ${e.message}`);
  }
}
