/**
 * The decision alone of a policy check (`checkPolicy`), for flow ingest, which decides every
 * new connection tuple it stores against the active and the draft policy (issue 6). Same rules
 * as `checkPolicy` (policy-check.ts; `flow-decision.test.ts` holds them equal), without what
 * only a person reads: no reasons, no list of matching rules, so no sorting of a workload's
 * sides and no strings; it stops at the first matching deny rule and at the first blocked
 * enforcement point. Endpoints are addresses (what a flow carries), parsed by the caller.
 */
import type { ParsedAddress } from './address-ranges.ts';
import type { PolicyEngine } from './engine.ts';
import type { PolicyDecision } from './policy-check.ts';
import type { Resolution } from './resolution.ts';
import type { ServiceQuery } from './service-specs.ts';
import { servicesMatch } from './service-specs.ts';
import type { WorkloadRecord } from './workload-record.ts';

/** The workload at an address as a policy check sees it: the lowest href when several share it. */
export function workloadAtAddress(engine: PolicyEngine, a: ParsedAddress): WorkloadRecord | undefined {
  let best: WorkloadRecord | undefined;
  for (const i of engine.workloadsAt(a)) {
    const r = engine.recordAt(i);
    if (r && (!best || r.w.href < best.w.href)) best = r;
  }
  // Through recordOf: it brings the engine's resolutions up to date (a new engine computes
  // them on first use), which flowDecision reads directly.
  return best === undefined ? undefined : engine.recordOf(best.w.id);
}

function inSet(r: Resolution, rec: WorkloadRecord | undefined, a: ParsedAddress): boolean {
  return (rec !== undefined && r.has(rec.idx)) || r.staticContains(a);
}

const ALLOWED = 0;
const POTENTIALLY_BLOCKED = 1;
const BLOCKED = 2;
const NO_POINT = -1;

/** One enforcement point's verdict (a severity above), NO_POINT when `at` enforces nothing. */
function pointVerdict(at: WorkloadRecord | undefined, peer: WorkloadRecord | undefined, peerAddress: ParsedAddress, role: 'provider' | 'consumer', q: ServiceQuery): number {
  if (!at || !at.w.managed) return NO_POINT;
  const mode = at.w.enforcement_mode;
  const enforcing = mode === 'full' || mode === 'selective';
  let allow = false;
  for (const res of at.resolutions) {
    for (const s of res.sides) {
      if (s.role !== role || !s.unit.rule.valid) continue;
      if (!servicesMatch(s.entry.services, q)) continue;
      if (!inSet(s.peer, peer, peerAddress)) continue;
      // Deny wins over allow: nothing else can change this point's verdict.
      if (s.unit.rule.kind === 'deny') return enforcing ? BLOCKED : POTENTIALLY_BLOCKED;
      allow = true;
    }
  }
  if (allow) return ALLOWED;
  return mode === 'full' ? BLOCKED : POTENTIALLY_BLOCKED;
}

function secureConnectBlocks(src: WorkloadRecord, dst: WorkloadRecord): boolean {
  if (src.d.capable === dst.d.capable) return false;
  for (const res of src.resolutions) {
    for (const s of res.sides) if (s.unit.rule.secConnect && s.unit.rule.valid && s.peer.has(dst.idx)) return true;
  }
  return false;
}

/**
 * `checkPolicy(engine, { src, dst, proto, port }).decision` for a connection between two
 * addresses, given the workloads at them (`workloadAtAddress`, looked up once per address by
 * the caller).
 */
export function flowDecision(engine: PolicyEngine, src: { readonly rec: WorkloadRecord | undefined; readonly address: ParsedAddress }, dst: { readonly rec: WorkloadRecord | undefined; readonly address: ParsedAddress }, q: ServiceQuery): PolicyDecision {
  if (src.rec && dst.rec && src.rec !== dst.rec && secureConnectBlocks(src.rec, dst.rec)) return 'blocked';
  let worst = pointVerdict(dst.rec, src.rec, src.address, 'provider', q);
  if (worst === BLOCKED) return 'blocked';
  if (src.rec !== dst.rec || !src.rec) worst = Math.max(worst, pointVerdict(src.rec, dst.rec, dst.address, 'consumer', q));
  return worst === NO_POINT ? 'unknown' : worst === BLOCKED ? 'blocked' : worst === POTENTIALLY_BLOCKED ? 'potentially_blocked' : 'allowed';
}
