/**
 * Property-based / fuzz tests (issue 5, item 5) over the pure edge and the
 * pure pipeline: YAML texts -> manifestsFromTexts -> allocateAddresses ->
 * desiredFromManifests -> diffStates -> planSteps -> rendered plans.
 *
 * Inputs: arbitrary text; YAML of arbitrary JSON values; the valid fixtures
 * of test/fixtures/manifests/ok-* mutated (fields deleted, duplicated,
 * renamed, retyped, replaced by hostile strings — shell metacharacters,
 * backticks, newlines, spaces, over-long names, unicode — deep nesting, huge
 * scalars, alias bombs, many documents, byte-level damage); and generated,
 * structurally valid manifests whose names and strings come from the same
 * hostile pool.
 *
 * Properties: the loader never throws and always returns a LoadResult; no
 * input takes longer than PER_INPUT_MS; a refusal has diagnostics with a
 * known file and line/col >= 1 and no stack trace; an accepted set plans
 * without throwing, and every command of its plan (against an empty host and
 * against another set's state, so creates, updates and deletes all occur)
 * passes a strict allowlist: no unvalidated string reaches a command.
 *
 * CI runs NETRECON_FUZZ_RUNS (default 150) inputs per property, a few
 * seconds in all. Longer local run:
 *   NETRECON_FUZZ_RUNS=20000 node --test dist/test/unit/fuzz-*.test.js
 * Each property reports its input count and time as a test diagnostic.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';
import { allocateAddresses, emptyLeaseTable } from '../../src/ipam/index.js';
import { manifestsFromTexts, ParseCache, READ_LIMITS, type CacheRecord, type LoadResult, type ManifestText } from '../../src/manifest/index.js';
import type { ManifestSet } from '../../src/model/manifest.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import type { Command, Plan } from '../../src/model/plan.js';
import type { Resource } from '../../src/model/resource.js';
import { desiredFromManifests } from '../../src/reconcile/desired.js';
import { diffStates } from '../../src/reconcile/diff.js';
import { applyTarget } from '../../src/reconcile/intent.js';
import { planSteps } from '../../src/reconcile/plan.js';
import { planToShell } from '../../src/render/plan-sh.js';
import { planToText } from '../../src/render/plan-text.js';

const RUNS = Math.max(1, Number(process.env.NETRECON_FUZZ_RUNS ?? '150') || 150);
const SEED = process.env.NETRECON_FUZZ_SEED === undefined ? undefined : Number(process.env.NETRECON_FUZZ_SEED);
/** No single input may take longer (the heaviest are 12 000-document and 1 MiB inputs, a few hundred ms). */
const PER_INPUT_MS = 10_000;

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/manifests/', import.meta.url));
const validFixtures: ManifestText[][] = readdirSync(FIXTURES)
  .filter((d) => d.startsWith('ok-'))
  .sort()
  .map((d) => readdirSync(join(FIXTURES, d)).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => ({ file: `${d}/${f}`, text: readFileSync(join(FIXTURES, d, f), 'utf8') })));

