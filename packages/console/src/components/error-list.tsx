/**
 * API errors as the user reads them. The API names a field in its validation messages
 * (`body.ip_ranges[0].from_ip: …`), so `fieldErrors` picks the ones that belong next to one
 * field and `ErrorList` shows the rest at the top of a form.
 */
import { ApiError, type ApiErrorItem } from '../api/client.ts';

export function errorItems(error: unknown): readonly ApiErrorItem[] {
  if (error === undefined || error === null) return [];
  if (error instanceof ApiError) return error.errors;
  if (error instanceof Error) return [{ token: 'error', message: error.message }];
  return [{ token: 'error', message: String(error) }];
}

/**
 * The messages about `field` (a body path like `name` or `ip_ranges[0]`), without the path
 * prefix; with `exact`, not those about its parts (`ip_ranges: too many`, not `ip_ranges[0]…`).
 */
export function fieldErrors(error: unknown, field: string, exact = false): string[] {
  const prefix = `body.${field}`;
  const out: string[] = [];
  for (const e of errorItems(error)) {
    if (!e.message.startsWith(prefix)) continue;
    const rest = e.message.slice(prefix.length);
    // `name: …` or `ip_ranges[0].from_ip: …` (a sub-path belongs to the field too), not `names: …`.
    if (!(exact ? /^:/ : /^[:.[]/).test(rest)) continue;
    const colon = e.message.indexOf(': ');
    out.push(colon === -1 ? e.message : e.message.slice(colon + 2));
  }
  return out;
}

/** The errors not claimed by any of `fields` (shown at the top of the form). */
export function otherErrors(error: unknown, fields: readonly string[]): readonly ApiErrorItem[] {
  return errorItems(error).filter((e) => !fields.some((f) => fieldErrors(new ApiError(0, [e]), f).length > 0));
}

export function ErrorList(props: { error: unknown; exclude?: readonly string[] }) {
  const items = props.exclude ? otherErrors(props.error, props.exclude) : errorItems(props.error);
  if (items.length === 0) return null;
  return (
    <div class="error-list" role="alert" data-testid="error-list">
      <ul>
        {items.map((e, i) => (
          <li key={i} data-token={e.token}>
            {e.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Errors that belong to a group of fields (a list as a whole) rather than to one input. */
export function FieldErrors(props: { messages: readonly string[] }) {
  return (
    <>
      {props.messages.map((m, i) => (
        <div class="field-error" role="alert" key={i}>
          {m}
        </div>
      ))}
    </>
  );
}
