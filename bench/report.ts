/** BENCHMARKS.md from a run's results: machine, command, tables, ratios, growth. */
import type { Machine } from './machine.js';
import type { Results, Summary } from './stats.js';
import type { Availability, Tool } from './types.js';

export interface ReportInput {
  readonly machine: Machine;
  readonly command: string;
  readonly wallSeconds: number;
  readonly sizes: readonly number[];
  readonly repeat: number;
  readonly tools: readonly Tool[];
  readonly availability: ReadonlyMap<string, Availability>;
  readonly results: Results;
}

/** Which baseline phase each netrecon phase is compared with. */
const COMPARED: readonly { readonly phase: string; readonly baseline: string; readonly label: string }[] = [
  { phase: 'apply-cold', baseline: 'setup', label: 'cold apply vs setup' },
  { phase: 'delete', baseline: 'teardown', label: 'delete vs teardown' },
  { phase: 'delete-no-refresh', baseline: 'teardown', label: 'delete --no-refresh vs teardown' },
  { phase: 'plan-noop', baseline: 'read', label: 'no-op plan vs batched read' },
];

const BASELINES = ['floor', 'cni', 'cni-masq', 'netavark'] as const;

function fmt(ms: number | undefined, digits = 1): string {
  return ms === undefined ? 'n/a' : ms.toFixed(digits);
}

function rssMb(s: Summary): string {
  return s.medianRssKb === undefined ? '' : (s.medianRssKb / 1024).toFixed(1);
}

function header(input: ReportInput): string[] {
  const netrecon = input.availability.get('netrecon');
  const lines = ['# Benchmarks', ''];
  if (netrecon === undefined || !netrecon.ok) {
    const why = netrecon === undefined ? 'not selected' : netrecon.reason;
    lines.push(`> **Baseline-only run: netrecon not measured** (${why}). Only the floor, CNI and netavark numbers below are real.`, '');
  }
  const m = input.machine;
  if (Number(m.load.split(' ')[0]) > m.nproc / 2) {
    lines.push(`> **Busy machine:** load average ${m.load} on ${m.nproc} CPUs when the run ended (the benchmark's own processes count in it, and so does anything else that ran); absolute numbers are noisy: compare ratios within this run.`, '');
  }
  lines.push('## Machine', '', '| nproc | CPU | kernel | iproute2 | node | date | commit | load avg at end (1/5/15 min) |', '|---|---|---|---|---|---|---|---|');
  lines.push(`| ${m.nproc} | ${m.cpu} | ${m.kernel} | ${m.iproute2} | ${m.node} | ${m.date} | ${m.commit} | ${m.load} |`, '');
  lines.push('## Reproduce', '', '```', `npx tsc -p . && ${input.command}`, '```', '');
  lines.push(`As root. Median of ${input.repeat} trials per tool and size; tools alternate within each round. Whole run: ${input.wallSeconds.toFixed(0)} s.`);
  lines.push(
    'Each trial runs in its own fresh `unshare --net --mount --propagation private` sandbox (tmpfs over /run, fresh sysfs);',
    'phases are timed inside it with the monotonic clock, so sandbox creation is excluded. Teardowns and `delete` are timed',
    'until the sandbox root namespace has no bridge port left (the kernel removes the veths of a deleted netns in the background).',
    'The floor\'s read and netrecon\'s no-op plan start once the bridge has received no packet for 5 s: for about 10 s after N',
    'interfaces come up, their IPv6 autoconfiguration (DAD, router solicitations, MLD) is flooded to every bridge port, N x N',
    'packet copies in softirq that slow any read of the kernel (at N=1000, a no-op plan right after the cold apply took 6-8 s,',
    'the same plan 10 s later 3 s). Both are timed on the settled state, as a periodic resync sees it.',
    '',
  );
  return lines;
}

function toolList(input: ReportInput): string[] {
  const lines = ['## Tools', '', '| tool | version / status | what is timed |', '|---|---|---|'];
  for (const t of input.tools) {
    const a = input.availability.get(t.id);
    const status = a === undefined ? 'unknown' : a.ok ? a.version : `**not available: ${a.reason}**`;
    lines.push(`| ${t.id} | ${status.replace(/\|/g, '\\|')} | ${t.description} |`);
  }
  return [...lines, ''];
}

function sizeTable(input: ReportInput, n: number): string[] {
  const lines = [`## N = ${n}`, '', '| tool | phase | median ms | ms / attachment | min–max ms | runs | peak RSS MiB |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const t of input.tools) {
    const a = input.availability.get(t.id);
    if (a !== undefined && !a.ok) {
      lines.push(`| ${t.id} | — | not available | | | | |`);
      continue;
    }
    for (const phase of input.results.phases.get(t.id) ?? []) {
      const s = input.results.summary(t.id, n, phase);
      if (s === undefined) continue;
      lines.push(`| ${t.id} | ${phase} | ${fmt(s.medianMs)} | ${fmt(s.medianMs / n, 2)} | ${fmt(s.minMs, 0)}–${fmt(s.maxMs, 0)} | ${s.runs} | ${rssMb(s)} |`);
    }
  }
  return [...lines, ''];
}

function ratio(input: ReportInput, n: number, a: [string, string], b: [string, string]): string {
  const x = input.results.summary(a[0], n, a[1]);
  const y = input.results.summary(b[0], n, b[1]);
  return x === undefined || y === undefined ? 'n/a' : `${(x.medianMs / y.medianMs).toFixed(2)}x`;
}

