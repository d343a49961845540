import type { z } from 'zod';
import { PalisadeError } from './errors.ts';

/**
 * Parse an outside input with a schema; every problem becomes one `[{token, message}]`
 * entry naming the field, so a client sees all of them at once.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new PalisadeError(
    'invalid',
    r.error.issues.slice(0, 50).map((i) => {
      const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      const where = path ? `${what}.${path}` : what;
      return { token: 'input_validation_error', message: `${where}: ${i.message}`, path: where };
    }),
  );
}
