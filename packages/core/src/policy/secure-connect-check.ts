/**
 * SecureConnect validation of one rule (DESIGN §4 items 4–5), pure. Errors for actors that
 * can never carry IPsec (IP lists, virtual services, unmanaged workloads named directly);
 * warnings naming the pairs whose traffic will be blocked because one side cannot do
 * SecureConnect while the other still requires it (fail closed, item 6).
 */
import type { Diagnostic } from '../diagnostics.ts';
import { actorOf, type ActorInput } from '../model/rule-sets.ts';
import { isSecureConnectCapable, type PolicyWorkload } from './workload-set.ts';

export interface SecureConnectRuleContext {
  /** Href of the rule, for diagnostics. */
  readonly ruleHref: string;
  readonly ipListName: (id: string) => string | undefined;
  readonly workload: (id: string) => PolicyWorkload | undefined;
  /** Workloads the rule's providers and consumers resolve to (scopes applied). */
  readonly providers: readonly PolicyWorkload[];
  readonly consumers: readonly PolicyWorkload[];
}

const MAX_PAIRS_NAMED = 10;

export function checkSecureConnectActors(actors: readonly ActorInput[], side: string, ctx: SecureConnectRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  actors.forEach((raw, i) => {
    const a = actorOf(raw);
    const path = `${side}[${i}]`;
    if (a.kind === 'ip_list') {
      const name = ctx.ipListName(a.id) ?? a.id;
      out.push({
        severity: 'error',
        token: 'sec_connect_ip_list_not_allowed',
        message: `SecureConnect needs a VEN on both sides; the IP list "${name}" is not a workload. Name workloads, labels or label groups instead, or turn sec_connect off.`,
        href: ctx.ruleHref,
        path,
      });
    } else if (a.kind === 'virtual_service') {
      out.push({
        severity: 'error',
        token: 'sec_connect_virtual_service_not_allowed',
        message: 'SecureConnect is host to host and cannot apply to a virtual service. Name the workloads behind it, or turn sec_connect off.',
        href: ctx.ruleHref,
        path,
      });
    } else if (a.kind === 'workload') {
      const w = ctx.workload(a.id);
      if (w && !w.managed) {
        out.push({
          severity: 'error',
          token: 'sec_connect_unmanaged_workload_not_allowed',
          message: `SecureConnect needs a VEN on both sides; the workload "${w.name}" is unmanaged. Pair a VEN with it first, or turn sec_connect off.`,
          href: ctx.ruleHref,
          path,
        });
      }
    }
  });
  return out;
}

function reason(w: PolicyWorkload): string {
  if (!w.managed) return 'unmanaged';
  if (w.os_type === 'aix' || w.os_type === 'solaris') return w.os_type === 'aix' ? 'AIX' : 'Solaris';
  return 'idle';
}

/** Errors and warnings for a `sec_connect: true` rule. */
export function checkSecureConnectRule(
  rule: { readonly sec_connect: boolean; readonly providers: readonly ActorInput[]; readonly consumers: readonly ActorInput[] },
  ctx: SecureConnectRuleContext,
): Diagnostic[] {
  if (!rule.sec_connect) return [];
  const out = [
    ...checkSecureConnectActors(rule.providers, 'providers', ctx),
    ...checkSecureConnectActors(rule.consumers, 'consumers', ctx),
  ];
  if (out.length > 0) return out;

  // Only capable × incapable pairs matter; count them without visiting every pair (label
  // rules can cover thousands of workloads on each side).
  const split = (ws: readonly PolicyWorkload[]) => [ws.filter(isSecureConnectCapable), ws.filter((w) => !isSecureConnectCapable(w))] as const;
  const [capP, incP] = split(ctx.providers);
  const [capC, incC] = split(ctx.consumers);
  const pairs: string[] = [];
  const seen = new Set<string>();
  let count = 0;
  const visit = (capable: readonly PolicyWorkload[], other: readonly PolicyWorkload[]): void => {
    const otherIds = new Set(other.map((w) => w.id));
    for (const a of capable) {
      // Both orders of one pair count once: a pair seen as (p, c) may reappear as (c, p).
      const dupes = seen.size === 0 ? 0 : other.filter((b) => seen.has(`${a.id}|${b.id}`)).length;
      count += other.length - (otherIds.has(a.id) ? 1 : 0) - dupes;
      if (pairs.length < MAX_PAIRS_NAMED) {
        for (const b of other) {
          if (pairs.length >= MAX_PAIRS_NAMED) break;
          if (b.id !== a.id) pairs.push(`${a.name} ↔ ${b.name} (${reason(b)})`);
        }
      }
    }
  };
  visit(capP, incC);
  // Record (incapable consumer, capable provider) pairs so the reverse pass skips them only
  // when the same two workloads appear on both sides.
  if (capC.length > 0 && incP.length > 0) {
    const consumerIds = new Set(ctx.consumers.map((c) => c.id));
    const both = new Set(ctx.providers.map((w) => w.id).filter((id) => consumerIds.has(id)));
    for (const a of capP) if (both.has(a.id)) for (const b of incC) if (both.has(b.id)) seen.add(`${a.id}|${b.id}`);
  }
  visit(capC, incP);
  if (count === 0) return out;
  const more = count > pairs.length ? ` and ${count - pairs.length} more` : '';
  out.push({
    severity: 'warning',
    token: 'sec_connect_incapable_peers',
    message:
      `${count} workload pair(s) covered by this SecureConnect rule include a workload that cannot do SecureConnect: ` +
      `${pairs.join(', ')}${more}. The capable side still requires IPsec with that peer, so their traffic is blocked ` +
      'until the rule or the peer changes (pair a VEN, leave idle, or exclude it from the rule).',
    href: ctx.ruleHref,
  });
  return out;
}
