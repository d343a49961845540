/**
 * Policy check: what the policy decides for one connection (DESIGN §3), from the same
 * resolutions the plans are built from, so the answer is what the agents enforce. Keep one
 * engine on the active snapshot and one on the draft to answer both `policy_decision` and
 * `draft_policy_decision`; the flow store uses the same function.
 *
 * Each endpoint that is a managed workload is an enforcement point: the destination checks
 * its inbound entries, the source its outbound entries. Per point:
 * - a matching deny rule blocks in `full` and `selective`; deny wins over allow;
 * - otherwise a matching allow rule allows;
 * - otherwise `full` blocks, and `selective`, `visibility_only` and `idle` do not block but
 *   report `potentially_blocked` (what full enforcement would do);
 * - `visibility_only` and `idle` turn every block into `potentially_blocked`.
 * The connection's decision is the worst of its points. SecureConnect comes first: when a
 * SecureConnect rule pairs the two hosts and exactly one of them can do IPsec, the capable
 * side still requires IPsec and the connection is `blocked` on every port, in every mode
 * that enforces SecureConnect (fail closed, DESIGN §4 items 2, 5, 6). With no enforcement
 * point at all (unknown IPs, unmanaged workloads), the decision is `unknown`.
 */
import { parseHref } from '../href.ts';
import { parseAddress, type ParsedAddress } from './address-ranges.ts';
import { PolicyEngine, type EngineInput } from './engine.ts';
import { workloadAtAddress } from './flow-decision.ts';
import { incapableReason } from './ike-matrix.ts';
import type { Resolution, Side } from './resolution.ts';
import { servicesMatch } from './service-specs.ts';
import type { WorkloadRecord } from './workload-record.ts';

export interface PolicyCheckQuery {
  /** A workload id or href, or an IP address. */
  readonly src: string;
  readonly dst: string;
  /** IANA protocol number. */
  readonly proto: number;
  readonly port?: number;
  readonly icmp_type?: number;
  readonly icmp_code?: number;
}

export type PolicyDecision = 'allowed' | 'blocked' | 'potentially_blocked' | 'unknown';

export interface DecidingRule {
  readonly href: string;
  readonly kind: 'allow' | 'deny';
  readonly sec_connect: boolean;
}

export interface PolicyCheckResult {
  readonly decision: PolicyDecision;
  /** Rules that match the connection (deny rules first), or the SecureConnect rules that block it. */
  readonly rules: readonly DecidingRule[];
  readonly reason: string;
}

interface Endpoint {
  readonly text: string;
  readonly rec: WorkloadRecord | undefined;
  /** The addresses the packet may carry for this endpoint. */
  readonly addresses: readonly ParsedAddress[];
}

function endpoint(engine: PolicyEngine, text: string): Endpoint | string {
  const ip = parseAddress(text.trim());
  if (ip) return { text, rec: workloadAtAddress(engine, ip), addresses: [ip] };
  const p = parseHref(text);
  const id = p && p.kind === 'org' && p.type === 'workloads' ? p.id : text;
  const rec = engine.recordOf(id);
  if (!rec) return `no workload "${text}" and not an IP address`;
  const addresses: ParsedAddress[] = [...rec.d.v4.map((v) => ({ family: 4 as const, v })), ...rec.d.v6.map((v) => ({ family: 6 as const, v }))];
  return { text, rec, addresses };
}

/** Members by workload; IP lists and virtual-service addresses by address. */
function inSet(r: Resolution, ep: Endpoint): boolean {
  if (ep.rec && r.has(ep.rec.idx)) return true;
  return ep.addresses.some((a) => r.staticContains(a));
}

type Verdict = 'allowed' | 'blocked' | 'potentially_blocked';
const SEVERITY: Record<Verdict, number> = { allowed: 0, potentially_blocked: 1, blocked: 2 };

