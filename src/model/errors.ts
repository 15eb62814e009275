import type { Diagnostic } from './diagnostic.js';

/**
 * User-facing failures carry a code and an exit status; anything else that
 * escapes is a bug and is reported as one.
 */
export class NetreconError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The manifests are invalid; nothing was changed. */
export class ManifestError extends NetreconError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super('manifest', `${diagnostics.length} error(s) in manifests; nothing was changed`);
    this.diagnostics = diagnostics;
  }
}

/** A desired name is taken by something netrecon does not own. */
export class ConflictError extends NetreconError {
  readonly conflicts: readonly string[];
  constructor(conflicts: readonly string[], header = 'refusing to adopt objects netrecon does not own') {
    super('conflict', `${header}; nothing was changed:\n  ${conflicts.join('\n  ')}`);
    this.conflicts = conflicts;
  }
}

export class LockHeldError extends NetreconError {
  /** `command`: what the holder's lock record says it runs; a watch holds the lock until it stops. */
  constructor(path: string, pid: number, command?: string) {
    const advice = command === 'watch'
      ? `: a running \`netrecon watch\` reconciles this state directory and holds its lock until it stops; change its directory, or stop it first`
      : '; try again when it has finished';
    super('lock-held', `another netrecon (pid ${pid}) holds ${path}${advice}`);
  }
}

/** A system command is missing or we lack privileges. */
export class EnvironmentError extends NetreconError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A kernel command failed while observing. */
export class ObserveError extends NetreconError {
  constructor(message: string) {
    super('observe', message);
  }
}

/** Apply failed and the previous state was restored. */
export class ApplyRolledBackError extends NetreconError {
  constructor(message: string) {
    super('apply-rolled-back', message, 1);
  }
}

/** Apply failed and the rollback could not restore the previous state. */
export class RollbackIncompleteError extends NetreconError {
  readonly leftover: readonly string[];
  constructor(message: string, leftover: readonly string[]) {
    super('rollback-incomplete', `${message}\nleft differing from the previous state:\n  ${leftover.join('\n  ')}`, 3);
    this.leftover = leftover;
  }
}

/**
 * Every step ran, yet the state re-observed after them is not the desired
 * one. The changes are kept, not rolled back: exit 3, like a rollback that
 * could not restore, since the host is in neither the old nor the new state.
 */
export class VerifyError extends NetreconError {
  readonly differences: readonly string[];
  constructor(differences: readonly string[], steps: number) {
    super('verify', `the ${steps} step(s) of this run were applied and are kept (not rolled back), but the state after them differs from the desired state:\n  ${differences.join('\n  ')}`, 3);
    this.differences = differences;
  }
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
