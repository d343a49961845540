/**
 * Indexes that keep compute proportional to what changed: which resolutions a label can
 * affect, which name a workload directly, which must be tested for every new workload; and,
 * for a full evaluation, label → member workloads so that a resolution is evaluated by
 * filtering its smallest candidate list instead of scanning the whole inventory.
 */
import type { Resolution, RuleState } from './resolution.ts';
import { sideMatches, type SideExpr } from './side-expression.ts';
import type { WorkloadRecord } from './workload-record.ts';

const NONE: readonly never[] = Object.freeze([]);

export class ResolutionIndex {
  /** Resolutions with `All workloads`: every new workload is tested against them. */
  readonly always: Resolution[] = [];
  private readonly byLabel = new Map<string, Resolution[]>();
  private readonly byWorkload = new Map<string, Resolution[]>();
  private readonly namedRules = new Map<string, RuleState[]>();

  addResolution(r: Resolution): void {
    const e = r.expr;
    if (!e.hasWorkloadTerm) return;
    if (e.all) this.always.push(r);
    for (const l of e.mentioned) push(this.byLabel, l, r);
    for (const id of e.workloadIds) push(this.byWorkload, id, r);
  }

  addNamedRule(workloadId: string, rule: RuleState): void {
    push(this.namedRules, workloadId, rule);
  }

  forLabel(label: string): readonly Resolution[] {
    return this.byLabel.get(label) ?? NONE;
  }

  forWorkload(id: string): readonly Resolution[] {
    return this.byWorkload.get(id) ?? NONE;
  }

  rulesNaming(id: string): readonly RuleState[] {
    return this.namedRules.get(id) ?? NONE;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Label → member workload indexes (ascending), built for one full evaluation pass. */
export class LabelMembers {
  private readonly byLabel = new Map<string, number[]>();
  readonly live: number[] = [];
  private readonly byId = new Map<string, number>();

  constructor(recs: readonly (WorkloadRecord | undefined)[]) {
    for (const rec of recs) {
      if (!rec) continue;
      this.live.push(rec.idx);
      this.byId.set(rec.w.id, rec.idx);
      for (const l of rec.w.labels) push(this.byLabel, l, rec.idx);
    }
  }

  private sizeOf(labels: Iterable<string>): number {
    let n = 0;
    for (const l of labels) n += this.byLabel.get(l)?.length ?? 0;
    return n;
  }

  private listsOf(labels: Iterable<string>): number[][] {
    const out: number[][] = [];
    for (const l of labels) {
      const list = this.byLabel.get(l);
      if (list) out.push(list);
    }
    return out;
  }

  /**
   * Candidate lists whose union contains every member: the cheaper of the scope's positive
   * tests and the expression's own terms; null means the whole inventory.
   */
  private candidates(e: SideExpr): { lists: number[][]; size: number } | null {
    let scope: { lists: number[][]; size: number } | null = null;
    if (e.scope) {
      scope = { lists: [], size: 0 };
      for (const clause of e.scope) {
        let best: { lists: number[][]; size: number } | null = null;
        for (const t of clause) {
          if (t.exclusion) continue;
          const size = this.sizeOf(t.labels);
          if (!best || size < best.size) best = { lists: this.listsOf(t.labels), size };
        }
        if (!best) {
          scope = null;
          break;
        }
        scope.lists.push(...best.lists);
        scope.size += best.size;
      }
    }
    let own: { lists: number[][]; size: number } | null = null;
    if (!e.all) {
      own = { lists: [], size: 0 };
      const ids: number[] = [];
      for (const id of e.workloadIds) {
        const i = this.byId.get(id);
        if (i !== undefined) ids.push(i);
      }
      ids.sort((a, b) => a - b);
      own.lists.push(ids);
      own.size += ids.length;
      if (e.labelTerms.length > 0) {
        let best: { lists: number[][]; size: number } | null = null;
        for (const t of e.labelTerms) {
          const size = this.sizeOf(t);
          if (!best || size < best.size) best = { lists: this.listsOf(t), size };
        }
        if (best) {
          own.lists.push(...best.lists);
          own.size += best.size;
        }
      }
      for (const vs of e.vsBackends) {
        let best: number[] = [];
        let size = Infinity;
        for (const l of vs) {
          const list = this.byLabel.get(l) ?? [];
          if (list.length < size) {
            best = list;
            size = list.length;
          }
        }
        own.lists.push(best);
        own.size += best.length;
      }
    }
    if (scope && own) return scope.size <= own.size ? scope : own;
    return scope ?? own;
  }

  /** The members of `e`, sorted ascending. */
  evaluate(e: SideExpr, recs: readonly (WorkloadRecord | undefined)[]): number[] {
    if (!e.hasWorkloadTerm) return [];
    const cand = this.candidates(e);
    const lists = cand ? cand.lists : [this.live];
    const out: number[] = [];
    for (const list of lists) {
      for (const i of list) {
        const rec = recs[i];
        if (rec && sideMatches(e, rec.w.id, rec.w.labels)) out.push(i);
      }
    }
    if (lists.length > 1) {
      out.sort((a, b) => a - b);
      let k = 0;
      for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[k - 1]) out[k++] = out[i] ?? 0;
      out.length = k;
    }
    return out;
  }
}
