/**
 * The CNI bridge plugin with host-local IPAM, invoked as a runtime does: per
 * sandbox `ip netns add` and one ADD; teardown one DEL and `ip netns del` per
 * sandbox, timed until the bridge has no ports. Config as in
 * shared/reference/cni-bridge-config.json, with ipMasq false or true.
 */
import type { Availability, Tool, ToolContext, TrialSpec } from '../types.js';
import { GATEWAY, WAIT_NO_PORTS, WORK, forEach } from './common.js';
import { debVersion, ensurePackage } from './install.js';

const PLUGIN_DIR = '/usr/lib/cni';
const CONFIG = `${WORK}/cni.json`;

function config(ipMasq: boolean): string {
  const ipam = {
    type: 'host-local',
    ranges: [[{ subnet: '10.88.0.0/16', gateway: GATEWAY }]],
    routes: [{ dst: '0.0.0.0/0' }],
    dataDir: `${WORK}/cni-ipam`,
  };
  return JSON.stringify({ cniVersion: '1.0.0', name: 'benchnet', type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq, ipam }, null, 2);
}

function invoke(command: 'ADD' | 'DEL'): string {
  return `CNI_COMMAND=${command} CNI_CONTAINERID=bench$i CNI_NETNS=/run/netns/b$i ${PLUGIN_DIR}/bridge < ${CONFIG} > /dev/null`;
}

function trial(id: string, n: number, ipMasq: boolean): TrialSpec {
  const env = `export CNI_PATH=${PLUGIN_DIR} CNI_IFNAME=eth0`;
  const setup = [env, forEach(n, `ip netns add b$i\n  ${invoke('ADD')}`)].join('\n');
  const teardown = [env, forEach(n, `${invoke('DEL')}\n  ip netns del b$i`), WAIT_NO_PORTS].join('\n');
  return {
    tool: id,
    n,
    files: { [CONFIG]: config(ipMasq) },
    phases: [
      { name: 'setup', timed: true, expectPorts: n, script: setup },
      { name: 'teardown', timed: true, expectPorts: 0, script: teardown },
    ],
  };
}

async function available(ctx: ToolContext, ipMasq: boolean): Promise<Availability> {
  const missing = await ensurePackage('containernetworking-plugins', `${PLUGIN_DIR}/bridge`, ctx.install);
  if (missing !== undefined) return { ok: false, reason: missing };
  if (ipMasq) {
    const noIptables = await ensurePackage('iptables', '/usr/sbin/iptables', ctx.install);
    if (noIptables !== undefined) return { ok: false, reason: noIptables };
  }
  return { ok: true, version: await debVersion('containernetworking-plugins') };
}

export const cniTool: Tool = {
  id: 'cni',
  description: 'CNI `bridge` plugin + host-local IPAM (ipMasq false): per sandbox `ip netns add` + one ADD; teardown per sandbox one DEL + `ip netns del`, timed until the bridge has no ports',
  available: (ctx) => available(ctx, false),
  trial: (n) => trial('cni', n, false),
};

export const cniMasqTool: Tool = {
  id: 'cni-masq',
  description: 'as cni with `ipMasq: true` (per-container iptables NAT chain)',
  available: (ctx) => available(ctx, true),
  trial: (n) => trial('cni-masq', n, true),
};