// ---------------------------------------------------------------- allowlists

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IP_ARG = /^[A-Za-z0-9_.:/@%+=,-]+$/;
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;
/** netns names as schemas/sandbox.schema.json allows them (uppercase, _ and . included), or the host. */
const NS = /^(@host|[A-Za-z0-9][A-Za-z0-9_.-]{0,62})$/;
const SYSCTL_KEY = /^(net\.ipv4\.ip_forward|net\.ipv6\.conf\.all\.forwarding|net\.ipv4\.conf\.[A-Za-z0-9_.-]{1,15}\.route_localnet)$/;
const FILE_PATH = /^\/etc\/netns\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;
/** nft scripts: printable ASCII, no shell or quoting metacharacters beyond what the renderer itself writes. */
const NFT_CHARS = /^[A-Za-z0-9 \t\n{}();:.,/"!=<>_@[\]*#+-]*$/;
const FILE_LINE = /^(|#[^\n]*|nameserver [0-9A-Fa-f.:]+|search( [A-Za-z0-9.-]+)+|options( [A-Za-z0-9:_-]+)+|[0-9A-Fa-f.:]+\t[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*)$/;

/** Why a command fails the allowlist, or undefined when it passes. */
function badCommand(c: Command): string | undefined {
  switch (c.tool) {
    case 'ip': {
      if (!NS.test(c.ns)) return `ip namespace ${JSON.stringify(c.ns)}`;
      const bad = c.args.find((a) => !IP_ARG.test(a) || a.length > 256);
      if (bad !== undefined) return `ip argument ${JSON.stringify(bad)} in ${JSON.stringify(c.args)}`;
      // Interface names after dev/name/peer/master/link must be real interface names.
      for (let i = 0; i + 1 < c.args.length; i++) {
        if (['dev', 'master', 'link'].includes(c.args[i] ?? '') && !IFNAME.test(c.args[i + 1] ?? '')) return `interface name ${JSON.stringify(c.args[i + 1])}`;
      }
      return undefined;
    }
    case 'nft': {
      const text = c.format === 'json' ? JSON.stringify(JSON.parse(c.script)) : c.script;
      if (c.format === 'text' && !NFT_CHARS.test(text)) return `nft script character ${JSON.stringify(text.replace(/[A-Za-z0-9 \t\n{}();:.,/"!=<>_@[\]*#+-]/g, ''))}`;
      const quoted = [...text.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
      const badQuote = c.format === 'text' ? quoted.find((q) => !NAME.test(q) && !/^[A-Za-z0-9_.:/-]+$/.test(q)) : undefined;
      return badQuote === undefined ? undefined : `nft quoted string ${JSON.stringify(badQuote)}`;
    }
    case 'sysctl':
      return SYSCTL_KEY.test(c.key) && /^[0-9]+$/.test(c.value) ? undefined : `sysctl ${c.key}=${c.value}`;
    case 'file': {
      if (!FILE_PATH.test(c.path)) return `file path ${JSON.stringify(c.path)}`;
      const target = (c as { target?: unknown }).target;
      if (target !== undefined && (typeof target !== 'string' || !FILE_PATH.test(target))) return `file target ${JSON.stringify(target)}`;
      const bad = (c.content ?? '').split('\n').find((l) => !FILE_LINE.test(l));
      return bad === undefined ? undefined : `file line ${JSON.stringify(bad)} in ${c.path}`;
    }
  }
}

function assertPlanSafe(plan: Plan): void {
  for (const step of plan.steps) {
    for (const c of [...step.commands, ...step.inverse]) {
      const why = badCommand(c);
      assert.equal(why, undefined, `step ${step.address}: unvalidated string reaches a command: ${why}`);
    }
  }
  planToText(plan);
  planToShell(plan);
}

// ------------------------------------------------------------------ pipeline

interface Counters {
  inputs: number;
  accepted: number;
  refused: number;
  plannedSteps: number;
  maxMs: number;
}
const totals: Counters = { inputs: 0, accepted: 0, refused: 0, plannedSteps: 0, maxMs: 0 };

function desiredOf(set: ManifestSet): ReadonlyMap<string, Resource> | undefined {
  const allocation = allocateAddresses({ manifests: set, leases: emptyLeaseTable() });
  if (allocation.diagnostics.length > 0) {
    for (const d of allocation.diagnostics) assert.ok(d.line >= 1 && d.col >= 1, `IPAM diagnostic position: ${JSON.stringify(d)}`);
    return undefined;
  }
  return desiredFromManifests({ manifests: set, assignments: allocation.assignments }).resources;
}

/** A state to plan against that has something in it: the docker-default fixture's desired state. */
const otherState: ReadonlyMap<string, Resource> = (() => {
  const r = manifestsFromTexts(validFixtures.find((f) => f[0]?.file.startsWith('ok-spec-example')) ?? []);
  assert.ok(r.ok, 'ok-spec-example loads');
  return desiredOf(r.set) ?? new Map();
})();


/** The property every input must satisfy. */
function checkInput(files: readonly ManifestText[], counters: Counters): void {
  const started = performance.now();
  let result: LoadResult;
  try {
    result = manifestsFromTexts(files);
  } catch (e: unknown) {
    assert.fail(`manifestsFromTexts threw: ${e instanceof Error ? e.stack : String(e)}`);
  }
  counters.inputs++;
  if (!result.ok) {
    counters.refused++;
    assert.ok(result.diagnostics.length > 0, 'a refusal has diagnostics');
    const names = new Set(files.map((f) => f.file));
    for (const d of result.diagnostics) {
      assert.ok(names.has(d.file), `diagnostic names a known file: ${JSON.stringify(d)}`);
      assert.ok(Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.col) && d.col >= 1, `line/col >= 1: ${JSON.stringify(d)}`);
      assert.ok(d.message.length > 0 && !/\n\s+at /.test(d.message), `a message, no stack trace: ${JSON.stringify(d)}`);
    }
  } else {
    counters.accepted++;
    const desired = desiredOf(result.set);
    if (desired !== undefined) {
      for (const observed of [new Map<string, Resource>(), otherState]) {
        const target = applyTarget(desired, true);
        const plan = planSteps(diffStates(target.desired, observed, { prune: target.prune }), 'fuzz');
        counters.plannedSteps += plan.steps.length;
        assertPlanSafe(plan);
      }
    }
  }
  const ms = performance.now() - started;
  counters.maxMs = Math.max(counters.maxMs, ms);
  assert.ok(ms < PER_INPUT_MS, `one input took ${Math.round(ms)} ms`);
  assertSameFromCache(files, result);
}

/** Served from a parse cache (filled, then read back through JSON as the next run would), the load is the same. */
function assertSameFromCache(files: readonly ManifestText[], expected: LoadResult): void {
  const outcome = (r: LoadResult): unknown => (r.ok
    ? { set: JSON.parse(JSON.stringify(r.set, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))) as unknown }
    : { diagnostics: r.diagnostics.map(formatDiagnostic) });
  const cold = new ParseCache('fuzz');
  assert.deepEqual(outcome(manifestsFromTexts(files, { cache: cold })), outcome(expected), 'filling the parse cache changes nothing');
  const warm = new ParseCache('fuzz', JSON.parse(JSON.stringify(cold.toRecord())) as CacheRecord);
  assert.deepEqual(outcome(manifestsFromTexts(files, { cache: warm })), outcome(expected), 'served from the parse cache, the load is the same');
}

function runProperty<T>(t: TestContext, arb: fc.Arbitrary<T>, toFiles: (x: T) => ManifestText[], runs = RUNS): void {
  const counters: Counters = { inputs: 0, accepted: 0, refused: 0, plannedSteps: 0, maxMs: 0 };
  const started = performance.now();
  fc.assert(fc.property(arb, (x) => checkInput(toFiles(x), counters)), { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) });
  const ms = Math.round(performance.now() - started);
  for (const k of ['inputs', 'accepted', 'refused', 'plannedSteps'] as const) totals[k] += counters[k];
  totals.maxMs = Math.max(totals.maxMs, counters.maxMs);
  t.diagnostic(`${counters.inputs} inputs (${counters.accepted} accepted, ${counters.refused} refused), ${counters.plannedSteps} steps planned, ${ms} ms, slowest ${Math.round(counters.maxMs)} ms`);
  assert.ok(counters.inputs >= runs, 'every run checked an input');
}

