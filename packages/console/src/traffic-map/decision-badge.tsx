/** A policy decision as people read it: glyph + word in its colour, and a line sample for legends. */
import { decisionStyle, type PolicyDecision } from '../decision-palette.ts';

export function DecisionBadge(props: { decision: PolicyDecision | string }) {
  const s = decisionStyle(props.decision);
  return (
    <span class="decision-badge" style={{ color: s.color, borderColor: s.color }} data-decision={s.decision} title={s.meaning}>
      <span aria-hidden="true" class="decision-glyph">
        {s.glyph}
      </span>
      {s.label}
    </span>
  );
}

/** A short line drawn with the decision's colour and dash pattern (the map's edge style). */
export function DecisionSwatch(props: { decision: PolicyDecision }) {
  const s = decisionStyle(props.decision);
  return (
    <svg class="decision-swatch" width="36" height="10" viewBox="0 0 36 10" aria-hidden="true">
      <line x1="1" y1="5" x2="35" y2="5" stroke={s.color} stroke-width="2.5" stroke-dasharray={s.dashArray === 'none' ? undefined : s.dash.map((d) => d * 1.5).join(' ')} />
    </svg>
  );
}
