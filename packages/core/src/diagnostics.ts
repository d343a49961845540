/**
 * Diagnostics over exceptions: policy checks return every problem they find, each with
 * the path of the object at fault, instead of failing on the first one.
 */
import { PalisadeError } from './errors.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  readonly token: string;
  readonly message: string;
  /** Org-relative href of the object at fault, plus a field path inside it. */
  readonly href?: string;
  readonly path?: string;
}

export function errorsOf(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'error');
}

export function warningsOf(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'warning');
}

/** Throw the errors among `diags` as one invalid-input error; warnings pass. */
export function throwIfErrors(diags: readonly Diagnostic[]): void {
  const errs = errorsOf(diags);
  if (errs.length === 0) return;
  throw new PalisadeError(
    'invalid',
    errs.map((d) => {
      const path = [d.href, d.path].filter(Boolean).join('#');
      return path ? { token: d.token, message: d.message, path } : { token: d.token, message: d.message };
    }),
  );
}
