import type { BridgeNet, ChainRules, PortForward } from './rules.js';

/**
 * The rules of each chain, derived from the bridge networks and published
 * ports. Pure text; the README next to this file says why each rule exists.
 */
export function chainRules(nets: readonly BridgeNet[], forwards: readonly PortForward[]): ChainRules {
  return {
    prerouting: forwards.length > 0 ? ['fib daddr type local jump publish'] : [],
    output: outputRules(forwards),
    publish: forwards.map(publishRule),
    postrouting: nets.flatMap((net) => [...masqueradeRules(net), ...hairpinRules(net, forwards), ...loopbackRules(net, forwards)]),
    forward: [
      ...nets.flatMap(internalRules),
      ...(forwards.length > 0 ? ['ct status dnat accept'] : []),
      ...nets.flatMap((net) => isolationRules(net, nets)),
    ],
  };
}

/**
 * Locally generated traffic to a local address, 127.0.0.0/8 included (as
 * Docker's proxy serves localhost): the bridges that publish IPv4 ports
 * have route_localnet on (localnetBridges), so the DNATed packet may leave
 * lo, and postrouting gives it the bridge's address. IPv6 has no such
 * switch: ::1 is left alone.
 */
function outputRules(forwards: readonly PortForward[]): string[] {
  const out: string[] = [];
  if (forwards.some((f) => f.family === 4)) out.push('meta nfproto ipv4 fib daddr type local jump publish');
  if (forwards.some((f) => f.family === 6)) out.push('ip6 daddr != ::1 fib daddr type local jump publish');
  return out;
}

/** The bridges that IPv4 ports are published to: they need net.ipv4.conf.BR.route_localnet=1 for localhost to reach them. */
export const localnetBridges = (forwards: readonly PortForward[]): string[] =>
  [...new Set(forwards.filter((f) => f.family === 4).map((f) => f.bridge))].sort();

/** A connection from the host's 127.0.0.1 to a published port leaves with the bridge's address, or the sandbox would answer itself. */
function loopbackRules(net: BridgeNet, forwards: readonly PortForward[]): string[] {
  return forwards.some((f) => f.family === 4 && f.bridge === net.bridge) ? [`ip saddr 127.0.0.0/8 oifname "${net.bridge}" masquerade`] : [];
}

function publishRule(f: PortForward): string {
  const ip = f.family === 4 ? 'ip' : 'ip6';
  const match = f.hostIP === undefined ? `meta nfproto ${f.family === 4 ? 'ipv4' : 'ipv6'}` : `${ip} daddr ${f.hostIP}`;
  const to = f.family === 4 ? `${f.address}:${f.port}` : `[${f.address}]:${f.port}`;
  return `${match} ${f.protocol} dport ${f.hostPort} dnat ${ip} to ${to} comment "${f.attachment}"`;
}

/** Outbound NAT of the subnet when it leaves through any interface but its own bridge. */
function masqueradeRules(net: BridgeNet): string[] {
  if (!net.masquerade) return [];
  const out = [`ip saddr ${net.subnet} oifname != "${net.bridge}" masquerade`];
  if (net.subnet6 !== undefined) out.push(`ip6 saddr ${net.subnet6} oifname != "${net.bridge}" masquerade`);
  return out;
}

/**
 * Hairpin: a sandbox reaching a published port of its own bridge through a
 * host address. Without the source rewrite the reply would go straight over
 * the bridge, bypassing the host's de-NAT, and the client would drop it.
 */
function hairpinRules(net: BridgeNet, forwards: readonly PortForward[]): string[] {
  const mine = forwards.filter((f) => f.bridge === net.bridge);
  const out: string[] = [];
  if (mine.some((f) => f.family === 4)) out.push(`ip saddr ${net.subnet} oifname "${net.bridge}" ct status dnat masquerade`);
  if (net.subnet6 !== undefined && mine.some((f) => f.family === 6)) {
    out.push(`ip6 saddr ${net.subnet6} oifname "${net.bridge}" ct status dnat masquerade`);
  }
  return out;
}

/** Internal: nothing forwarded off or onto the bridge; first, so nothing below can open it. */
function internalRules(net: BridgeNet): string[] {
  const br = `"${net.bridge}"`;
  return net.internal ? [`iifname ${br} oifname != ${br} drop`, `oifname ${br} iifname != ${br} drop`] : [];
}

/** No forwarding from a non-internal bridge to any other netrecon bridge (published ports were accepted above). */
function isolationRules(net: BridgeNet, nets: readonly BridgeNet[]): string[] {
  if (net.internal) return [];
  const others = nets.filter((n) => n.bridge !== net.bridge).map((n) => `"${n.bridge}"`);
  if (others.length === 0) return [];
  return [`iifname "${net.bridge}" oifname ${others.length === 1 ? others[0] : `{ ${others.join(', ')} }`} drop`];
}
