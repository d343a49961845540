/**
 * A destructive action needing a second click: the first turns the button into
 * "Confirm <what>?" with a Cancel beside it; nothing is sent until then.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function ConfirmButton(props: { onConfirm: () => void | Promise<void>; children: ComponentChildren; confirmLabel?: string; testid?: string; danger?: boolean; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const cls = props.danger === false ? 'button' : 'button button-danger';
  if (!asking) {
    return (
      <button type="button" class={cls} disabled={props.disabled} data-testid={props.testid} onClick={() => setAsking(true)}>
        {props.children}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class={cls}
        disabled={busy}
        autoFocus
        data-testid={props.testid ? `${props.testid}-confirm` : 'confirm'}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {props.confirmLabel ?? 'Confirm'}
      </button>
      <button type="button" class="button button-quiet" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
