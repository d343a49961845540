/**
 * Errors and warnings that belong to one rule. The API returns them in three ways: `warnings`
 * in the answer of a rule write or a rule GET in the draft; a 406 list for a refused rule
 * write (message `providers[0]: …`); and a 406 or `warnings` for a provision, whose messages
 * start with the rule's href. This sorts them onto rules so the console shows them there.
 */

export interface ApiMessage {
  readonly token: string;
  readonly message: string;
}

export interface RuleNote {
  readonly severity: 'error' | 'warning';
  readonly token: string;
  readonly message: string;
  /** The rule field at fault when the API said (`providers[0]`). */
  readonly field?: string;
}

const FIELD_PREFIX = /^((?:providers|consumers|ingress_services)\[\d+\](?:\.[a-z_]+)?):\s*/;

/** Notes of one rule write (errors of a 406 or warnings of a 2xx). */
export function notesOf(items: readonly ApiMessage[], severity: RuleNote['severity']): RuleNote[] {
  return items.map((i) => {
    const m = FIELD_PREFIX.exec(i.message);
    return m?.[1] ? { severity, token: i.token, message: i.message.slice(m[0].length), field: m[1] } : { severity, token: i.token, message: i.message };
  });
}

/** Splits provision messages by the rule href they start with; the rest is general. */
export function notesByRule(items: readonly ApiMessage[], severity: RuleNote['severity'], ruleHrefs: readonly string[]): { byRule: Map<string, RuleNote[]>; general: ApiMessage[] } {
  const byRule = new Map<string, RuleNote[]>();
  const general: ApiMessage[] = [];
  // Longest first: `/sec_rules/12` must not claim `/sec_rules/123`'s messages.
  const hrefs = [...ruleHrefs].sort((a, b) => b.length - a.length);
  for (const item of items) {
    const href = hrefs.find((h) => item.message === h || item.message.startsWith(`${h} `) || item.message.startsWith(`${h}:`));
    if (href === undefined) {
      general.push(item);
      continue;
    }
    const [note] = notesOf([{ token: item.token, message: item.message.slice(href.length).trim() }], severity);
    if (note) byRule.set(href, [...(byRule.get(href) ?? []), note]);
  }
  return { byRule, general };
}

/** Merges several rule → notes maps (write results, GET warnings, provision results). */
export function mergeNotes(...maps: readonly ReadonlyMap<string, readonly RuleNote[]>[]): Map<string, RuleNote[]> {
  const out = new Map<string, RuleNote[]>();
  for (const m of maps) for (const [k, v] of m) out.set(k, [...(out.get(k) ?? []), ...v]);
  return out;
}

/**
 * The messages about one pending object (a provision refusal names the object or one of its
 * rules first): `…/rule_sets/3/sec_rules/5 providers[0]: …` → a note on rule set 3 whose
 * field reads `rule 5 › providers[0]`.
 */
export function objectNotes(items: readonly ApiMessage[], objectHref: string, severity: RuleNote['severity']): RuleNote[] {
  const out: RuleNote[] = [];
  for (const item of items) {
    if (!item.message.startsWith(objectHref)) continue;
    const rest = item.message.slice(objectHref.length);
    const rule = /^\/(?:sec_rules|deny_rules)\/([A-Za-z0-9-]+)\s*/.exec(rest);
    if (rule) {
      const [note] = notesOf([{ token: item.token, message: rest.slice(rule[0].length) }], severity);
      if (note) out.push({ ...note, field: `rule ${rule[1] ?? ''}${note.field ? ` › ${note.field}` : ''}` });
    } else if (/^[\s:]/.test(rest) || rest === '') out.push({ severity, token: item.token, message: rest.replace(/^[\s:]+/, '') });
  }
  return out;
}
