/**
 * A dialog over the page: Escape or the close button closes it, focus moves into it on open
 * and back to where it was on close, Tab stays inside.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; testid?: string; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const { onClose } = props;
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const box = ref.current;
    const first = box?.querySelector<HTMLElement>('input, select, textarea, button:not(.modal-close), [href]');
    (first ?? box)?.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      } else if (e.key === 'Tab' && box) {
        const items = [...box.querySelectorAll<HTMLElement>('input, select, textarea, button, [href], [tabindex]:not([tabindex="-1"])')].filter((el) => !el.hasAttribute('disabled'));
        const head = items[0];
        const tail = items[items.length - 1];
        if (!head || !tail) return;
        if (e.shiftKey && document.activeElement === head) {
          e.preventDefault();
          tail.focus();
        } else if (!e.shiftKey && document.activeElement === tail) {
          e.preventDefault();
          head.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus();
    };
  }, [onClose]);
  return (
    <div class="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class={`modal${props.wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby="modal-title" tabIndex={-1} ref={ref} data-testid={props.testid ?? 'modal'}>
        <header class="modal-header">
          <h2 id="modal-title">{props.title}</h2>
          <button type="button" class="modal-close icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div class="modal-body">{props.children}</div>
        {props.footer !== undefined && <footer class="modal-footer">{props.footer}</footer>}
      </div>
    </div>
  );
}
