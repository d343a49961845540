/**
 * What every modal form repeats: a submit that shows the API's errors at the fields and
 * disables the button while it runs, and the Cancel / primary button row.
 */
import { useState } from 'preact/hooks';

export interface Submit {
  readonly busy: boolean;
  readonly error: unknown;
  /** The form's onSubmit: runs `action`, keeping its error for the fields. */
  submit(e: Event): Promise<void>;
}

export function useSubmit(action: () => Promise<void>): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return {
    busy,
    error,
    submit: async (e) => {
      e.preventDefault();
      setBusy(true);
      setError(undefined);
      try {
        await action();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
  };
}

export function FormActions(props: { onCancel: () => void; busy: boolean; label: string; testid: string }) {
  return (
    <div class="form-actions">
      <button type="button" class="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" class="button button-primary" disabled={props.busy} data-testid={props.testid}>
        {props.label}
      </button>
    </div>
  );
}