// ----------------------------------------------------------------- arbitraries

const HOSTILE: readonly string[] = [
  'a;rm -rf /', 'x|y', 'a&b', '$(reboot)', '${IFS}', '`id`', 'a\nb', 'a\r\nkind: Network', 'has space', ' lead', 'trail ',
  'a'.repeat(64), 'b'.repeat(300), 'é', 'naïve', '名前', '🦀', 'a\u200bb', 'а', '\u202eevil', 'a\u0000b', '-rf', '--help', '..', '../etc',
  '/etc/passwd', 'lo', '@host', 'nr-front', 'eth0', 'x'.repeat(15), 'UPPER', 'a_b', 'a.b', '"quoted"', "it's", '#comment', '*', '{}', '[]',
  '&anchor', '*alias', '!!str', '%TAG', '0x1F', '1e309', 'null', 'true', '', '-', 'a-', '-a', 'dev', 'netns', 'del',
  '10.0.0.1; nft flush ruleset', '02:42:ac:11:00:02\n', '172.30.0.0/24 dev lo', 'table inet netrecon', '}\nflush ruleset\n{',
];
const hostile = fc.constantFrom(...HOSTILE);
const validName = fc.constantFrom('web', 'db', 'front', 'back', 'a', 'x-1', 'z9', 'cache', 'n0');
const anyName = fc.oneof({ weight: 3, arbitrary: validName }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) });
/** Mostly valid: most generated sets pass validation and reach the planner; a hostile value here and there must be refused. */
const mostlyValidName = fc.oneof({ weight: 24, arbitrary: validName }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) });
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }));
const deep = (depth: number, leaf: unknown): unknown => Array.from({ length: depth }).reduce<unknown>((v) => ({ k: v }), leaf);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = readonly (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

type Mutation =
  | { kind: 'delete' | 'dup' | 'rename-hostile' }
  | { kind: 'set'; value: unknown }
  | { kind: 'rename'; to: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'delete' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'dup' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'rename-hostile' as const }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((to) => ({ kind: 'rename' as const, to })) },
  { weight: 4, arbitrary: hostile.map((value) => ({ kind: 'set' as const, value })) },
  { weight: 2, arbitrary: wrongType.map((value) => ({ kind: 'set' as const, value })) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }).map((d) => ({ kind: 'set' as const, value: deep(d, 'x') })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'set' as const, value: 'y'.repeat(1 << 20) }) },
  { weight: 4, arbitrary: validName.map((value) => ({ kind: 'set' as const, value })) },
);

