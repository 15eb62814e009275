/**
 * Missing privileges or a missing system tool is a one-line error saying what
 * to do, exit 1, never a stack trace, and nothing changes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxFor } from '../helpers/require-root.js';
import { repoRoot } from '../helpers/sandbox.js';

const MANIFESTS = join(repoRoot, 'test/fixtures/integration/default-bridge');
const CLI = join(repoRoot, 'bin/netrecon');

const assertOneLineError = (stderr: string, pattern: RegExp): void => {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, 'no stack trace');
};

test('without root (nor CAP_NET_ADMIN and CAP_SYS_ADMIN): a one-line error naming what is needed, nothing changed', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const result = await sb.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
    process.execPath, CLI, 'apply', '-f', MANIFESTS, '--state-dir', '/tmp/netrecon-nobody']);
  assert.equal(result.exitCode, 1, result.stderr);
  assertOneLineError(result.stderr, /^error: netrecon needs root .*sudo/);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout.trim(), '', 'no namespace was made');
});

test('validate needs no privileges', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  const result = await sb.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, CLI, 'validate', '-f', MANIFESTS]);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^valid: 1 network\(s\)/);
});

test('ip missing from PATH: a one-line error saying which package to install, nothing changed', async (t) => {
  const sb = await sandboxFor(t);
  if (sb === undefined) return;
  // Only netrecon runs without ip on its PATH (the harness itself needs nsenter).
  const result = await sb.run(['/usr/bin/env', 'PATH=/nonexistent', process.execPath, CLI, 'apply', '-f', MANIFESTS]);
  assert.equal(result.exitCode, 1, result.stderr);
  assertOneLineError(result.stderr, /^error: `ip` not found: install iproute2/);
  assert.equal((await sb.run(['ip', 'netns', 'list'])).stdout.trim(), '', 'no namespace was made');
});
