/**
 * A side expression (side-expression.ts) compiled for speed: label ids interned to small
 * integers, so the membership test of a workload reads a few ints from one flat array
 * instead of chasing workload objects and hashing strings. Evaluating every rule against
 * 100,000 workloads is millions of such tests; this is where memory latency, not
 * arithmetic, sets the cost.
 */
import type { SideExpr } from './side-expression.ts';

/** Label ids → 0, 1, 2, … for one engine. */
export class LabelInterner {
  private readonly ids = new Map<string, number>();

  intern(id: string): number {
    let n = this.ids.get(id);
    if (n === undefined) {
      n = this.ids.size;
      this.ids.set(id, n);
    }
    return n;
  }

  internAll(labels: Iterable<string>): Int32Array {
    const out: number[] = [];
    for (const l of labels) out.push(this.intern(l));
    return Int32Array.from(out).sort();
  }

  /** A workload's labels: a small plain array (100,000 typed arrays would cost more). */
  internList(labels: readonly string[]): number[] {
    const out = new Array<number>(labels.length);
    for (let i = 0; i < labels.length; i++) out[i] = this.intern(labels[i] ?? '');
    return out.sort((a, b) => a - b);
  }
}

interface IntTest {
  readonly ids: Int32Array;
  readonly exclusion: boolean;
}

/** Whether labels[off … off+len) (ended early by -1) contain one of `ids`. */
function hasAny(labels: ArrayLike<number>, off: number, len: number, ids: Int32Array): boolean {
  for (let i = off; i < off + len; i++) {
    const v = labels[i] ?? -1;
    if (v < 0) return false;
    for (let j = 0; j < ids.length; j++) if (ids[j] === v) return true;
  }
  return false;
}

function hasAll(labels: ArrayLike<number>, off: number, len: number, ids: Int32Array): boolean {
  for (let j = 0; j < ids.length; j++) {
    let found = false;
    for (let i = off; i < off + len; i++) {
      const v = labels[i] ?? -1;
      if (v < 0) break;
      if (v === ids[j]) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

export class MatchProgram {
  readonly all: boolean;
  readonly hasWorkloadTerm: boolean;
  readonly workloadIds: ReadonlySet<string>;
  /** AND of ORs. */
  readonly terms: readonly Int32Array[];
  readonly vsBackends: readonly Int32Array[];
  /** OR of ANDs; null: not confined. */
  readonly scope: readonly (readonly IntTest[])[] | null;

  constructor(e: SideExpr, interner: LabelInterner) {
    this.all = e.all;
    this.hasWorkloadTerm = e.hasWorkloadTerm;
    this.workloadIds = e.workloadIds;
    this.terms = e.labelTerms.map((t) => interner.internAll(t));
    this.vsBackends = e.vsBackends.map((v) => interner.internAll(v));
    this.scope = e.scope ? e.scope.map((c) => c.map((t) => ({ ids: interner.internAll(t.labels), exclusion: t.exclusion }))) : null;
  }

  /**
   * The membership test. `labels[off … off+len)` are the workload's interned labels (a
   * slice of a flat matrix, or a workload's own array with off 0); `id` is needed only when
   * the expression names workloads (`workloadIds`).
   */
  matches(id: string | undefined, labels: ArrayLike<number>, off: number, len: number): boolean {
    if (!this.hasWorkloadTerm) return false;
    const scope = this.scope;
    if (scope) {
      // indexed loops: this is the hottest code of a full compute
      let inScope = false;
      for (let c = 0; c < scope.length && !inScope; c++) {
        const clause = scope[c] as readonly IntTest[];
        let ok = true;
        for (let t = 0; t < clause.length; t++) {
          const test = clause[t] as IntTest;
          if (hasAny(labels, off, len, test.ids) === test.exclusion) {
            ok = false;
            break;
          }
        }
        inScope = ok;
      }
      if (!inScope) return false;
    }
    if (this.all) return true;
    if (id !== undefined && this.workloadIds.size > 0 && this.workloadIds.has(id)) return true;
    const terms = this.terms;
    if (terms.length > 0) {
      let ok = true;
      for (let t = 0; t < terms.length; t++) {
        if (!hasAny(labels, off, len, terms[t] as Int32Array)) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    const vs = this.vsBackends;
    for (let v = 0; v < vs.length; v++) {
      const need = vs[v] as Int32Array;
      if (need.length > 0 && hasAll(labels, off, len, need)) return true;
    }
    return false;
  }
}