/** netrecon's delete against the floor's parallel read plus its teardown (sum of medians). */
function readThenDelete(input: ReportInput, n: number, tool: string): string {
  const own = input.results.summary(tool, n, 'delete');
  const read = input.results.summary('floor', n, 'read-parallel');
  const teardown = input.results.summary('floor', n, 'teardown');
  return own === undefined || read === undefined || teardown === undefined ? 'n/a' : `${(own.medianMs / (read.medianMs + teardown.medianMs)).toFixed(2)}x`;
}

function ratioTable(input: ReportInput): string[] {
  const lines = ['## Ratios (netrecon / baseline, medians)', ''];
  lines.push('| N | netrecon tool | comparison | / floor | / CNI | / CNI-masq | / netavark |', '|---:|---|---|---:|---:|---:|---:|');
  const netrecons = input.tools.map((t) => t.id).filter((id) => id.startsWith('netrecon'));
  for (const n of input.sizes) {
    for (const tool of netrecons) {
      for (const c of COMPARED) {
        const cells = BASELINES.map((b) => (b !== 'floor' && c.baseline === 'read' ? '' : ratio(input, n, [tool, c.phase], [b, c.baseline])));
        lines.push(`| ${n} | ${tool} | ${c.label} | ${cells.join(' | ')} |`);
      }
      lines.push(`| ${n} | ${tool} | delete vs parallel read + teardown | ${readThenDelete(input, n, tool)} | | | |`);
    }
  }
  lines.push(
    '', 'The floor has no `read` equivalent for CNI/netavark; `n/a` means a side was not measured.',
    '"Parallel read + teardown" is the floor of a delete that reads every namespace with `ip` before removing it (as',
    'netrecon\'s did up to fc0c80d, to refuse a namespace holding links it does not own and to roll a failure back exactly):',
    'the floor\'s `read-parallel` plus its `teardown`, medians of the same run. netrecon\'s `delete` now glances into the',
    'namespaces the host vouches for (one process per chunk asks each namespace\'s kernel tables over netlink) and reads with',
    '`ip` only those not exactly as the record of the last apply builds them (none here). `delete --no-refresh` skips the',
    'glance: it does not see links a user made inside them (README, "delete --no-refresh").', '');
  return lines;
}

/**
 * One sandbox added to (removed from) N: netrecon's add-one / remove-one
 * against what one sandbox costs each baseline on average in the same run
 * (its setup / N, teardown / N): the cost of one more container for a
 * runtime that calls the tool once per container.
 */
function perContainerTable(input: ReportInput): string[] {
  const netrecons = input.tools.map((t) => t.id).filter((id) => id.startsWith('netrecon'));
  const rows: string[] = [];
  const perSandbox = (tool: string, n: number, phase: string): number | undefined => {
    const s = input.results.summary(tool, n, phase);
    return s === undefined ? undefined : s.medianMs / n;
  };
  for (const n of input.sizes) {
    for (const tool of netrecons) {
      for (const [phase, baseline] of [['add-one', 'setup'], ['remove-one', 'teardown']] as const) {
        const own = input.results.summary(tool, n, phase)?.medianMs;
        if (own === undefined) continue;
        const cells = BASELINES.map((b) => fmt(perSandbox(b, n, baseline)));
        rows.push(`| ${n} | ${tool} | ${phase} | ${fmt(own)} | ${cells.join(' | ')} |`);
      }
    }
  }
  if (rows.length === 0) return [];
  return [
    '## One more sandbox among N (ms)', '',
    '| N | netrecon tool | phase | netrecon | floor / sandbox | CNI / sandbox | CNI-masq / sandbox | netavark / sandbox |',
    '|---:|---|---|---:|---:|---:|---:|---:|',
    ...rows, '',
    'netrecon adds one sandbox with `apply --no-prune -f network.yaml -f extra.yaml` and removes it with `delete -f extra.yaml`;',
    'both read only that sandbox\'s namespace and the host. The baselines\' columns are their setup (teardown) / N in this run:',
    'what one container costs a runtime calling CNI or netavark once per container; for the floor, a share of its batched setup.', '',
  ];
}

function growthTable(input: ReportInput): string[] {
  const sizes = input.sizes;
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const lines = ['## Growth: ms per attachment across sizes', ''];
  lines.push(`| tool | phase | ${sizes.map((n) => `N=${n}`).join(' | ')} | N=${last} / N=${first} |`);
  lines.push(`|---|---|${sizes.map(() => '---:').join('|')}|---:|`);
  for (const [tool, phases] of input.results.phases) {
    for (const phase of phases) {
      const per = sizes.map((n) => {
        const s = input.results.summary(tool, n, phase);
        return s === undefined ? undefined : s.medianMs / n;
      });
      const a = per[0];
      const b = per[per.length - 1];
      const growth = a === undefined || b === undefined ? 'n/a' : `${(b / a).toFixed(2)}x`;
      lines.push(`| ${tool} | ${phase} | ${per.map((v) => fmt(v, 2)).join(' | ')} | ${growth} |`);
    }
  }
  return [...lines, ''];
}

function errorList(input: ReportInput): string[] {
  if (input.results.errors.length === 0) return [];
  const lines = ['## Failed trials (their phases before the failure are in the tables; later ones are not)', ''];
  for (const e of input.results.errors) lines.push(`- ${e.tool} N=${e.n}: ${e.error ?? ''}`);
  return [...lines, ''];
}

export function renderReport(input: ReportInput): string {
  const sections = [header(input), toolList(input), ...input.sizes.map((n) => sizeTable(input, n))];
  sections.push(ratioTable(input), perContainerTable(input), growthTable(input), errorList(input));
  return sections.flat().join('\n');
}
