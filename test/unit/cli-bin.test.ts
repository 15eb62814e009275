/**
 * bin/netrecon run as a program (its `#!/usr/bin/env -S node …` line), the
 * way users, `npm link` and systemd start it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(root, 'bin', 'netrecon');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

test('bin/netrecon runs by itself through its shebang and prints the version', async () => {
  const { stdout } = await promisify(execFile)(BIN, ['--version'], { env: { ...process.env, PATH: `${process.execPath.replace(/\/node$/, '')}:${process.env.PATH ?? ''}` } });
  assert.equal(stdout, `netrecon ${version}\n`);
});
