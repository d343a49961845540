/**
 * The SecureConnect warnings of a rule set's sec_connect rules, as the draft rule GET answers
 * them (the rule set GET does not carry them). One request per SecureConnect rule.
 */
import { api } from '../api/client.ts';
import { notesOf, type ApiMessage, type RuleNote } from './rule-notes.ts';
import type { ApiRuleSet } from './rule-rows.ts';

export async function loadRuleWarnings(rs: Pick<ApiRuleSet, 'rules'>): Promise<Map<string, RuleNote[]>> {
  const scRules = (rs.rules ?? []).filter((r) => r.sec_connect);
  const answers = await Promise.all(scRules.map((r) => api.get<{ warnings?: ApiMessage[] }>(r.href).then((a) => [r.href, notesOf(a.warnings ?? [], 'warning')] as const)));
  return new Map(answers.filter(([, n]) => n.length > 0));
}

/** Rule-keyed notes as notes of the rule set, each naming its rule (`rule 12`). */
export function asRuleSetNotes(byRule: ReadonlyMap<string, readonly RuleNote[]>): RuleNote[] {
  return [...byRule].flatMap(([href, notes]) => notes.map((n) => ({ ...n, field: `rule ${href.slice(href.lastIndexOf('/') + 1)}${n.field ? ` › ${n.field}` : ''}` })));
}
