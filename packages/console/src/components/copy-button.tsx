/** A button that puts a text on the clipboard (activation commands, a new API key's secret). */
import { useState } from 'preact/hooks';
import { notify } from './toast.tsx';

export function CopyButton(props: { text: string; testid: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="button"
      data-testid={props.testid}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(props.text);
          setDone(true);
          setTimeout(() => setDone(false), 2000);
        } catch {
          notify.error('The browser refused the clipboard: select the text and copy it');
        }
      }}
    >
      {done ? 'Copied ✓' : 'Copy'}
    </button>
  );
}
