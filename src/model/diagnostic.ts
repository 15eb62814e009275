import type { SourceRef } from './manifest.js';

/** A problem with the user's input. Collected, never thrown one by one. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Stable machine-readable code, e.g. "schema", "reference", "overlap". */
  readonly code: string;
  readonly message: string;
}

export const diagnosticAt = (at: SourceRef, code: string, message: string): Diagnostic => ({
  file: at.file,
  line: at.line,
  col: at.col,
  code,
  message,
});

/** "a.yaml:3" — how one diagnostic names the place of another resource. */
export const shortRef = (at: SourceRef): string => `${at.file}:${at.line}`;

export const formatDiagnostic = (d: Diagnostic): string => `${d.file}:${d.line}:${d.col}: ${d.message}`;

/** Stable order: by file, then position. */
export const sortDiagnostics = (ds: readonly Diagnostic[]): Diagnostic[] =>
  [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
