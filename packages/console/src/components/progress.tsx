/**
 * Long operations (provision, exports, async queries, bulk edits): a bar when the fraction is
 * known, an animated indeterminate bar otherwise, always with a text saying what is going on.
 */
export function Progress(props: { label: string; value?: number; max?: number; testid?: string }) {
  const max = props.max ?? 1;
  const known = props.value !== undefined && max > 0;
  const pct = known ? Math.max(0, Math.min(100, Math.round(((props.value ?? 0) / max) * 100))) : undefined;
  return (
    <div class="progress" data-testid={props.testid ?? 'progress'}>
      <div
        class={`progress-track${known ? '' : ' progress-indeterminate'}`}
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={known ? 0 : undefined}
        aria-valuemax={known ? 100 : undefined}
        aria-valuenow={pct}
      >
        <div class="progress-bar" style={known ? { width: `${pct ?? 0}%` } : undefined} />
      </div>
      <span class="progress-label">
        {props.label}
        {pct !== undefined && ` (${pct}%)`}
      </span>
    </div>
  );
}

/** The loading state of a page or panel. */
export function Loading(props: { what?: string }) {
  return (
    <div class="loading" role="status" data-testid="loading">
      <span class="spinner" aria-hidden="true" />
      Loading{props.what ? ` ${props.what}` : ''}…
    </div>
  );
}
