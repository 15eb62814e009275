import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffSnapshots } from '../helpers/diff.js';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';
import { fixture, netrecon, runScript } from '../fixtures/integration3/probe.js';

/**
 * macvlan networks on parents that are veths made in the test sandbox
 * (macvlan/parents.sh: mvp0 and mvp1, two unconnected segments). lan: m1,
 * m2 on mvp0 in bridge mode; far: m3 on mvp1 in vepa mode.
 */
const M1 = '172.31.10.10';
const M2 = '172.31.10.11';
const M3 = '172.31.11.10';

interface IpLink {
  readonly ifname: string;
  readonly ifalias?: string;
  readonly operstate?: string;
  readonly linkinfo?: { readonly info_kind?: string; readonly info_data?: { readonly mode?: string; readonly id?: number; readonly protocol?: string } };
}

/** `ip -j -d link show [DEV]` in a netns (null: the sandbox root). */
async function links(sb: KernelSandbox, ns: string | null, ...dev: string[]): Promise<IpLink[]> {
  const result = await sb.run([...(ns === null ? ['ip'] : ['ip', '-n', ns]), '-j', '-d', 'link', 'show', ...dev]);
  assert.equal(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout) as IpLink[];
}

async function setUp(sb: KernelSandbox, manifests: string): Promise<void> {
  await runScript(sb, 'macvlan', 'parents.sh');
  await netrecon(sb, 'apply', '-f', fixture(manifests));
}

test('macvlan: eth0 is a macvlan in the declared mode; m1 and m2 on one parent reach each other, m3 on another parent reaches neither', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await setUp(sb, 'macvlan');
  for (const [ns, mode] of [['m1', 'bridge'], ['m2', 'bridge'], ['m3', 'vepa']] as const) {
    const [eth0] = await links(sb, ns, 'eth0');
    assert.equal(eth0?.linkinfo?.info_kind, 'macvlan', `${ns}: eth0 is a macvlan`);
    assert.equal(eth0?.linkinfo?.info_data?.mode, mode, `${ns}: eth0 in mode ${mode}`);
  }
  for (const [from, to] of [['m1', M2], ['m2', M1]] as const) {
    await waitFor(() => sb.ping(from, to), { what: `ping from ${from} to ${to}`, timeoutMs: 10_000 });
  }
  // On-link routes between the two subnets, so only the separate segments stand in the way.
  for (const [ns, subnet] of [['m1', '172.31.11.0/24'], ['m3', '172.31.10.0/24']] as const) {
    const route = await sb.run(['ip', '-n', ns, 'route', 'add', subnet, 'dev', 'eth0']);
    assert.equal(route.exitCode, 0, route.stderr);
  }
  const [m1ToM3, m3ToM1] = await Promise.all([sb.ping('m1', M3), sb.ping('m3', M1)]);
  assert.deepEqual([m1ToM3, m3ToM1], [false, false], 'sandboxes on two macvlan networks (two parents) do not reach each other');
});

test("status shows each macvlan parent's operational state, and a parent set down as down", async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await setUp(sb, 'macvlan');
  const status = async (): Promise<string> => {
    const result = await sb.netrecon(['status', '-f', fixture('macvlan')]);
    assert.ok(result.exitCode === 0, `status: ${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  // A veth's operstate follows its carrier, which the kernel sets asynchronously.
  await waitFor(async () => /^macvlan parent mvp0: UP$/m.test(await status()), { what: 'status: mvp0 UP' });
  assert.match(await status(), /^macvlan parent mvp1: UP$/m);
  await waitFor(() => sb.ping('m1', M2), { what: `ping from m1 to ${M2}`, timeoutMs: 10_000 });

  assert.equal((await sb.run(['ip', 'link', 'set', 'mvp0', 'down'])).exitCode, 0);
  const down = await status();
  assert.match(down, /^macvlan parent mvp0: DOWN$/m, down);
  assert.match(down, /^macvlan parent mvp1: UP$/m, down);
  assert.equal(await sb.ping('m1', M2), false, 'with the parent down the sandboxes lose connectivity (kernel behaviour)');
});

test('a macvlan parent that does not exist: exit 1, the parent is named, nothing changed', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const before = await sb.normalisedSnapshot();
  for (const command of ['plan', 'apply']) {
    const result = await sb.netrecon([command, '-f', fixture('macvlan-missing-parent')]);
    assert.equal(result.exitCode, 1, `${command}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /macvlan parent nosuch0 does not exist/, `${command}: the missing parent is named`);
  }
  const after = await sb.normalisedSnapshot();
  assert.deepEqual(after, before, `a refused apply changed the kernel:\n${diffSnapshots(before, after).join('\n')}`);
});

test('parent "mvp0.5": netrecon creates the 802.1Q subinterface, and removes it with the network', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await runScript(sb, 'macvlan', 'parents.sh');
  const probe = await sb.run(['ip', 'link', 'add', 'link', 'mvp0', 'name', 'mvp0.5', 'type', 'vlan', 'id', '5']);
  if (probe.exitCode !== 0) {
    const reason = `this kernel cannot make 802.1Q links (ip link add ... type vlan: ${probe.stderr.trim()})`;
    t.diagnostic(`skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  assert.equal((await sb.run(['ip', 'link', 'del', 'mvp0.5'])).exitCode, 0);

  await netrecon(sb, 'apply', '-f', fixture('macvlan-vlan'));
  const [vlan] = await links(sb, null, 'mvp0.5');
  assert.equal(vlan?.linkinfo?.info_kind, 'vlan', 'mvp0.5 is a vlan link');
  assert.equal(vlan?.linkinfo?.info_data?.id, 5, 'with VLAN id 5');
  assert.match(vlan?.ifalias ?? '', /^netrecon:/, 'owned by netrecon');
  const [eth0] = await links(sb, 'm1', 'eth0');
  assert.equal(eth0?.linkinfo?.info_kind, 'macvlan');

  await netrecon(sb, 'delete', '-f', fixture('macvlan-vlan'));
  const left = (await links(sb, null)).map((l) => l.ifname);
  assert.ok(!left.includes('mvp0.5'), `the subinterface went with the network: ${left.join(' ')}`);
  assert.ok(left.includes('mvp0'), 'the parent itself stays');
});
