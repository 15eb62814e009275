import type { PublishSpec, RouteSpec } from '../../model/manifest.js';
import { cidrToString, contains, familyOf, ipToBigint, isCanonical, isIp, parseCidr } from '../../util/cidr.js';
import type { Item } from '../documents.js';
import { hostAddressProblem, normalizeIp } from './common.js';
import type { Findings } from './common.js';
import type { NetworkView } from './networks.js';

type AttItem = Item<'Attachment'>;

const sameIp = (a: string, b: string): boolean => isIp(a) && isIp(b) && familyOf(a) === familyOf(b) && ipToBigint(a) === ipToBigint(b);

/** Static IPv4 address: a usable host address of the network, not its gateway. */
export function checkAddress(item: AttItem, net: NetworkView, f: Findings): void {
  const address = item.spec.address;
  if (address === undefined) return;
  const problem = sameIp(address, net.spec.gateway)
    ? `${address} is the gateway of network ${net.spec.name}`
    : hostAddressProblem(net.cidr, address);
  if (problem !== undefined) f.field(item.at, ['spec', 'address'], 'address', problem);
}

/** Static IPv6 address: needs the network's subnet6, inside it, not gateway6. */
export function checkAddress6(item: AttItem, net: NetworkView, f: Findings): void {
  const address6 = item.spec.address6;
  if (address6 === undefined) return;
  let problem: string | undefined;
  if (!isIp(address6) || familyOf(address6) !== 6) problem = 'must be an IPv6 address like fd00:30::10';
  else if (net.cidr6 === undefined) problem = `network ${net.spec.name} has no subnet6`;
  else if (net.spec.gateway6 !== undefined && sameIp(address6, net.spec.gateway6)) {
    problem = `${address6} is the gateway6 of network ${net.spec.name}`;
  } else problem = hostAddressProblem(net.cidr6, address6);
  if (problem !== undefined) f.field(item.at, ['spec', 'address6'], 'address', problem);
}

/** Lower-cased MAC; must be unicast and not all zero. */
export function checkMac(item: AttItem, f: Findings): string | undefined {
  const mac = item.spec.mac?.toLowerCase();
  if (mac === undefined) return undefined;
  if (/^00(:00){5}$/.test(mac)) f.field(item.at, ['spec', 'mac'], 'mac', 'must not be all zero');
  else if (parseInt(mac.slice(0, 2), 16) % 2 === 1) {
    f.field(item.at, ['spec', 'mac'], 'mac', `${mac} is a multicast address; the first octet must be even (e.g. 02:...)`);
  }
  return mac;
}

function routeProblem(route: RouteSpec, net: NetworkView | undefined): { field: 'to' | 'via'; problem: string } | undefined {
  const to = parseCidr(route.to);
  if (to === undefined) return { field: 'to', problem: `${route.to} is not a CIDR like 10.50.0.0/16` };
  if (!isCanonical(route.to)) return { field: 'to', problem: `${route.to} has host bits set; use ${cidrToString(to)}` };
  // The kernel lists it as "default": as a route it would never match what is read back.
  if (to.prefix === 0) return { field: 'to', problem: `${route.to} is the default route: set defaultRoute: true instead (it goes via the network's gateway)` };
  if (!isIp(route.via)) return { field: 'via', problem: `${route.via} is not an IP address` };
  if (familyOf(route.via) !== to.family) return { field: 'via', problem: `${route.via} is not of the same IP family as ${route.to}` };
  if (net === undefined) return undefined;
  const subnet = to.family === 4 ? net.cidr : net.cidr6;
  const name = to.family === 4 ? 'subnet' : 'subnet6';
  if (subnet === undefined) return { field: 'via', problem: `network ${net.spec.name} has no ${name}` };
  if (!contains(subnet, route.via)) {
    return { field: 'via', problem: `${route.via} is not inside network ${net.spec.name}'s ${name} ${cidrToString(subnet)}` };
  }
  return undefined;
}

export function checkRoutes(item: AttItem, net: NetworkView | undefined, f: Findings): RouteSpec[] {
  const routes = item.spec.routes ?? [];
  routes.forEach((route, i) => {
    const found = routeProblem(route, net);
    if (found !== undefined) f.field(item.at, ['spec', 'routes', i, found.field], 'route', found.problem);
  });
  return routes.map((r) => {
    const to = parseCidr(r.to);
    return { to: to === undefined ? r.to : cidrToString(to), via: normalizeIp(r.via) };
  });
}

/** Published ports with defaults; only bridge networks that are not internal publish. */
export function checkPublish(item: AttItem, net: NetworkView | undefined, f: Findings): PublishSpec[] {
  const publish = (item.spec.publish ?? []).map((p) => ({
    hostPort: p.hostPort,
    port: p.port,
    protocol: p.protocol ?? 'tcp',
    hostIP: normalizeIp(p.hostIP ?? '0.0.0.0'),
  }));
  publish.forEach((p, i) => {
    if (!isIp(p.hostIP)) f.field(item.at, ['spec', 'publish', i, 'hostIP'], 'address', `${p.hostIP} is not an IP address`);
  });
  if (publish.length === 0 || net === undefined) return publish;
  if (net.spec.driver !== 'bridge') {
    f.field(item.at, ['spec', 'publish'], 'publish', `only bridge networks publish ports; network ${net.spec.name} is ${net.spec.driver}`);
  } else if (net.spec.bridge?.internal === true) {
    f.field(item.at, ['spec', 'publish'], 'publish', `network ${net.spec.name} is internal: it publishes no ports`);
  }
  return publish;
}
