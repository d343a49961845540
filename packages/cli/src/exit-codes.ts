/** The one place where errors become CLI exit codes and messages (STYLE §6). */
import { isPalisadeError, type ErrorKind } from '@palisade/core/errors.ts';

const CODES: Record<ErrorKind, number> = {
  invalid: 2,
  unauthenticated: 3,
  forbidden: 3,
  not_found: 4,
  conflict: 5,
  rate_limited: 6,
  unavailable: 7,
  internal: 1,
};

export function exitCodeOf(err: unknown): number {
  return isPalisadeError(err) ? CODES[err.kind] : 1;
}

/** Lines to print for an error: every detail, with its token. */
export function describeError(err: unknown): string[] {
  if (isPalisadeError(err)) return err.details.map((d) => `error: ${d.message} [${d.token}]`);
  return [`error: ${err instanceof Error ? err.message : String(err)}`];
}
