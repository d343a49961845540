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

  const pairs: string[] = [];
  let count = 0;
  const seen = new Set<string>();
  for (const p of ctx.providers) {
    for (const c of ctx.consumers) {
      if (p.id === c.id) continue;
      const pc = isSecureConnectCapable(p);
      const cc = isSecureConnectCapable(c);
      if (pc === cc) continue; // both capable: SAs; neither: nothing to enforce
      const key = p.id < c.id ? `${p.id}|${c.id}` : `${c.id}|${p.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      count++;
      if (pairs.length < MAX_PAIRS_NAMED) {
        const [capable, other] = pc ? [p, c] : [c, p];
        pairs.push(`${capable.name} ↔ ${other.name} (${reason(other)})`);
      }
    }
  }
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
