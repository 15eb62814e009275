import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetreconError } from '../../src/model/errors.js';
import { parseCommandLine, parseDuration } from '../../src/cli/args.js';

test('global options are accepted before or after the command name', () => {
  const before = parseCommandLine(['--state-dir', '/s', '--log-level', 'debug', 'apply', '-f', 'a.yaml', '-f', 'dir']);
  const after = parseCommandLine(['apply', '-f', 'a.yaml', '--state-dir', '/s', '-f', 'dir', '--log-level', 'debug']);
  for (const p of [before, after]) {
    assert.equal(p.command, 'apply');
    assert.deepEqual(p.files, ['a.yaml', 'dir']);
    assert.equal(p.stateDir, '/s');
    assert.equal(p.logLevel, 'debug');
    assert.equal(p.prune, true);
  }
});

test('command options: --no-prune, --dry-run, --detailed-exitcode, -o', () => {
  const p = parseCommandLine(['plan', '-f', 'x', '-o', 'sh', '--detailed-exitcode', '--no-prune']);
  assert.equal(p.output, 'sh');
  assert.equal(p.detailedExitcode, true);
  assert.equal(p.prune, false);
  assert.equal(parseCommandLine(['apply', '-f', 'x', '--dry-run']).dryRun, true);
  assert.equal(parseCommandLine(['delete', '-f', 'x', '--no-refresh']).refresh, false);
  assert.equal(parseCommandLine(['delete', '-f', 'x']).refresh, true);
});

test('exec keeps everything after -- for the command, even options netrecon knows', () => {
  const p = parseCommandLine(['exec', 'web', '--', 'ip', '-f', 'inet', 'addr', '--help']);
  assert.equal(p.command, 'exec');
  assert.deepEqual(p.positionals, ['web']);
  assert.deepEqual(p.rest, ['ip', '-f', 'inet', 'addr', '--help']);
});

test('unknown commands, unknown options and options of other commands are usage errors', () => {
  for (const argv of [['frobnicate'], ['apply', '--bogus'], ['validate', '-f', 'x', '--dry-run'], ['watch', 'd', '-f', 'x'],
    ['apply', '-f', 'x', '--no-refresh'], ['plan', '-f', 'x', '--no-refresh']]) {
    assert.throws(() => parseCommandLine(argv), (e: unknown) => e instanceof NetreconError && e.code === 'usage', argv.join(' '));
  }
});

test('no command means help; --version alone means version', () => {
  assert.equal(parseCommandLine([]).command, 'help');
  assert.equal(parseCommandLine(['--version']).command, 'version');
});

test('durations: ms, s, m, h; anything else is an error', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.throws(() => parseDuration('30'), NetreconError);
  assert.throws(() => parseDuration('-1s'), NetreconError);
});

test('-f PATH...: several paths after one -f are all files; a path without -f is a usage error', () => {
  assert.deepEqual(parseCommandLine(['plan', '-f', 'a.yaml', 'b.yaml', '--detailed-exitcode', 'c']).files, ['a.yaml', 'b.yaml', 'c']);
  assert.deepEqual(parseCommandLine(['apply', '-f', 'a.yaml', '-f', 'dir', 'b.yaml']).files, ['a.yaml', 'dir', 'b.yaml']);
  assert.throws(() => parseCommandLine(['apply', 'a.yaml']), (e: unknown) => e instanceof NetreconError && e.code === 'usage');
});
