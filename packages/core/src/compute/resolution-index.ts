/**
 * Indexes that keep compute proportional to what changed: which resolutions a label can
 * affect, which name a workload directly, which must be tested for every new workload; and,
 * for a full evaluation, label → member workloads so that a resolution is evaluated by
 * filtering its smallest candidate list instead of scanning the whole inventory.
 */
import type { Resolution, RuleState } from './resolution.ts';
import type { MatchProgram } from './match-program.ts';
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

/**
 * For one full evaluation pass: every workload's interned labels in one flat matrix (a row
 * per workload, -1 padded), and label → member workload indexes (ascending).
 */
export class LabelMembers {
  private readonly stride: number;
  private readonly flat: Int32Array;
  private readonly byLabel: Int32Array[] = [];
  private readonly live: Int32Array;
  private readonly byId = new Map<string, number>();
  private readonly seen: Int32Array;
  private stamp = 0;

  constructor(recs: readonly (WorkloadRecord | undefined)[]) {
    let stride = 1;
    let maxLabel = -1;
    const live: number[] = [];
    for (let r = 0; r < recs.length; r++) {
      const rec = recs[r];
      if (!rec) continue;
      live.push(rec.idx);
      this.byId.set(rec.w.id, rec.idx);
      const li = rec.labelInts;
      stride = Math.max(stride, li.length);
      for (let i = 0; i < li.length; i++) maxLabel = Math.max(maxLabel, li[i] ?? 0);
    }
    this.live = Int32Array.from(live);
    this.stride = stride;
    this.flat = new Int32Array(recs.length * stride).fill(-1);
    this.seen = new Int32Array(recs.length);
    const counts = new Int32Array(maxLabel + 1);
    for (let r = 0; r < recs.length; r++) {
      const rec = recs[r];
      if (!rec) continue;
      const li = rec.labelInts;
      this.flat.set(li, rec.idx * stride);
      for (let i = 0; i < li.length; i++) {
        const l = li[i] ?? 0;
        counts[l] = (counts[l] ?? 0) + 1;
      }
    }
    for (let l = 0; l <= maxLabel; l++) this.byLabel.push(new Int32Array(counts[l] ?? 0));
    counts.fill(0);
    for (let r = 0; r < recs.length; r++) {
      const rec = recs[r];
      if (!rec) continue;
      const li = rec.labelInts;
      for (let i = 0; i < li.length; i++) {
        const l = li[i] ?? 0;
        const list = this.byLabel[l];
        const at = counts[l] ?? 0;
        if (list) list[at] = rec.idx;
        counts[l] = at + 1;
      }
    }
  }

  private list(l: number): Int32Array | undefined {
    return this.byLabel[l];
  }

  private sizeOf(ids: Int32Array): number {
    let n = 0;
    for (const l of ids) n += this.list(l)?.length ?? 0;
    return n;
  }

  private listsOf(ids: Int32Array, out: Int32Array[]): void {
    for (const l of ids) {
      const list = this.list(l);
      if (list && list.length > 0) out.push(list);
    }
  }

  /**
   * Candidate lists whose union contains every member: the cheaper of the scope's positive
   * tests and the expression's own terms; null means the whole inventory.
   */
  private candidates(p: MatchProgram): Int32Array[] | null {
    let scope: { lists: Int32Array[]; size: number } | null = null;
    if (p.scope) {
      scope = { lists: [], size: 0 };
      for (const clause of p.scope) {
        let best: Int32Array | undefined;
        let bestSize = Infinity;
        for (const t of clause) {
          if (t.exclusion) continue;
          const size = this.sizeOf(t.ids);
          if (size < bestSize) {
            best = t.ids;
            bestSize = size;
          }
        }
        if (!best) {
          scope = null;
          break;
        }
        this.listsOf(best, scope.lists);
        scope.size += bestSize;
      }
    }
    let own: { lists: Int32Array[]; size: number } | null = null;
    if (!p.all) {
      own = { lists: [], size: 0 };
      if (p.workloadIds.size > 0) {
        const ids: number[] = [];
        for (const id of p.workloadIds) {
          const i = this.byId.get(id);
          if (i !== undefined) ids.push(i);
        }
        own.lists.push(Int32Array.from(ids).sort());
        own.size += ids.length;
      }
      let best: Int32Array | undefined;
      let bestSize = Infinity;
      for (const t of p.terms) {
        const size = this.sizeOf(t);
        if (size < bestSize) {
          best = t;
          bestSize = size;
        }
      }
      if (best) {
        this.listsOf(best, own.lists);
        own.size += bestSize;
      }
      for (const v of p.vsBackends) {
        let smallest: Int32Array | undefined;
        for (const l of v) {
          const list = this.list(l) ?? new Int32Array(0);
          if (!smallest || list.length < smallest.length) smallest = list;
        }
        if (smallest && smallest.length > 0) {
          own.lists.push(smallest);
          own.size += smallest.length;
        }
      }
    }
    if (scope && own) return scope.size <= own.size ? scope.lists : own.lists;
    return scope?.lists ?? own?.lists ?? null;
  }

  /** The members of a resolution's program, sorted ascending. */
  evaluate(p: MatchProgram, recs: readonly (WorkloadRecord | undefined)[]): number[] {
    if (!p.hasWorkloadTerm) return [];
    const lists = this.candidates(p) ?? [this.live];
    const stride = this.stride;
    const flat = this.flat;
    const named = p.workloadIds.size > 0;
    const out: number[] = [];
    if (lists.length === 1) {
      const list = lists[0] ?? new Int32Array(0);
      for (let k = 0; k < list.length; k++) {
        const i = list[k] ?? 0;
        if (p.matches(named ? recs[i]?.w.id : undefined, flat, i * stride, stride)) out.push(i);
      }
      return out;
    }
    const stamp = ++this.stamp;
    for (const list of lists) {
      for (let k = 0; k < list.length; k++) {
        const i = list[k] ?? 0;
        if (this.seen[i] === stamp) continue;
        this.seen[i] = stamp;
        if (p.matches(named ? recs[i]?.w.id : undefined, flat, i * stride, stride)) out.push(i);
      }
    }
    return Array.from(Int32Array.from(out).sort());
  }
}
