/**
 * The map's legend, which is also its decision filter: each decision with its line sample,
 * glyph, word and how many edges show it; unticking hides those flows.
 */
import { DECISIONS, DECISION_STYLES, type PolicyDecision } from '../decision-palette.ts';
import type { MapGraph } from './aggregate.ts';
import { DecisionSwatch } from './decision-badge.tsx';

export function MapLegend(props: { graph: MapGraph; visible: readonly PolicyDecision[]; onChange: (visible: PolicyDecision[]) => void }) {
  const counts: Record<PolicyDecision, number> = { allowed: 0, potentially_blocked: 0, blocked: 0, unknown: 0 };
  for (const e of props.graph.edges) counts[e.decision]++;
  const on = new Set(props.visible);
  return (
    <fieldset class="traffic-map-legend" data-testid="map-legend">
      <legend>Policy decision</legend>
      {DECISIONS.map((d) => {
        const s = DECISION_STYLES[d];
        return (
          <label key={d} class="legend-item" title={s.meaning}>
            <input
              type="checkbox"
              checked={on.has(d)}
              data-testid={`map-decision-${d}`}
              onChange={(e) => {
                const checked = (e.currentTarget as HTMLInputElement).checked;
                props.onChange(DECISIONS.filter((x) => (x === d ? checked : on.has(x))));
              }}
            />
            <DecisionSwatch decision={d} />
            <span aria-hidden="true" style={{ color: s.color }}>
              {s.glyph}
            </span>
            <span>
              {s.label} <span class="muted">({s.pattern})</span>
            </span>
            {on.has(d) && <span class="muted">{counts[d]}</span>}
          </label>
        );
      })}
    </fieldset>
  );
}
