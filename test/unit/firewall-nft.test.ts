/**
 * The generated scripts against the real nft, each test in its own private
 * network namespace (skipped without root): check mode accepts them, and
 * apply -> `nft -j list` -> parse -> restore gives back the same table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteTableScript, firewallFromNftJson, NFT_APPLY_ARGS, nftRestoreArgs } from '../../src/firewall/index.js';
import { sandboxFor } from '../helpers/require-root.js';
import type { KernelSandbox } from '../helpers/sandbox.js';
import { caseFirewall, tableCaseNames } from './firewall-cases.js';

const TABLE_CASES = tableCaseNames();

async function nft(sandbox: KernelSandbox, args: readonly string[], input?: string): Promise<string> {
  const r = await sandbox.run(['nft', ...args], input === undefined ? {} : { input });
  assert.equal(r.exitCode, 0, `nft ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const listJson = async (sandbox: KernelSandbox): Promise<unknown> => JSON.parse(await nft(sandbox, ['-j', 'list', 'ruleset']));

/** The listing without metainfo and handles, for comparing two tables. */
function normalised(json: unknown): unknown {
  const items = (json as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
  return items.filter((item) => !('metainfo' in item)).map((item) =>
    Object.fromEntries(Object.entries(item).map(([kind, body]) => [kind, { ...body, handle: undefined }])));
}

describe('generated scripts on nft', () => {
  for (const name of TABLE_CASES) {
    it(`${name}: nft -c accepts the script and changes nothing`, async (t) => {
      const sandbox = await sandboxFor(t);
      if (sandbox === undefined) return;
      await nft(sandbox, ['-c', ...NFT_APPLY_ARGS], caseFirewall(name).script);
      assert.equal(await nft(sandbox, ['list', 'tables']), '');
    });

    it(`${name}: applied, listed and parsed, it has the generated digest and counts`, async (t) => {
      const sandbox = await sandboxFor(t);
      if (sandbox === undefined) return;
      const fw = caseFirewall(name);
      await nft(sandbox, NFT_APPLY_ARGS, fw.script);
      await nft(sandbox, NFT_APPLY_ARGS, fw.script);
      const seen = firewallFromNftJson(await listJson(sandbox));
      assert.deepEqual({ ...seen, restore: undefined }, { digest: fw.digest, chains: fw.chains, rules: fw.rules, restore: undefined });
    });

    it(`${name}: restore recreates the identical table after delete, and replaces a changed one`, async (t) => {
      const sandbox = await sandboxFor(t);
      if (sandbox === undefined) return;
      await nft(sandbox, NFT_APPLY_ARGS, caseFirewall(name).script);
      const before = await listJson(sandbox);
      const seen = firewallFromNftJson(before);
      assert.ok(seen !== undefined);
      await nft(sandbox, NFT_APPLY_ARGS, deleteTableScript());
      assert.equal(firewallFromNftJson(await listJson(sandbox)), undefined);
      await nft(sandbox, nftRestoreArgs(seen.restore));
      assert.deepEqual(normalised(await listJson(sandbox)), normalised(before));
      await nft(sandbox, NFT_APPLY_ARGS, caseFirewall(name === 'publish' ? 'isolation' : 'publish').script);
      await nft(sandbox, nftRestoreArgs(seen.restore));
      assert.deepEqual(normalised(await listJson(sandbox)), normalised(before));
    });
  }

  it('deleteTableScript succeeds when the table is already gone', async (t) => {
    const sandbox = await sandboxFor(t);
    if (sandbox === undefined) return;
    await nft(sandbox, NFT_APPLY_ARGS, deleteTableScript());
    assert.equal(await nft(sandbox, ['list', 'tables']), '');
  });
});
