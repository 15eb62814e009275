import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';

/**
 * Connecting a running sandbox to one more network leaves its interfaces
 * alone, whatever the new attachment's name (as `docker network connect`
 * does): no rename, no new MAC or address, the same default route.
 */
const NETS = ['front', 'back', 'third'].map((n, i) => `apiVersion: netrecon.dev/v1\nkind: Network\nmetadata: {name: ${n}}\nspec: {subnet: 172.29.${i}.0/24}\n`);
const SANDBOX = 'apiVersion: netrecon.dev/v1\nkind: Sandbox\nmetadata: {name: web}\nspec: {}\n';
const att = (name: string, network: string): string => `apiVersion: netrecon.dev/v1\nkind: Attachment\nmetadata: {name: ${name}}\nspec: {sandbox: web, network: ${network}}\n`;

interface Link { readonly ifname: string; readonly ifindex: number; readonly address: string; readonly addr_info: readonly { local: string; family: string }[] }

async function links(sb: KernelSandbox): Promise<string[]> {
  const r = await sb.run(['ip', '-n', 'web', '-j', 'addr', 'show']);
  return (JSON.parse(r.stdout) as Link[]).filter((l) => l.ifname !== 'lo')
    .map((l) => `${l.ifname} #${l.ifindex} ${l.address} ${l.addr_info.filter((a) => a.family === 'inet').map((a) => a.local).join(',')}`).sort();
}

const defaultRoute = async (sb: KernelSandbox): Promise<string> => (await sb.run(['ip', '-n', 'web', 'route', 'show', 'default'])).stdout.trim();

test('adding an attachment whose name sorts first to a running sandbox touches only its own interface; removing one renames nothing', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const dir = await sb.writeFiles('m', { 'all.yaml': [...NETS, SANDBOX, att('web-front', 'front'), att('web-back', 'back')].join('---\n') });
  await sb.netreconOk(['apply', '-f', dir]);
  const before = await links(sb);
  assert.match(before.join('\n'), /^eth0 #\d+ 02:42:ac:1d:01:02 172\.29\.1\.2\neth1 #\d+ 02:42:ac:1d:00:02 172\.29\.0\.2$/, 'name order on creation: web-back eth0');
  assert.match(await defaultRoute(sb), /^default via 172\.29\.1\.1 dev eth0/);

  await sb.writeFiles('m', { 'all.yaml': [...NETS, SANDBOX, att('aaa', 'third'), att('web-front', 'front'), att('web-back', 'back')].join('---\n') });
  const plan = await sb.netreconOk(['plan', '-f', dir]);
  assert.doesNotMatch(plan.stdout, /link\/web\/eth[01]|route\/web/, plan.stdout);
  await sb.netreconOk(['apply', '-f', dir]);
  const after = await links(sb);
  assert.deepEqual(after.slice(0, 2), before, 'eth0 and eth1 are the same links, with the same MACs and addresses');
  assert.match(after[2] ?? '', /^eth2 #\d+ 02:42:ac:1d:02:02 172\.29\.2\.2$/);
  assert.match(await defaultRoute(sb), /^default via 172\.29\.1\.1 dev eth0/, 'the default route stays');
  const status = await sb.netrecon(['status', '-f', dir, '--detailed-exitcode']);
  assert.equal(status.exitCode, 0, `status agrees it is in sync: ${status.stdout}`);

  await sb.writeFiles('m', { 'all.yaml': [...NETS, SANDBOX, att('aaa', 'third'), att('web-front', 'front')].join('---\n') });
  await sb.netreconOk(['apply', '-f', dir]);
  const removed = await links(sb);
  assert.deepEqual(removed, [before[1], after[2]], 'web-front keeps eth1, aaa keeps eth2');
  assert.match(await defaultRoute(sb), /^default via 172\.29\.2\.1 dev eth2/, 'the default route moves to the first by name once its holder is gone');
});
