/** firewallFromNftJson over recorded `nft -j` output (test/fixtures/nft/recorded, nft 1.0.6). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FirewallBugError, firewallFromNftJson, NftJsonError, nftRestoreArgs } from '../../src/firewall/index.js';
import { ObserveError } from '../../src/model/errors.js';
import { caseFirewall, NFT_FIXTURES, tableCaseNames } from './firewall-cases.js';

const recorded = (name: string): unknown => JSON.parse(readFileSync(join(NFT_FIXTURES, 'recorded', `${name}.json`), 'utf8'));
const TABLE_CASES = tableCaseNames();

describe('firewallFromNftJson on the tables our scripts made', () => {
  for (const name of TABLE_CASES) {
    it(`${name}: digest and counts are the generated ones`, () => {
      const fw = caseFirewall(name);
      const seen = firewallFromNftJson(recorded(name));
      assert.deepEqual({ ...seen, restore: undefined }, { digest: fw.digest, chains: fw.chains, rules: fw.rules, restore: undefined });
    });

    it(`${name}: restore replaces the table with the listed objects, without handles`, () => {
      const seen = firewallFromNftJson(recorded(name));
      assert.ok(seen !== undefined);
      const restore = JSON.parse(seen.restore) as { nftables: Record<string, Record<string, unknown>>[] };
      const table = { family: 'inet', name: 'netrecon' };
      assert.deepEqual(restore.nftables.slice(0, 3), [{ add: { table } }, { delete: { table } }, { add: { table } }]);
      assert.equal(restore.nftables.length, 3 + seen.chains + seen.rules);
      assert.doesNotMatch(seen.restore, /"handle"|"metainfo"/);
      const kinds = restore.nftables.slice(3).map((c) => Object.keys(c['add'] ?? {})[0]);
      assert.deepEqual(kinds, [...kinds].sort(), 'chains before rules');
    });
  }
});

describe('firewallFromNftJson on a whole ruleset', () => {
  it('picks our table among others; a rule added by hand counts but keeps the digest', () => {
    const seen = firewallFromNftJson(recorded('ruleset-edited'));
    const fw = caseFirewall('publish');
    assert.equal(seen?.digest, fw.digest);
    assert.equal(seen.chains, fw.chains);
    assert.equal(seen.rules, fw.rules + 1);
    assert.doesNotMatch(seen.restore, /"FORWARD"|"name":"filter"/);
  });

  it('is undefined when our table is absent', () => {
    assert.equal(firewallFromNftJson(recorded('ruleset-absent')), undefined);
    assert.equal(firewallFromNftJson({ nftables: [] }), undefined);
  });
});

describe('firewallFromNftJson tolerance', () => {
  const table = { table: { family: 'inet', name: 'netrecon', handle: 1, future: true } };
  const chain = { chain: { family: 'inet', table: 'netrecon', name: 'forward', handle: 2 } };

  it('ignores unknown fields and kinds, keeps unknown objects of our table in restore', () => {
    const counter = { counter: { family: 'inet', table: 'netrecon', name: 'c', packets: 0 } };
    const seen = firewallFromNftJson({ nftables: [{ metainfo: {} }, table, { flowtable: {} }, counter, chain], extra: 1 });
    assert.deepEqual({ ...seen, restore: undefined }, { digest: undefined, chains: 1, rules: 0, restore: undefined });
    assert.match(seen?.restore ?? '', /"future":true.*"counter"/);
  });

  it('a rule comment that is not ours is no digest', () => {
    const rule = { rule: { family: 'inet', table: 'netrecon', chain: 'forward', comment: 'netrecon:XYZ', expr: [] } };
    assert.equal(firewallFromNftJson({ nftables: [table, chain, rule] })?.digest, undefined);
  });
});

describe('firewallFromNftJson refuses what is not nft output', () => {
  const BAD: Record<string, unknown> = {
    'a string': 'nftables',
    null: null,
    'no nftables array': { nftables: {} },
    'an entry that is not an object': { nftables: [3] },
    'a kind that is not an object': { nftables: [{ table: 'netrecon' }] },
    'a table without a name': { nftables: [{ table: { family: 'inet' } }] },
    'a rule without its chain': { nftables: [{ rule: { family: 'inet', table: 'netrecon' } }] },
  };
  for (const [what, json] of Object.entries(BAD)) {
    it(what, () => {
      assert.throws(() => firewallFromNftJson(json), (e: unknown) => e instanceof NftJsonError && e instanceof ObserveError && e.code === 'observe');
    });
  }
});

describe('nftRestoreArgs', () => {
  it('small: -j and the commands in one argument between the brackets', () => {
    const seen = firewallFromNftJson(recorded('publish'));
    assert.ok(seen !== undefined);
    const args = nftRestoreArgs(seen.restore);
    assert.equal(args.length, 4);
    assert.equal(args[0], '-j');
    assert.deepEqual(JSON.parse(args.slice(1).join(' ')), JSON.parse(seen.restore));
  });

  it('large: cut between commands, every argument under 64 KiB, the same JSON once nft joins them with spaces', () => {
    const rule = { rule: { family: 'inet', table: 'netrecon', chain: 'forward', comment: 'x'.repeat(200), expr: [{ accept: null }] } };
    const json = { nftables: [{ table: { family: 'inet', name: 'netrecon' } }, ...Array.from({ length: 2000 }, () => rule)] };
    const seen = firewallFromNftJson(json);
    assert.ok(seen !== undefined);
    const args = nftRestoreArgs(seen.restore);
    assert.ok(args.length > 5);
    assert.ok(args.every((arg) => arg.length <= 64 * 1024));
    assert.deepEqual(JSON.parse(args.slice(1).join(' ')), JSON.parse(seen.restore));
  });

  it('refuses what is not a restore', () => {
    assert.throws(() => nftRestoreArgs('{"rules":[]}'), FirewallBugError);
  });
});
