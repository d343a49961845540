/** The chosen objects of a picker, as removable chips (names when known, else the id). */
export function HrefChips(props: { value: readonly string[]; nameOf: (href: string) => string | undefined; onChange: (hrefs: string[]) => void }) {
  if (props.value.length === 0) return null;
  return (
    <span class="chips">
      {props.value.map((h) => {
        const name = props.nameOf(h) ?? h.slice(h.lastIndexOf('/') + 1);
        return (
          <span class="chip" key={h}>
            <span class="chip-value">{name}</span>
            <button type="button" class="icon-button" aria-label={`Remove ${name}`} onClick={() => props.onChange(props.value.filter((x) => x !== h))}>
              ×
            </button>
          </span>
        );
      })}
    </span>
  );
}
