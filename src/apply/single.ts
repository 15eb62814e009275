import { mkdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from '../model/plan.js';
import { sysctlPath } from '../model/resource.js';
import { nftRestoreArgs } from '../firewall/index.js';
import type { Runner } from '../util/runner.js';

/** Result of one non-ip command: undefined on success, else the reason. */
export type SingleResult = string | undefined;

/** The sysctls netrecon writes: forwarding, and route_localnet of a bridge (an interface name). */
const SYSCTL_KEY = /^(net\.ipv4\.ip_forward|net\.ipv6\.conf\.all\.forwarding|net\.ipv4\.conf\.(?!\.{1,2}\.route_localnet$)[A-Za-z0-9_.-]{1,15}\.route_localnet)$/;

/** Run an nft transaction, a sysctl write or a file write/removal. */
export async function runSingle(command: Command, runner: Runner): Promise<SingleResult> {
  switch (command.tool) {
    case 'nft': {
      // nft reads JSON by opening /dev/stdin, which fails on node's socket stdin: JSON goes as arguments.
      const r = command.format === 'json' ? await runner.run('nft', nftRestoreArgs(command.script))
        : await runner.run('nft', ['-f', '-'], { input: command.script });
      return r.exitCode === 0 ? undefined : r.stderr.trim() || `nft exited ${r.exitCode}`;
    }
    case 'sysctl': {
      if (!SYSCTL_KEY.test(command.key)) throw new Error(`bug: invalid sysctl key ${command.key}`);
      return attempt(() => writeFile(`/proc/sys/${sysctlPath(command.key)}`, `${command.value}\n`));
    }
    case 'file':
      return attempt(async () => {
        if (command.content === null) {
          await rm(command.path, { force: true });
          return rmdir(dirname(command.path)).catch(() => undefined); // only when empty
        }
        await mkdir(dirname(command.path), { recursive: true, mode: 0o755 });
        await rm(command.path, { force: true }); // never write through a link
        if (command.target !== undefined) await symlink(command.target, command.path);
        else await writeFile(command.path, command.content, { mode: 0o644 });
      });
    case 'ip':
      throw new Error('bug: ip commands run in batches');
  }
}

async function attempt(fn: () => Promise<unknown>): Promise<SingleResult> {
  try {
    await fn();
    return undefined;
  } catch (e: unknown) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** How a command reads in messages and in `plan -o sh`. */
export function describeCommand(command: Command): string {
  switch (command.tool) {
    case 'ip': return `ip ${command.args.join(' ')}`;
    case 'nft': return `nft ${command.format === 'json' ? '-j ' : ''}-f - (table inet netrecon)`;
    case 'sysctl': return `sysctl -w ${command.key}=${command.value}`;
    case 'file': return command.content === null ? `rm -f ${command.path}` : command.target !== undefined ? `ln -sfn ${command.target} ${command.path}` : `write ${command.path}`;
  }
}
