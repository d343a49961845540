/**
 * Short notices after an action ("Label created", "Provision failed: …"). `notify` can be
 * called from anywhere; `<ToastHost/>` (mounted once by the app) shows them. Failures stay
 * until dismissed, successes fade after a few seconds.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorItems } from './error-list.tsx';

export interface Toast {
  readonly id: number;
  readonly kind: 'success' | 'error' | 'info';
  readonly message: string;
}

let toasts: Toast[] = [];
let seq = 0;
const listeners = new Set<(t: Toast[]) => void>();
function publish(): void {
  for (const l of listeners) l(toasts);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  publish();
}

function push(kind: Toast['kind'], message: string): void {
  seq += 1;
  const id = seq;
  toasts = [...toasts.slice(-4), { id, kind, message }];
  publish();
  // Errors stay longer (they are also shown where they belong on the page), but not for
  // ever: a forgotten error toast would sit over the buttons in the corner.
  setTimeout(() => dismiss(id), kind === 'error' ? 15_000 : 5000);
}

export const notify = {
  success(message: string): void {
    push('success', message);
  },
  info(message: string): void {
    push('info', message);
  },
  /** `what failed` + the API's messages. */
  error(what: string, error?: unknown): void {
    const detail = errorItems(error).map((e) => e.message).join('; ');
    push('error', detail ? `${what}: ${detail}` : what);
  },
};

export function ToastHost() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => {
      listeners.delete(setList);
    };
  }, []);
  return (
    <div class="toasts" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${t.kind}`}>
          <span class="toast-icon" aria-hidden="true">
            {t.kind === 'error' ? '✕' : t.kind === 'success' ? '✓' : 'i'}
          </span>
          <span class="toast-message">{t.message}</span>
          <button type="button" class="icon-button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
