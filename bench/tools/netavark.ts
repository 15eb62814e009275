/**
 * Podman's netavark (iptables firewall driver), one `setup` per sandbox after
 * `ip netns add`, teardown one `teardown` + `ip netns del` per sandbox, timed
 * until the bridge has no ports. Options as in
 * shared/reference/netavark-options.json, with one static address each.
 */
import { execa } from 'execa';
import type { Availability, Tool, ToolContext, TrialSpec } from '../types.js';
import { GATEWAY, WAIT_NO_PORTS, WORK, forEach, ipOf, range } from './common.js';
import { ensurePackage } from './install.js';

const NETAVARK = '/usr/lib/podman/netavark';
const CONFIG_DIR = `${WORK}/netavark`;

function options(i: number): string {
  const network = {
    name: 'benchnet',
    id: 'be00000000000000000000000000000000000000000000000000000000000001',
    driver: 'bridge',
    network_interface: 'podman9',
    subnets: [{ subnet: '10.88.0.0/16', gateway: GATEWAY }],
    ipv6_enabled: false,
    internal: false,
    dns_enabled: false,
  };
  return JSON.stringify({
    container_id: `bench${i}`,
    container_name: `c${i}`,
    networks: { benchnet: { static_ips: [ipOf(i)], interface_name: 'eth0' } },
    network_info: { benchnet: network },
  });
}

function invoke(command: 'setup' | 'teardown'): string {
  return `${NETAVARK} --config ${CONFIG_DIR} ${command} /run/netns/b$i < ${WORK}/netavark-$i.json > /dev/null`;
}

function trial(n: number): TrialSpec {
  const files: Record<string, string> = {};
  for (const i of range(n)) files[`${WORK}/netavark-${i}.json`] = options(i);
  const setup = forEach(n, `ip netns add b$i\n  ${invoke('setup')}`);
  const teardown = [forEach(n, `${invoke('teardown')}\n  ip netns del b$i`), WAIT_NO_PORTS].join('\n');
  return {
    tool: 'netavark',
    n,
    files,
    phases: [
      { name: 'setup', timed: true, expectPorts: n, script: `mkdir -p ${CONFIG_DIR}\n${setup}` },
      { name: 'teardown', timed: true, expectPorts: 0, script: teardown },
    ],
  };
}

async function available(ctx: ToolContext): Promise<Availability> {
  const missing = await ensurePackage('netavark', NETAVARK, ctx.install);
  if (missing !== undefined) return { ok: false, reason: missing };
  const noIptables = await ensurePackage('iptables', '/usr/sbin/iptables', ctx.install);
  if (noIptables !== undefined) return { ok: false, reason: noIptables };
  const version = await execa(NETAVARK, ['--version'], { reject: false });
  return { ok: true, version: version.stdout.trim() || 'netavark' };
}

export const netavarkTool: Tool = {
  id: 'netavark',
  description: '`netavark --config DIR setup /run/netns/bI < options` per sandbox after `ip netns add` (bridge podman9, iptables driver, static address); teardown per sandbox `netavark teardown` + `ip netns del`, timed until the bridge has no ports',
  available,
  trial,
};
