import { RULE_SET_STATE_TEXT, type RuleSetState } from './pending.ts';

/** Active / draft / pending: a word and a border style, not colour alone. */
export function RuleSetStateBadge(props: { state: RuleSetState }) {
  return (
    <span class={`state-badge state-${props.state}`} data-testid="rule-set-state" data-state={props.state}>
      {RULE_SET_STATE_TEXT[props.state]}
    </span>
  );
}
