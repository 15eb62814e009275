/** commandPath: the PATH lookup spawnRunner does once per executable name; splitInto, the chunks of the chunked runs. */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandPath, spawnRunner, splitInto } from '../../src/util/runner.js';

test('commandPath skips a directory and a file without x bits named like the command, and finds the executable after them', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'netrecon-path-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const name = 'netrecon-path-probe';
  for (const dir of ['a', 'b', 'c']) await mkdir(join(root, dir));
  await mkdir(join(root, 'a', name));
  await writeFile(join(root, 'b', name), '#!/bin/sh\necho no\n');
  await writeFile(join(root, 'c', name), '#!/bin/sh\necho found\n');
  await chmod(join(root, 'c', name), 0o755);
  const saved = process.env['PATH'];
  process.env['PATH'] = ['', join(root, 'a'), join(root, 'b'), join(root, 'c'), saved].join(':');
  t.after(() => { process.env['PATH'] = saved; });
  assert.equal(commandPath(name), join(root, 'c', name));
  assert.equal((await spawnRunner.run(name, [])).stdout, 'found\n');
  assert.equal(commandPath('/bin/sh'), '/bin/sh', 'a path is left as it is');
  assert.equal(commandPath('netrecon-no-such-command'), 'netrecon-no-such-command', 'not found: the name, for spawn to report');
});

test('splitInto: consecutive slices of nearly equal size, in order, never more than asked; none for nothing', () => {
  assert.deepEqual(splitInto([1, 2, 3, 4, 5], 2), [[1, 2, 3], [4, 5]]);
  assert.deepEqual(splitInto([1, 2, 3], 4), [[1], [2], [3]]);
  assert.deepEqual(splitInto([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4), [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
  assert.deepEqual(splitInto([1, 2], 0), [[1, 2]], 'at least one part');
  assert.deepEqual(splitInto([], 4), []);
});
