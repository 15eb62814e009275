import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { fixture, netrecon } from '../fixtures/integration3/probe.js';

/**
 * The nftables side of the firewall: one table, `inet netrecon`, made by
 * apply, planned like any other resource (a flushed table is drift), removed
 * by delete, with a user's own table left exactly as it was; and the
 * forwarding sysctl, switched on only while a non-internal bridge needs it.
 */
const MANIFESTS = ['-f', fixture('masquerade')];

/** `nft list table inet NAME` as text (no handles; the rules carry no counters), or undefined without the table. */
async function table(sb: KernelSandbox, name: string): Promise<string | undefined> {
  const result = await sb.run(['nft', 'list', 'table', 'inet', name]);
  return result.exitCode === 0 ? result.stdout : undefined;
}

test('inet netrecon: made by apply, unchanged by a second apply, a hand flush is planned as an update and repaired, removed by delete; inet mine untouched', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const loaded = await sb.run(['nft', '-f', fixture('table', 'mine.nft')]);
  assert.equal(loaded.exitCode, 0, loaded.stderr);
  const mine = await table(sb, 'mine');
  assert.match(mine ?? '', /tcp dport 9999 accept/);

  await netrecon(sb, 'apply', ...MANIFESTS);
  const listed = await sb.run(['nft', '-j', 'list', 'table', 'inet', 'netrecon']);
  assert.equal(listed.exitCode, 0, `nft -j list table inet netrecon after apply: ${listed.stderr}`);
  const entries = (JSON.parse(listed.stdout) as { nftables: Record<string, { name?: string; expr?: unknown[] }>[] }).nftables;
  const chains = entries.flatMap((e) => (e['chain']?.name === undefined ? [] : [e['chain'].name]));
  assert.ok(chains.length > 0, `the table has chains: ${listed.stdout}`);
  assert.ok(entries.some((e) => JSON.stringify(e['rule']?.expr ?? []).includes('"masquerade"')), 'the table masquerades the bridge subnet');
  const applied = await table(sb, 'netrecon');
  assert.equal(await table(sb, 'mine'), mine, 'inet mine changed by apply');

  assert.match(await netrecon(sb, 'apply', ...MANIFESTS), /^No changes\./, 'a second apply plans nothing');
  assert.equal(await table(sb, 'netrecon'), applied, 'a second apply left the table as it was');

  assert.equal((await sb.run(['nft', 'flush', 'table', 'inet', 'netrecon'])).exitCode, 0);
  const drift = await sb.netrecon(['plan', ...MANIFESTS, '--detailed-exitcode']);
  assert.equal(drift.exitCode, 2, `a flushed table is a change: ${drift.stdout}${drift.stderr}`);
  assert.deepEqual(drift.stdout.split('\n').filter((l) => /^(\+|-|~|-\/\+) /.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' ')), ['~ nft/netrecon'], drift.stdout);
  assert.match(drift.stdout, /^Plan: 0 to create, 1 to update, 0 to delete\.$/m);
  await netrecon(sb, 'apply', ...MANIFESTS);
  assert.equal(await table(sb, 'netrecon'), applied, 'apply restored the flushed table');
  assert.equal((await sb.netrecon(['plan', ...MANIFESTS, '--detailed-exitcode'])).exitCode, 0, 'converged again');

  await netrecon(sb, 'delete', ...MANIFESTS);
  assert.equal(await table(sb, 'netrecon'), undefined, 'delete removed inet netrecon');
  assert.equal((await sb.run(['nft', 'list', 'tables'])).stdout, 'table inet mine\n', 'only the user table is left');
  assert.equal(await table(sb, 'mine'), mine, 'inet mine changed by delete');
});

const ipForward = async (sb: KernelSandbox): Promise<string> => (await sb.run(['cat', '/proc/sys/net/ipv4/ip_forward'])).stdout.trim();

test('net.ipv4.ip_forward: 0 in a fresh sandbox, still 0 for an internal network alone, 1 with a non-internal one, back to 0 after delete', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  assert.equal(await ipForward(sb), '0', 'a fresh network namespace does not forward');
  await netrecon(sb, 'apply', '-f', fixture('internal', 'sealed.yaml'));
  assert.equal(await ipForward(sb), '0', 'an internal network needs no forwarding');
  await netrecon(sb, 'apply', '-f', fixture('internal'));
  assert.equal(await ipForward(sb), '1', 'a non-internal bridge network turns forwarding on');
  await netrecon(sb, 'delete', '-f', fixture('internal'));
  assert.equal(await ipForward(sb), '0', 'delete puts the previous value back');
});

test('net.ipv4.ip_forward already 1 before apply stays 1 after delete (the previous value is put back, not 0)', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  assert.equal((await sb.run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])).exitCode, 0);
  await netrecon(sb, 'apply', ...MANIFESTS);
  assert.equal(await ipForward(sb), '1');
  await netrecon(sb, 'delete', ...MANIFESTS);
  assert.equal(await ipForward(sb), '1', 'the host forwarded before netrecon came; it still does');
});
