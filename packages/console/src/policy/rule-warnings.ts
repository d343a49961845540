/**
 * The SecureConnect warnings of a rule set's sec_connect rules, as the draft rule GET answers
 * them (the rule set GET does not carry them). One request per SecureConnect rule.
 */
import { api } from '../api/client.ts';
import { notesOf, type ApiMessage, type RuleNote } from './rule-notes.ts';
import type { ApiRuleSet } from './rule-rows.ts';

/** Each rule GET checks the rule against the whole inventory on the PCE: a few at a time. */
const PARALLEL = 4;

/** `f` over `items` with at most `limit` calls running; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function loadRuleWarnings(rs: Pick<ApiRuleSet, 'rules'>): Promise<Map<string, RuleNote[]>> {
  const scRules = (rs.rules ?? []).filter((r) => r.sec_connect);
  const answers = await mapLimit(scRules, PARALLEL, async (r) => [r.href, notesOf((await api.get<{ warnings?: ApiMessage[] }>(r.href)).warnings ?? [], 'warning')] as const);
  return new Map(answers.filter(([, n]) => n.length > 0));
}

/** Rule-keyed notes as notes of the rule set, each naming its rule (`rule 12`). */
export function asRuleSetNotes(byRule: ReadonlyMap<string, readonly RuleNote[]>): RuleNote[] {
  return [...byRule].flatMap(([href, notes]) => notes.map((n) => ({ ...n, field: `rule ${href.slice(href.lastIndexOf('/') + 1)}${n.field ? ` › ${n.field}` : ''}` })));
}
