/** Make a Debian package's executable present, installing it with apt-get when allowed. */
import { access, constants } from 'node:fs/promises';
import { execa } from 'execa';

let updated = false;

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function aptInstall(pkg: string): Promise<string | undefined> {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    const update = await execa('apt-get', ['update', '-qq'], { reject: false, env });
    if (update.exitCode !== 0) return `apt-get update failed: ${lastLine(update.stderr)}`;
    updated = true;
  }
  const result = await execa('apt-get', ['install', '-y', '-qq', pkg], { reject: false, env });
  return result.exitCode === 0 ? undefined : `apt-get install ${pkg} failed: ${lastLine(result.stderr)}`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * Undefined when `path` is executable (after installing `pkg` if it was
 * missing and `install` is allowed), else the reason it is not.
 */
export async function ensurePackage(pkg: string, path: string, install: boolean): Promise<string | undefined> {
  if (await isExecutable(path)) return undefined;
  if (!install) return `${path} missing (Debian package ${pkg}; run without --no-install or apt-get install ${pkg})`;
  process.stderr.write(`bench: ${path} missing, installing Debian package ${pkg}\n`);
  const failure = await aptInstall(pkg);
  if (failure !== undefined) return failure;
  return (await isExecutable(path)) ? undefined : `${pkg} installed but ${path} is still missing`;
}

/** `dpkg-query` version of an installed package. */
export async function debVersion(pkg: string): Promise<string> {
  const result = await execa('dpkg-query', ['-W', '-f', '${Version}', pkg], { reject: false });
  return result.exitCode === 0 ? `${pkg} ${result.stdout.trim()}` : pkg;
}