/** Apply one mutation at a path (chosen by index modulo the number of paths) of a document tree. */
function mutate(doc: Json, pick: number, m: Mutation, alt: string): Json {
  const root: { r: Json } = { r: structuredClone(doc) };
  const paths = pathsOf(root.r);
  const path = paths[pick % paths.length] ?? [];
  if (path.length === 0) return m.kind === 'set' ? (m.value as Json) : root.r;
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1] as string | number;
  const parent = parentPath.reduce<Json>((v, k) => (v as Record<string | number, Json>)[k] as Json, root.r) as Record<string | number, Json> | Json[];
  const record = parent as Record<string | number, Json>;
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete record[key];
      break;
    case 'dup':
      if (Array.isArray(parent)) parent.push(structuredClone(parent[Number(key)] ?? null));
      else record[`${String(key)}${alt}`] = structuredClone(record[key] ?? null);
      break;
    case 'rename':
    case 'rename-hostile':
      if (!Array.isArray(parent)) {
        const to = m.kind === 'rename' ? m.to : alt;
        record[to] = record[key] ?? null;
        if (to !== key) delete record[key];
      }
      break;
    case 'set':
      record[key] = m.value as Json;
      break;
  }
  return root.r;
}

const fixtureDocs: Json[][][] = validFixtures.map((files) => files.map((f) => parseAllDocuments(f.text).map((d) => d.toJS() as Json)));

