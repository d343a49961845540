/**
 * The one error model. Every failure that reaches a user is a PalisadeError with a
 * stable token (Illumio-style, e.g. `label_in_use`) and a kind that the edges map to an
 * HTTP status (pce/api/http-errors.ts) or a CLI exit code (cli/exit-codes.ts).
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ErrorDetail {
  readonly token: string;
  readonly message: string;
  /** Path of the offending field or object, when there is one (`rules[2].consumers[0]`). */
  readonly path?: string;
}

export class PalisadeError extends Error {
  readonly kind: ErrorKind;
  readonly details: readonly ErrorDetail[];
  /** Seconds a client should wait (rate limits, unavailable). */
  readonly retryAfter: number | undefined;

  constructor(kind: ErrorKind, details: readonly ErrorDetail[], retryAfter?: number) {
    super(details.map((d) => d.message).join('; ') || kind);
    this.name = 'PalisadeError';
    this.kind = kind;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  get token(): string {
    return this.details[0]?.token ?? this.kind;
  }
}

function make(kind: ErrorKind) {
  return (token: string, message: string, path?: string): PalisadeError =>
    new PalisadeError(kind, [path === undefined ? { token, message } : { token, message, path }]);
}

export const invalid = make('invalid');
export const notFound = make('not_found');
export const conflict = make('conflict');
export const forbidden = make('forbidden');
export const unauthenticated = make('unauthenticated');
export const unavailable = make('unavailable');

export function isPalisadeError(e: unknown): e is PalisadeError {
  return e instanceof PalisadeError;
}
