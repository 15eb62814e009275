import { NetreconError } from '../model/errors.js';
import { createExclusive, isHolderAlive, type LockRecord, readHeld, unlinkIfExists } from './lockfile.js';

const MAX_DEPTH = 3;

/**
 * Removes a stale lock file (one whose holder is dead, or unreadable) that
 * was seen with identity `id`, safely against other processes doing the same.
 *
 * Renaming the stale file aside and putting it back when it turns out to be
 * fresh leaves a moment with no lock file, in which a third process can win
 * while the displaced holder still believes it holds the lock. Instead, the
 * right to remove this one stale file is itself an exclusive file named after
 * its identity, `<path>.claim-<id>`: only its creator may delete the stale
 * file, and only after checking that the file is still the one judged stale.
 * Identities are never reused, so a claim cannot apply to a fresh lock. A
 * claim left by a process that died is stale in turn and is removed the
 * same way, one level down.
 *
 * Returns when the caller should try to create the lock again.
 */
export async function removeStale(path: string, id: string, me: LockRecord, depth = 0): Promise<void> {
  const claim = `${path}.claim-${id}`;
  if (await createExclusive(claim, me)) {
    try {
      if ((await readHeld(path))?.id === id) await unlinkIfExists(path);
    } finally {
      await unlinkIfExists(claim);
    }
    return;
  }
  const claimant = await readHeld(claim);
  if (claimant === undefined || (claimant.record !== undefined && (await isHolderAlive(claimant.record)))) return;
  if (depth >= MAX_DEPTH) {
    throw new NetreconError('lock-contended', `cannot take over the stale lock ${path}: abandoned claims pile up; if no netrecon is running, remove ${path}*`);
  }
  await removeStale(claim, claimant.id, me, depth + 1);
}
