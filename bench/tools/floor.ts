/**
 * The floor: the fastest plain iproute2 sequence for the same work. One
 * `ip -batch` in the sandbox root namespace creates every netns, the bridge,
 * and each veth with its peer already inside its namespace (named eth0, MAC
 * set), then one `nsenter --net=… ip -batch` per namespace sets lo/eth0 up,
 * the address and the default route. `nsenter` rather than `ip -n`: `ip -n`
 * copies the mount namespace per call and slows down as namespaces pile up
 * (measured here: 12.8 vs 7.0 ms per attachment at N=1000).
 */
import { execa } from 'execa';
import type { Phase, Tool, TrialSpec } from '../types.js';
import { GATEWAY, SUBNET_PREFIX, WAIT_NO_PORTS, WORK, checkSize, forEach, ipOf, macOf, netnsDelBatch, nsName, range } from './common.js';

const BRIDGE = 'nrbench0';

function hostBatch(n: number): string {
  const lines = range(n).map((i) => `netns add ${nsName(i)}`);
  lines.push(`link add ${BRIDGE} type bridge`, `addr add ${GATEWAY}/${SUBNET_PREFIX} dev ${BRIDGE}`, `link set ${BRIDGE} up`);
  for (const i of range(n)) {
    lines.push(`link add vb${i} type veth peer name eth0 address ${macOf(i)} netns ${nsName(i)}`);
    lines.push(`link set vb${i} master ${BRIDGE} up`);
  }
  return lines.join('\n') + '\n';
}

function nsBatch(i: number): string {
  return ['link set lo up', 'link set eth0 up', `addr add ${ipOf(i)}/${SUBNET_PREFIX} dev eth0`, `route add default via ${GATEWAY}`].join('\n') + '\n';
}

function setupFiles(n: number): Record<string, string> {
  const files: Record<string, string> = {
    [`${WORK}/host.batch`]: hostBatch(n),
    [`${WORK}/netns-del.batch`]: netnsDelBatch(n),
    [`${WORK}/link-del.batch`]: range(n).map((i) => `link del vb${i}\n`).join(''),
    [`${WORK}/read.batch`]: 'link show\naddr show\nroute show\n',
  };
  for (const i of range(n)) files[`${WORK}/ns-${i}.batch`] = nsBatch(i);
  return files;
}

function setupPhase(n: number): Phase {
  const script = [`ip -batch ${WORK}/host.batch`, forEach(n, `nsenter --net=/run/netns/b$i ip -batch ${WORK}/ns-$i.batch`)];
  return { name: 'setup', timed: true, expectPorts: n, script: script.join('\n') };
}

/** One batched JSON read of the namespace it runs in. */
const READ = `ip -j -d -batch - < ${WORK}/read.batch > /dev/null`;

/** The no-op plan floor: one batched JSON read of the root netns and of every namespace. */
function readPhase(n: number): Phase {
  const script = [READ, forEach(n, `nsenter --net=/run/netns/b$i ${READ}`)];
  return { name: 'read', timed: true, settle: true, script: script.join('\n') };
}

/**
 * The same reads, 2 x cores at a time (as netrecon reads): what any tool
 * that reads every namespace before changing it must pay at least. With the
 * teardown it is the floor of a delete that reads first (see the ratios).
 */
function parallelReadPhase(n: number): Phase {
  const script = [
    'streams=$((2 * $(nproc)))',
    `${READ} &`,
    'for ((s = 0; s < streams; s++)); do',
    `  ( for ((i = s; i < ${checkSize(n)}; i += streams)); do nsenter --net=/run/netns/b$i ${READ}; done ) &`,
    'done',
    'wait',
  ];
  return { name: 'read-parallel', timed: true, settle: true, script: script.join('\n') };
}

function trial(id: string, n: number, teardown: Phase): TrialSpec {
  const phases = id === 'floor' ? [setupPhase(n), readPhase(n), parallelReadPhase(n), teardown] : [setupPhase(n), teardown];
  return { tool: id, n, files: setupFiles(n), phases };
}

async function iprouteVersion(): Promise<string> {
  const { stdout } = await execa('ip', ['-V']);
  return stdout.trim();
}

export const floorTool: Tool = {
  id: 'floor',
  description:
    'one `ip -batch` (netns add, bridge, `link add vbI type veth peer name eth0 address MAC netns bI`, enslave+up), then one `nsenter --net=/run/netns/bI ip -batch` per netns (lo up, eth0 up, addr, default route); read = one `ip -j -d -batch -` (link/addr/route) for the root netns and per netns via nsenter, one after another; read-parallel = the same reads in 2 x nproc parallel streams; teardown = one `ip -batch` of `netns del`, timed until the bridge has no ports',
  available: async () => ({ ok: true, version: await iprouteVersion() }),
  trial: (n) =>
    trial('floor', n, { name: 'teardown', timed: true, expectPorts: 0, script: `ip -batch ${WORK}/netns-del.batch\n${WAIT_NO_PORTS}` }),
};

export const floorLinkDelTool: Tool = {
  id: 'floor-linkdel',
  description: 'same setup as floor; teardown = one `ip -batch` of `link del vbI` for every veth, then one of `netns del`',
  available: async () => ({ ok: true, version: await iprouteVersion() }),
  trial: (n) =>
    trial('floor-linkdel', n, {
      name: 'teardown',
      timed: true,
      expectPorts: 0,
      script: `ip -batch ${WORK}/link-del.batch\nip -batch ${WORK}/netns-del.batch\n${WAIT_NO_PORTS}`,
    }),
};