export function checkPolicy(engine: PolicyEngine, q: PolicyCheckQuery): PolicyCheckResult {
  const src = endpoint(engine, q.src);
  const dst = endpoint(engine, q.dst);
  if (typeof src === 'string' || typeof dst === 'string') {
    return { decision: 'unknown', rules: [], reason: [src, dst].filter((x) => typeof x === 'string').join('; ') };
  }
  const name = (ep: Endpoint): string => (ep.rec ? ep.rec.w.name : ep.text);

  // SecureConnect: host to host, fail closed.
  if (src.rec && dst.rec && src.rec !== dst.rec) {
    const d = dst.rec;
    const sc = engine.sidesOf(src.rec).filter((s) => s.unit.rule.secConnect && s.unit.rule.valid && s.peer.has(d.idx));
    if (sc.length > 0 && src.rec.d.capable !== dst.rec.d.capable) {
      const [capable, other] = src.rec.d.capable ? [src.rec, dst.rec] : [dst.rec, src.rec];
      return {
        decision: 'blocked',
        rules: uniqueRules(sc),
        reason:
          `SecureConnect pairs ${src.rec.w.name} and ${dst.rec.w.name}; ${capable.w.name} requires IPsec with ${other.w.name}, ` +
          `which cannot do SecureConnect (${incapableReason(other.w)}), so all traffic between them is dropped (fail closed)`,
      };
    }
  }

  const matched: Side[] = [];
  const verdicts: { verdict: Verdict; why: string }[] = [];
  const evaluate = (at: Endpoint, peer: Endpoint, role: 'provider' | 'consumer'): void => {
    const rec = at.rec;
    if (!rec || !rec.w.managed) return;
    let deny = false;
    let allow = false;
    for (const s of engine.sidesOf(rec)) {
      if (s.role !== role || !s.unit.rule.valid) continue;
      if (!servicesMatch(s.entry.services, q)) continue;
      if (!inSet(s.peer, peer)) continue;
      matched.push(s);
      if (s.unit.rule.kind === 'deny') deny = true;
      else allow = true;
    }
    const mode = rec.w.enforcement_mode;
    const enforcing = mode === 'full' || mode === 'selective';
    const where = role === 'provider' ? `inbound on ${rec.w.name} (${mode})` : `outbound on ${rec.w.name} (${mode})`;
    if (deny) verdicts.push({ verdict: enforcing ? 'blocked' : 'potentially_blocked', why: `${where}: a deny rule matches${enforcing ? '' : ', not enforced in this mode'}` });
    else if (allow) verdicts.push({ verdict: 'allowed', why: `${where}: allowed by rule` });
    else if (mode === 'full') verdicts.push({ verdict: 'blocked', why: `${where}: no rule allows it` });
    else verdicts.push({ verdict: 'potentially_blocked', why: `${where}: no rule allows it; full enforcement would block it` });
  };
  evaluate(dst, src, 'provider');
  if (src.rec !== dst.rec || !src.rec) evaluate(src, dst, 'consumer');
  if (verdicts.length === 0) {
    return { decision: 'unknown', rules: uniqueRules(matched), reason: `neither ${name(src)} nor ${name(dst)} is a managed workload, so nothing enforces policy on this connection` };
  }
  let worst: Verdict = 'allowed';
  for (const v of verdicts) if (SEVERITY[v.verdict] > SEVERITY[worst]) worst = v.verdict;
  return { decision: worst, rules: uniqueRules(matched), reason: verdicts.map((v) => v.why).join('; ') };
}

function uniqueRules(sides: readonly Side[]): DecidingRule[] {
  const seen = new Map<string, DecidingRule & { rank: number }>();
  for (const s of sides) {
    const r = s.unit.rule;
    if (!seen.has(r.href)) seen.set(r.href, { href: r.href, kind: r.kind, sec_connect: r.secConnect, rank: s.unit.rank });
  }
  return [...seen.values()]
    .sort((a, b) => (a.kind === b.kind ? a.rank - b.rank : a.kind === 'deny' ? -1 : 1))
    .map(({ href, kind, sec_connect }) => ({ href, kind, sec_connect }));
}

/** A one-off check against a snapshot (builds an engine: keep one instead for many checks). */
export function checkPolicySnapshot(input: EngineInput, q: PolicyCheckQuery): PolicyCheckResult {
  return checkPolicy(new PolicyEngine(input), q);
}
