import type { DnsOptions, SandboxMode, SandboxSpec } from '../../model/manifest.js';
import { isIp } from '../../util/cidr.js';
import type { Item } from '../documents.js';
import { collisions, shortRef } from './common.js';
import type { Findings } from './common.js';

type SbItem = Item<'Sandbox'>;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;

/** "container:db" -> container + db; the schema has checked the form. */
const parseMode = (text: string): { mode: SandboxMode; shareWith?: string } =>
  text.startsWith('container:') ? { mode: 'container', shareWith: text.slice('container:'.length) } : { mode: text as SandboxMode };

const hasOwnNetns = (mode: SandboxMode): boolean => mode === 'private' || mode === 'none';

function checkNoNetnsFields(item: SbItem, mode: SandboxMode, f: Findings): void {
  const why = mode === 'host' ? 'mode host uses the host network stack' : 'mode container shares the other sandbox\'s netns; set it there';
  for (const key of ['netns', 'dns', 'hosts'] as const) {
    if (item.spec[key] !== undefined) f.field(item.at, ['spec', key], 'mode', `not allowed: ${why}`);
  }
}

function checkDnsAndHosts(item: SbItem, f: Findings): void {
  (item.spec.dns?.nameservers ?? []).forEach((ip, i) => {
    if (!isIp(ip)) f.field(item.at, ['spec', 'dns', 'nameservers', i], 'address', `${ip} is not an IP address`);
  });
  for (const [host, ip] of Object.entries(item.spec.hosts ?? {})) {
    if (!HOSTNAME.test(host)) {
      f.add(item.at(['spec', 'hosts', host], 'key'), 'hosts', `spec.hosts.${host}: ${host} is not a valid host name`);
    }
    if (!isIp(ip)) f.field(item.at, ['spec', 'hosts', host], 'address', `${ip} is not an IP address`);
  }
}

function sandboxSpec(item: SbItem, f: Findings): SandboxSpec {
  const { mode, shareWith } = parseMode(item.spec.mode ?? 'private');
  if (hasOwnNetns(mode)) checkDnsAndHosts(item, f);
  else checkNoNetnsFields(item, mode, f);
  const dns: DnsOptions | undefined =
    item.spec.dns === undefined ? undefined : { nameservers: item.spec.dns.nameservers ?? [], search: item.spec.dns.search ?? [] };
  return {
    name: item.name,
    labels: item.labels,
    mode,
    ...(shareWith === undefined ? {} : { shareWith }),
    ...(hasOwnNetns(mode) ? { netns: item.spec.netns ?? item.name } : {}),
    ...(dns === undefined ? {} : { dns }),
    hosts: item.spec.hosts ?? {},
    source: item.source,
  };
}

interface Known {
  readonly all: ReadonlyMap<string, SandboxSpec>;
  /** "Kind/name" of documents that failed the schema. */
  readonly invalid: ReadonlySet<string>;
}

function checkShareWith(spec: SandboxSpec, item: SbItem, known: Known, f: Findings): void {
  const other = spec.shareWith;
  if (other === undefined || known.invalid.has(`Sandbox/${other}`)) return;
  const target = known.all.get(other);
  let problem: string | undefined;
  if (other === spec.name) problem = 'a sandbox cannot share its own netns';
  else if (target === undefined) problem = `sandbox ${other} not found`;
  else if (!hasOwnNetns(target.mode)) {
    const shown = target.mode === 'container' ? `container:${target.shareWith ?? ''}` : target.mode;
    problem = `sandbox ${other} (${shortRef(target.source)}) has mode ${shown}; share only a sandbox of mode private or none`;
  }
  if (problem !== undefined) f.field(item.at, ['spec', 'mode'], 'reference', problem);
}

/** Sandboxes with defaults filled in; `container:` references and netns names checked. */
export function resolveSandboxes(items: readonly SbItem[], opts: { invalid: ReadonlySet<string> }, f: Findings): Map<string, SandboxSpec> {
  const pairs = items.map((item) => [item, sandboxSpec(item, f)] as const);
  const all = new Map(pairs.map(([, spec]) => [spec.name, spec]));
  for (const [item, spec] of pairs) checkShareWith(spec, item, { all, invalid: opts.invalid }, f);
  for (const [[item, spec], [, first]] of collisions(pairs, ([, s]) => s.netns)) {
    const given = item.spec.netns !== undefined;
    const msg = `spec.netns: netns ${spec.netns ?? ''} is also used by sandbox ${first.name} (${shortRef(first.source)})`;
    f.add(given ? item.at(['spec', 'netns']) : item.source, 'collision', msg);
  }
  return all;
}
