import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import type { JsonObject } from '../helpers/snapshot.js';

/**
 * Dynamic addresses are stable: the same attachment keeps its address across
 * re-apply, delete + apply, and the loss of the leases file (rebuilt from
 * live state), on the real kernel.
 */
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/integration/ipam', name);
const manifests = (...sandboxes: string[]): string[] => ['-f', fixture('network.yaml'), ...sandboxes.flatMap((s) => ['-f', fixture(`${s}.yaml`)])];
const ALL = ['blue', 'green', 'red'];

/** The IPv4 address on eth0 of each named sandbox, read from the kernel. */
async function addresses(sb: KernelSandbox, sandboxes: readonly string[]): Promise<Record<string, string>> {
  const snap = await sb.snapshot();
  const out: Record<string, string> = {};
  for (const name of sandboxes) {
    const entry = snap.namespaces[name]?.addresses.find((a) => a['ifname'] === 'eth0');
    const infos = (entry?.['addr_info'] ?? []) as JsonObject[];
    const v4 = infos.filter((i) => i['family'] === 'inet').map((i) => String(i['local']));
    assert.equal(v4.length, 1, `${name}: one IPv4 address on eth0 (${v4.join(', ')})`);
    out[name] = v4[0] as string;
  }
  return out;
}

test('dynamic addresses survive re-apply, delete then apply, and the loss of leases.json', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...manifests(...ALL)]);
  const first = await addresses(sb, ALL);
  const values = Object.values(first);
  assert.equal(new Set(values).size, 3, `distinct addresses: ${values.join(', ')}`);
  for (const ip of values) {
    const last = Number(ip.split('.')[3]);
    assert.ok(ip.startsWith('10.66.0.') && last >= 128 && last < 255, `${ip} from the ipRange 10.66.0.128/25, not its broadcast`);
  }

  assert.match((await sb.netreconOk(['apply', ...manifests(...ALL)])).stdout, /^No changes\./);
  assert.deepEqual(await addresses(sb, ALL), first, 'a re-apply keeps the addresses');

  await sb.netreconOk(['delete', ...manifests(...ALL)]);
  assert.deepEqual((await sb.run(['ip', 'netns', 'list'])).stdout, '', 'everything deleted');
  // red alone: with its lease forgotten it would get the first free address, which is blue's.
  await sb.netreconOk(['apply', ...manifests('red')]);
  assert.deepEqual(await addresses(sb, ['red']), { red: first['red'] }, 'red keeps its address after delete + apply');
  await sb.netreconOk(['apply', ...manifests(...ALL)]);
  assert.deepEqual(await addresses(sb, ALL), first, 'all keep their addresses after delete + apply');

  const removed = await sb.run(['rm', join(sb.stateDir, 'leases.json')]);
  assert.equal(removed.exitCode, 0, `the leases file exists: ${removed.stderr}`);
  // amber sorts first: a pool that forgot the live addresses would hand it blue's.
  await sb.netreconOk(['apply', ...manifests('amber', ...ALL)]);
  const rebuilt = await addresses(sb, ['amber', ...ALL]);
  assert.deepEqual({ blue: rebuilt['blue'], green: rebuilt['green'], red: rebuilt['red'] }, first, 'live addresses kept after leases.json was lost');
  assert.ok(!values.includes(rebuilt['amber'] ?? ''), `amber got a free address (${rebuilt['amber']}), not a live one`);
  assert.equal((await sb.run(['test', '-s', join(sb.stateDir, 'leases.json')])).exitCode, 0, 'leases.json written again');
  const plan = await sb.netrecon(['plan', ...manifests('amber', ...ALL), '--detailed-exitcode']);
  assert.deepEqual([plan.exitCode, plan.stdout.trim()], [0, 'No changes.'], plan.stderr);
});