/** A valid fixture with 1-4 mutations applied to its parsed documents, re-rendered as YAML. */
const mutatedFixture: fc.Arbitrary<ManifestText[]> = fc
  .record({
    fixture: fc.nat(),
    edits: fc.array(fc.record({ file: fc.nat(), doc: fc.nat(), pick: fc.nat(), m: mutation, alt: hostile }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ fixture, edits }) => {
    const index = fixture % fixtureDocs.length;
    const files = structuredClone(fixtureDocs[index] ?? []);
    for (const e of edits) {
      const docs = files[e.file % files.length];
      if (docs === undefined || docs.length === 0) continue;
      const d = e.doc % docs.length;
      docs[d] = mutate(docs[d] ?? null, e.pick, e.m, e.alt);
    }
    return files.map((docs, i) => ({
      file: validFixtures[index]?.[i]?.file ?? `f${i}.yaml`,
      text: docs.map((d) => safeStringify(d)).join('---\n'),
    }));
  });

function safeStringify(doc: Json): string {
  try {
    return stringify(doc, { aliasDuplicateObjects: false });
  } catch {
    return `${JSON.stringify(doc)}\n`; // JSON is YAML; stringify refuses some very deep trees
  }
}

/**
 * Copies of `t`, at most `n`, as long as the text stays under twice the
 * loader's file limit (so refusal by size is still reached). Up to three
 * damages compound: 60 copies of a text already holding the 1 MiB scalar,
 * copied 60 times again, would exceed V8's longest string and fail the
 * generator itself.
 */
const copies = (t: string, n: number): string =>
  Array.from({ length: Math.max(1, Math.min(n, Math.floor((2 * READ_LIMITS.maxFileBytes) / Math.max(1, t.length)))) }, () => t).join('\n---\n');

/** Text-level damage to a valid fixture: insertions, truncation, duplicated keys, alias bombs, many documents, tabs, BOM. */
const textDamage = fc.oneof(
  fc.record({ at: fc.nat(), s: fc.oneof(hostile, fc.string({ maxLength: 8, unit: 'binary' })) }).map(({ at, s }) => (t: string) => t.slice(0, at % (t.length + 1)) + s + t.slice(at % (t.length + 1))),
  fc.nat().map((at) => (t: string) => t.slice(0, at % (t.length + 1))),
  fc.nat().map((at) => (t: string) => { const lines = t.split('\n'); const i = at % lines.length; lines.splice(i, 0, lines[i] ?? ''); return lines.join('\n'); }),
  fc.constant((t: string) => `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n---\n${t}`),
  fc.constant((t: string) => `${t}\n${'---\n'.repeat(12_000)}`),
  fc.integer({ min: 2, max: 60 }).map((n) => (t: string) => copies(t, n)),
  fc.constant((t: string) => t.replace(/^ {2}/gm, '\t')),
  fc.constant((t: string) => `\uFEFF${t}`),
  fc.integer({ min: 90, max: 3000 }).map((d) => (t: string) => `${t}\n---\n${'['.repeat(d)}1${']'.repeat(d)}\n`),
  fc.integer({ min: 90, max: 400 }).map((d) => (t: string) => `${t}\n---\n${Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`),
  fc.constant((t: string) => `${t}\n---\nkey: ${'z'.repeat(1 << 20)}\n`),
);
const damagedFixture: fc.Arbitrary<ManifestText[]> = fc
  .record({ fixture: fc.nat(), damage: fc.array(textDamage, { minLength: 1, maxLength: 3 }) })
  .map(({ fixture, damage }) => (validFixtures[fixture % validFixtures.length] ?? []).map((f, i) =>
    ({ file: f.file, text: i === 0 ? damage.reduce((t, d) => d(t), f.text) : f.text })));

/** Structurally valid manifests: names, interfaces, bridge names, DNS, hosts and routes drawn from valid and hostile values. */
const generated: fc.Arbitrary<ManifestText[]> = fc
  .record({
    networks: fc.uniqueArray(fc.record({ name: mostlyValidName, third: fc.integer({ min: 0, max: 255 }), prefix: fc.constantFrom(24, 24, 25, 28, 16, 31), macvlan: fc.boolean(),
      bridgeName: fc.option(mostlyValidName, { freq: 4 }), parent: mostlyValidName, internal: fc.boolean(), mtu: fc.option(fc.integer({ min: 0, max: 70000 }), { freq: 4 }) }),
    { minLength: 1, maxLength: 3, selector: (n) => n.third }),
    sandboxes: fc.uniqueArray(fc.record({ name: mostlyValidName, netns: fc.option(mostlyValidName, { freq: 4 }), mode: fc.constantFrom('private', 'private', 'private', 'private', undefined, undefined, 'none', 'host', 'container:web'),
      search: fc.option(mostlyValidName, { freq: 3 }), host: fc.option(mostlyValidName, { freq: 3 }) }), { minLength: 1, maxLength: 4, selector: (s) => s.name }),
    attachments: fc.uniqueArray(fc.record({ name: mostlyValidName, s: fc.nat(), n: fc.nat(), iface: fc.option(mostlyValidName, { freq: 4 }), host: fc.nat(255), static: fc.boolean(),
      publish: fc.option(fc.record({ hostPort: fc.integer({ min: 0, max: 70000 }), port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom('tcp', 'udp', 'tcp', 'sctp', 'tcp;x') }), { freq: 3 }),
      route: fc.option(fc.record({ to: fc.constantFrom('10.50.0.0/16', '10.50.0.0/16', '0.0.0.0/0', '10.50.0.0/33', 'x; y'), via: fc.nat(255) }), { freq: 3 }) }), { maxLength: 6, selector: (a) => a.name }),
  })
  .map(({ networks, sandboxes, attachments }) => {
    const docs: Json[] = [];
    const subnet = (n: (typeof networks)[number]): string => `10.${n.third}.0.0/${n.prefix}`;
    for (const n of networks) {
      docs.push({ apiVersion: 'netrecon.dev/v1', kind: 'Network', metadata: { name: n.name }, spec: {
        subnet: subnet(n), ...(n.mtu === null ? {} : { mtu: n.mtu }),
        ...(n.macvlan ? { driver: 'macvlan', macvlan: { parent: n.parent } } : { bridge: { ...(n.bridgeName === null ? {} : { name: n.bridgeName }), internal: n.internal } }),
      } });
    }
    for (const s of sandboxes) {
      docs.push({ apiVersion: 'netrecon.dev/v1', kind: 'Sandbox', metadata: { name: s.name }, spec: {
        ...(s.mode === undefined ? {} : { mode: s.mode }), ...(s.netns === null ? {} : { netns: s.netns }),
        ...(s.search === null ? {} : { dns: { nameservers: ['203.0.113.53'], search: [s.search] } }),
        ...(s.host === null ? {} : { hosts: { [s.host]: '10.1.0.9' } }),
      } });
    }
    for (const a of attachments) {
      const s = sandboxes[a.s % sandboxes.length];
      const n = networks[a.n % networks.length];
      if (s === undefined || n === undefined) continue;
      docs.push({ apiVersion: 'netrecon.dev/v1', kind: 'Attachment', metadata: { name: a.name }, spec: {
        sandbox: s.name, network: n.name, ...(a.iface === null ? {} : { interface: a.iface }),
        ...(a.static ? { address: `10.${n.third}.0.${a.host}` } : {}),
        ...(a.publish === null ? {} : { publish: [a.publish] }),
        ...(a.route === null ? {} : { routes: [{ to: a.route.to, via: `10.${n.third}.0.${a.route.via}` }] }),
      } });
    }
    return [{ file: 'generated.yaml', text: docs.map((d) => safeStringify(d)).join('---\n') }];
  });

// ---------------------------------------------------------------------- tests

describe('fuzz: manifests never crash, hang or reach a command unvalidated', () => {

  it('the valid fixtures load and plan safely (the baseline the mutations start from)', (t) => {
    const counters: Counters = { inputs: 0, accepted: 0, refused: 0, plannedSteps: 0, maxMs: 0 };
    for (const files of validFixtures) checkInput(files, counters);
    assert.equal(counters.accepted, validFixtures.length, 'every ok-* fixture is accepted');
    assert.ok(counters.plannedSteps > 50, `the fixtures plan real work: ${counters.plannedSteps} steps`);
    t.diagnostic(`${counters.inputs} fixtures, ${counters.plannedSteps} steps`);
  });

  it('the allowlist catches what it must (self-test)', () => {
    assert.ok(badCommand({ tool: 'ip', ns: '@host', wave: 2, args: ['link', 'add', 'a;b'] }));
    assert.ok(badCommand({ tool: 'ip', ns: '@host', wave: 2, args: ['link', 'add', 'a b'] }));
    assert.ok(badCommand({ tool: 'ip', ns: 'we b', wave: 2, args: ['link'] }));
    assert.ok(badCommand({ tool: 'nft', wave: 4, format: 'text', script: 'add rule x `id`' }));
    assert.ok(badCommand({ tool: 'nft', wave: 4, format: 'text', script: 'comment "a b"' }));
    assert.ok(badCommand({ tool: 'file', wave: 2, path: '/etc/netns/x/hosts', content: '1.2.3.4\tweb\n$(id)\n' }));
    assert.equal(badCommand({ tool: 'ip', ns: 'web', wave: 3, args: ['addr', 'add', '10.0.0.2/24', 'dev', 'eth0'] }), undefined);
  });

  it('arbitrary text', (t) => {
    runProperty(t, fc.string({ maxLength: 400, unit: fc.oneof(fc.constantFrom(...'apiVersion: netrecon.dev/v1\nkind: Network\n-[]{}&*!|>\'"%@`#,?:'.split('')), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) }),
      (text) => [{ file: 'random.yaml', text }]);
  });

  it('YAML of arbitrary JSON values, shaped and not shaped like manifests', (t) => {
    const shaped = fc.record({ apiVersion: fc.oneof(fc.constant('netrecon.dev/v1'), fc.jsonValue()), kind: fc.oneof(fc.constantFrom('Network', 'Sandbox', 'Attachment'), fc.jsonValue()),
      metadata: fc.oneof(fc.record({ name: anyName }), fc.jsonValue()), spec: fc.jsonValue({ maxDepth: 4 }) }, { requiredKeys: [] });
    runProperty(t, fc.array(fc.oneof(shaped, fc.jsonValue({ maxDepth: 5 })), { minLength: 1, maxLength: 5 }),
      (docs) => [{ file: 'json.yaml', text: docs.map((d) => safeStringify(d as Json)).join('---\n') }]);
  });

  it('valid fixtures with fields deleted, duplicated, renamed, retyped or replaced by hostile values', (t) => {
    runProperty(t, mutatedFixture, (files) => files);
  });

  it('valid fixtures damaged as text: insertions, truncation, duplicate keys, alias bombs, deep nesting, huge scalars, many documents', (t) => {
    runProperty(t, damagedFixture, (files) => files, Math.max(1, Math.ceil(RUNS / 3)));
  });

  it('generated manifests with hostile names, interfaces, bridge names, DNS and hosts entries', (t) => {
    runProperty(t, generated, (files) => files);
  });

  it('a mapping with a non-function toString as kind or name is refused with a diagnostic, not a crash', () => {
    for (const text of ["kind: {toString: ''}\n", "apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: {toString: ''}}\nspec: {}\n"]) {
      const result = manifestsFromTexts([{ file: 'x.yaml', text }]);
      assert.equal(result.ok, false);
    }
  });

  it('totals (for RELIABILITY.md)', (t) => {
    t.diagnostic(`fuzz totals: ${totals.inputs} inputs (${totals.accepted} accepted and planned, ${totals.refused} refused), ${totals.plannedSteps} plan steps checked, slowest input ${Math.round(totals.maxMs)} ms, NETRECON_FUZZ_RUNS=${RUNS}`);
    assert.ok(totals.accepted > 0 && totals.refused > 0, 'both outcomes were exercised');
  });
});
