import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot, type KernelSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Deleting a sandbox whose namespace a process still runs in (a container
 * not stopped yet). `ip netns del` only unmounts such a namespace: without
 * more, its veth lived on, the host end still on the bridge. netrecon
 * removes the links inside first; and `delete` returns only once the host
 * ends of what it removed are gone, or says what still holds them.
 */
const FIXTURE = ['-f', join(repoRoot, 'test/fixtures/integration/default-bridge')];

interface IpLink { readonly ifname: string }

async function links(sb: KernelSandbox, argv: readonly string[] = []): Promise<string[]> {
  const r = await sb.run([...argv, 'ip', '-j', 'link', 'show']);
  assert.equal(r.exitCode, 0, r.stderr);
  return (JSON.parse(r.stdout) as IpLink[]).map((l) => l.ifname).sort();
}

// --no-refresh reads a namespace a process is in, as the plain delete does (its links are removed one by one).
for (const flags of [[], ['--no-refresh']]) {
  test(`delete ${flags.join(' ')} of a sandbox a process still runs in removes its veth inside it; the process keeps running with lo only`.replace('  ', ' '), async (t) => {
    const sb = await sandboxFor(t);
    if (sb === undefined) return;
    await sb.netreconOk(['apply', ...FIXTURE]);
    const holder = sb.spawn(['nsenter', '--net=/run/netns/web', 'sleep', '600']);
    const inWeb = ['nsenter', `--target=${holder.pid}`, '--net'];
    // nsenter enters web, then execs sleep: wait until the holder is in.
    await waitFor(async () => (await links(sb, inWeb)).includes('eth0'), { what: 'the holder in web\'s namespace' });
    assert.deepEqual(await links(sb, inWeb), ['eth0', 'lo'], 'the holder sees web\'s interfaces');

    const deleted = await sb.netreconOk(['delete', ...flags, ...FIXTURE, '--log-level', 'debug']);
    if (flags.length > 0) assert.match(deleted.stderr, /"namespaces":2,"vouched":1,/, 'db is taken from the record, web is read');
    assert.match(deleted.stderr, /processes still run in namespaces this plan deletes/);
    assert.match(deleted.stderr, new RegExp(`"web":\\[${holder.pid}\\]`), deleted.stderr);
    assert.deepEqual(await links(sb), ['lo'], 'no host veth end and no bridge left, as soon as delete returns');
    assert.deepEqual(await links(sb, inWeb), ['lo'], 'the process is left with lo');
    const netns = await sb.run(['ip', 'netns', 'list']);
    assert.equal(netns.stdout.trim(), '', 'no namespace mounted');
    holder.kill();
  });
}

test('a deleted namespace something else holds (a bind mount netrecon cannot see): delete exits 3 saying which host end stays and why', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  await sb.netreconOk(['apply', ...FIXTURE]);
  const hold = join(sb.workDir, 'db-netns');
  for (const argv of [['touch', hold], ['mount', '--bind', '/run/netns/db', hold]]) assert.equal((await sb.run(argv)).exitCode, 0);

  const deleted = await sb.netrecon(['delete', ...FIXTURE]);
  assert.equal(deleted.exitCode, 3, deleted.stderr);
  assert.match(deleted.stderr, /step\(s\) of this run were applied and are kept \(not rolled back\)/);
  assert.match(deleted.stderr, /link\/@host\/nrv[0-9a-f]+: still present \(host end of attachment\/db-bridge's veth: its namespace was deleted but something still holds it, a process or a mount\)/);
  assert.doesNotMatch(deleted.stderr, /web-bridge/, 'the other sandbox went');

  assert.equal((await sb.run(['umount', hold])).exitCode, 0);
  // Released, the kernel removes the namespace and its veth; the next delete finds nothing left to do.
  const again = await sb.netreconOk(['delete', ...FIXTURE]);
  assert.match(again.stdout, /No changes|Delete complete/);
  assert.deepEqual(await links(sb), ['lo']);
});
