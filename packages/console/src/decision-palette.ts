/**
 * How the console shows a policy decision, everywhere (traffic map edges, Explorer rows, rule
 * checks). Colours are Okabe–Ito, chosen to stay distinguishable with the common colour-vision
 * deficiencies; colour is never the only cue: every decision also has a line pattern (map
 * edges), a glyph (tables, legends) and a word.
 */
import type { PolicyDecision } from '@palisade/core/compute/policy-check.ts';

export type { PolicyDecision };

export interface DecisionStyle {
  readonly decision: PolicyDecision;
  /** What a person reads: "Allowed", "Potentially blocked"… */
  readonly label: string;
  /** One line for legends and tooltips: what the decision means for the flow. */
  readonly meaning: string;
  /** CSS colour (hex). */
  readonly color: string;
  /** Canvas `setLineDash` segments, in pixels at line width 1 ([] = solid). */
  readonly dash: readonly number[];
  /** SVG `stroke-dasharray` of the same pattern ('none' = solid). */
  readonly dashArray: string;
  /** Name of the pattern, for legends and text alternatives. */
  readonly pattern: 'solid' | 'dashed' | 'dotted' | 'dash-dot';
  /** A glyph shown next to the word in tables (shape differs, not only colour). */
  readonly glyph: string;
}

/** In the order legends list them: most reassuring first. */
export const DECISIONS: readonly PolicyDecision[] = ['allowed', 'potentially_blocked', 'blocked', 'unknown'];

export const DECISION_STYLES: Readonly<Record<PolicyDecision, DecisionStyle>> = {
  allowed: { decision: 'allowed', label: 'Allowed', meaning: 'a rule allows it', color: '#0072B2', dash: [], dashArray: 'none', pattern: 'solid', glyph: '✓' },
  potentially_blocked: {
    decision: 'potentially_blocked',
    label: 'Potentially blocked',
    meaning: 'no rule allows it; blocked once the workload is enforced',
    color: '#E69F00',
    dash: [8, 4],
    dashArray: '8 4',
    pattern: 'dashed',
    glyph: '▲',
  },
  blocked: { decision: 'blocked', label: 'Blocked', meaning: 'no rule allows it and the workload is enforced', color: '#D55E00', dash: [2, 3], dashArray: '2 3', pattern: 'dotted', glyph: '✕' },
  unknown: { decision: 'unknown', label: 'Unknown', meaning: 'not evaluated (an end is not a managed workload, or no policy yet)', color: '#999999', dash: [8, 3, 2, 3], dashArray: '8 3 2 3', pattern: 'dash-dot', glyph: '?' },
};

/** Any decision string from the API (tolerant of values added later) → a known decision. */
export function toDecision(value: unknown): PolicyDecision {
  return typeof value === 'string' && Object.hasOwn(DECISION_STYLES, value) ? (value as PolicyDecision) : 'unknown';
}

export function decisionStyle(value: unknown): DecisionStyle {
  return DECISION_STYLES[toDecision(value)];
}

/**
 * The decision shown for several flows together (an aggregated map edge): the most severe one,
 * so a single blocked flow between two groups is never hidden behind allowed ones.
 */
const SEVERITY: Readonly<Record<PolicyDecision, number>> = { allowed: 0, unknown: 1, potentially_blocked: 2, blocked: 3 };
export function worstDecision(a: PolicyDecision, b: PolicyDecision): PolicyDecision {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}
