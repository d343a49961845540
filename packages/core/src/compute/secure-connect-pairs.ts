/**
 * Policy-level SecureConnect warning (DESIGN §4 item 5): for a SecureConnect rule, the
 * workload pairs it covers in which exactly one side can do SecureConnect. The capable side
 * still requires IPsec, so their traffic is blocked. Counted without visiting every pair:
 * per unit, pairs = |P∩cap|·|C∩inc| + |P∩inc|·|C∩cap| − |P∩C∩cap|·|P∩C∩inc| (a pair whose
 * two workloads are each on both sides is counted once). Units of a rule are summed (a pair
 * covered in two scopes of one rule counts twice; scopes rarely overlap).
 */
import type { Diagnostic } from '../diagnostics.ts';
import { incapableReason } from './ike-matrix.ts';
import type { RuleState } from './resolution.ts';
import type { WorkloadRecord } from './workload-record.ts';

const MAX_NAMED = 10;

function byName(a: WorkloadRecord, b: WorkloadRecord): number {
  return a.w.name < b.w.name ? -1 : a.w.name > b.w.name ? 1 : a.w.href < b.w.href ? -1 : a.w.href > b.w.href ? 1 : 0;
}

export function secureConnectPairWarning(rule: RuleState, recs: readonly (WorkloadRecord | undefined)[]): Diagnostic | undefined {
  if (!rule.secConnect || !rule.valid) return undefined;
  let count = 0;
  const named = new Set<string>();
  for (const u of rule.units) {
    const split = (members: readonly number[]): { cap: WorkloadRecord[]; inc: WorkloadRecord[] } => {
      const cap: WorkloadRecord[] = [];
      const inc: WorkloadRecord[] = [];
      for (const m of members) {
        const r = recs[m];
        if (r) (r.d.capable ? cap : inc).push(r);
      }
      return { cap, inc };
    };
    const p = split(u.provider.own.members);
    const c = split(u.consumer.own.members);
    const cSet = new Set(u.consumer.own.members);
    let bothCap = 0;
    let bothInc = 0;
    for (const r of p.cap) if (cSet.has(r.idx)) bothCap++;
    for (const r of p.inc) if (cSet.has(r.idx)) bothInc++;
    count += p.cap.length * c.inc.length + p.inc.length * c.cap.length - bothCap * bothInc;
    // Name the first pairs in name order (capable side first).
    if (named.size < MAX_NAMED) {
      const caps = [...new Set([...p.cap.filter(() => c.inc.length > 0), ...c.cap.filter(() => p.inc.length > 0)])].sort(byName);
      for (const a of caps) {
        if (named.size >= MAX_NAMED) break;
        const others = [...(p.cap.includes(a) ? c.inc : []), ...(c.cap.includes(a) ? p.inc : [])].sort(byName);
        for (const b of others) {
          if (named.size >= MAX_NAMED) break;
          named.add(`${a.w.name} ↔ ${b.w.name} (${incapableReason(b.w)})`);
        }
      }
    }
  }
  if (count === 0) return undefined;
  const list = [...named];
  const more = count > list.length ? ` and ${count - list.length} more` : '';
  return Object.freeze({
    severity: 'warning',
    token: 'sec_connect_incapable_peers',
    message:
      `${count} workload pair(s) covered by this SecureConnect rule include a workload that cannot do SecureConnect: ` +
      `${list.join(', ')}${more}. The capable side still requires IPsec with that peer, so their traffic is blocked ` +
      'until the rule or the peer changes (pair a VEN, leave idle, or exclude it from the rule).',
    href: rule.href,
    path: 'sec_connect',
  });
}
