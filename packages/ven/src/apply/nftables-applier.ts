/**
 * Applies a plan to nftables as a plan of steps made of data (STYLE §2): render, swap
 * (`nft -f`, one kernel transaction: refused = nothing changed, so no separate `nft -c`
 * pass), verify, and on a failed verify roll back to the previous script. A plan that
 * differs from the applied one only in set members goes through the set delta
 * (`renderSetDelta`: elements deleted and added in hash sets, interval sets refilled), one
 * that changes rules but keeps the same sets through a rules update (changed chains flushed
 * and refilled, members untouched: nft-change.ts), not a reload. Only the `inet palisade`
 * table is ever touched.
 *
 * The verify does not scale with set members: it reads the table back without elements
 * (`nft -j -t list ruleset`, ~12 ms) and compares its structure with the plan, and checks
 * that the script it loaded carried as many elements per set as the plan has (the kernel
 * took all of them or none). Members are read back in full by `inspect({ deep: true })`,
 * which the daemon runs after element changes and periodically.
 */
import { PalisadeError } from '@palisade/core/errors.ts';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { writeNftScript } from '@palisade/render/nftables/nftables-renderer.ts';
import { buildNftTable, type NftRenderContext, type NftTable } from '@palisade/render/nftables/nft-table.ts';
import type { CommandResult } from '../sys/run-command.ts';
import type { Nft } from '../sys/nft.ts';
import { buildTable, changeScript } from './nft-change.ts';
import { compareWithPlan, parseLiveTable, type LiveTable } from './nft-live-table.ts';
import { countScriptElements } from './nft-script-counts.ts';

export type ApplyKind = 'full' | 'delta' | 'rules' | 'unchanged' | 'removed' | 'nothing';

export interface ApplyOutcome {
  readonly kind: ApplyKind;
  /** Milliseconds per step that ran (`render`, `swap`, `verify`; `check` only to diagnose a refused swap). */
  readonly timings: Readonly<Record<string, number>>;
}

/** What is loaded now, as far as this applier knows. */
export interface AppliedState {
  readonly plan: WorkloadPlan;
  readonly ctx: NftRenderContext;
  /** The table the plan asks for (null in idle): what checks compare the live table with. */
  readonly expected: NftTable | null;
  /** Set name → elements loaded into it, counted in the scripts that loaded them. */
  readonly loaded: ReadonlyMap<string, number>;
  /** Digest of the live table without set elements, right after the apply; null when the plan installs no table. */
  readonly digest: string | null;
  /** Digest of the set members as a deep check last read them and found them equal to the plan; null until one did. */
  readonly membersDigest: string | null;
  /** The full replace script of `plan` (what a rollback loads); rendered on first use after a set delta. */
  readonly script: () => string;
}

export interface NftablesApplierOptions {
  readonly nft: Nft;
  /** Renders the full script; the real renderer unless a test needs a faulty one. */
  readonly render?: (plan: WorkloadPlan, ctx: NftRenderContext) => string;
  /**
   * After nft refused a swap, run `nft -c -f` on the same script to tell a script nft will
   * not take (`nft_check_failed`) from a transaction the kernel refused (`nft_apply_failed`).
   * Default true. It never runs before a swap: the swap is itself one transaction.
   */
  readonly check?: boolean;
  readonly now?: () => number;
}

export interface InspectOptions {
  /** Also read the set members back and compare them with the plan (~0.3 s per 50k elements). */
  readonly deep?: boolean;
}

export type TableCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const FAMILY = 'inet';

function applyError(token: string, message: string): PalisadeError {
  return new PalisadeError('internal', [{ token, message }]);
}

function tableName(ctx: NftRenderContext): string {
  return ctx.table ?? 'palisade';
}

function sameCtx(a: NftRenderContext, b: NftRenderContext): boolean {
  return tableName(a) === tableName(b) && a.pce.port === b.pce.port && a.pce.addresses.join(',') === b.pce.addresses.join(',');
}

function once(fn: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= fn());
}

/** Where the elements the scripts loaded differ in number from the plan's. */
function countProblems(expected: NftTable, loaded: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const set of expected.sets) {
    const n = loaded.get(set.name);
    if (n !== set.elements.length) problems.push(`set ${set.name} was loaded with ${n ?? 'no'} elements, the plan has ${set.elements.length}`);
  }
  return problems;
}

export class NftablesApplier {
  private readonly nft: Nft;
  private readonly customRender: ((plan: WorkloadPlan, ctx: NftRenderContext) => string) | undefined;
  private readonly diagnose: boolean;
  private readonly now: () => number;
  private state: AppliedState | undefined;

  constructor(opts: NftablesApplierOptions) {
    this.nft = opts.nft;
    this.customRender = opts.render;
    this.diagnose = opts.check ?? true;
    this.now = opts.now ?? (() => performance.now());
  }

  /** The full script of `plan`, from its table when the caller already built it (a 50k-peer table takes tens of ms to build). */
  private render(plan: WorkloadPlan, ctx: NftRenderContext, table?: NftTable | null): string {
    if (this.customRender) return this.customRender(plan, ctx);
    return writeNftScript(plan, table === undefined ? buildNftTable(plan, ctx) : table, ctx);
  }

  current(): AppliedState | undefined {
    return this.state;
  }

  /**
   * The live table with set members (`nft -j list table`), or null when it does not exist.
   * `sets`: whose members to read (default every set's).
   */
  async readLive(table = 'palisade', sets: ReadonlySet<string> | true = true): Promise<LiveTable | null> {
    const r = await this.nft.listTableJson(FAMILY, table);
    if (r.code !== 0) {
      if (/No such file or directory/i.test(r.stderr)) return null;
      throw applyError('nft_list_failed', `nft -j list table ${FAMILY} ${table} failed: ${r.stderr.trim()}`);
    }
    return parseLiveTable(r.stdout, table, sets);
  }

  /** The live table without set members (`nft -j -t list ruleset`: cost independent of the sets), or null. */
  async readShape(table = 'palisade'): Promise<LiveTable | null> {
    const r = await this.nft.listRulesetTerseJson();
    if (r.code !== 0) throw applyError('nft_list_failed', `nft -j -t list ruleset failed: ${r.stderr.trim()}`);
    return parseLiveTable(r.stdout, table, false);
  }

  /** Makes `plan` the enforced policy, or throws after restoring what was there before. */
  async apply(plan: WorkloadPlan, ctx: NftRenderContext): Promise<ApplyOutcome> {
    const timings: Record<string, number> = {};
    const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
      const t0 = this.now();
      try {
        return await fn();
      } finally {
        timings[name] = (timings[name] ?? 0) + this.now() - t0;
      }
    };
    const before = this.state;
    const table = tableName(ctx);
    const idle = plan.enforcement_mode === 'idle';

    if (idle) {
      // idle: install nothing, and leave nftables untouched when there is nothing of ours.
      const live = await step('verify', () => this.readShape(table));
      if (live === null) {
        const script = once(() => this.render(plan, ctx));
        this.state = { plan, ctx, expected: null, loaded: new Map(), digest: null, membersDigest: null, script };
        return { kind: 'nothing', timings };
      }
    }

    // The table the plan asks for, built once (sets the applied plan already had keep their
    // elements): the delta, the full script and the verify all start from it.
    const same = before !== undefined && sameCtx(before.ctx, ctx);
    const expected = await step('render', () => buildTable(plan, ctx, same ? { plan: before.plan, table: before.expected } : undefined));
    let delta: string | null = null;
    let deltaKind: ApplyKind = 'delta';
    if (before && !idle && before.digest !== null && same) {
      // A delta assumes the applied table is what is loaded: its structure is cheap to confirm
      // (no elements read). Members changed behind our back are left to the deep check (a
      // delete of a member the kernel lacks makes nft refuse the delta: full replace below).
      const live = await step('verify', () => this.readShape(table));
      if (live?.digest === before.digest) {
        const change = await step('render', () => changeScript({ plan: before.plan, table: before.expected }, { plan, table: expected }));
        delta = change?.script ?? null;
        deltaKind = change?.kind ?? 'delta';
      }
    }
    if (before && delta === '') {
      this.state = { ...before, plan, script: once(() => this.render(plan, ctx, expected)) };
      return { kind: 'unchanged', timings };
    }

    let kind: ApplyKind = idle ? 'removed' : delta === null ? 'full' : deltaKind;
    let script = delta === null ? await step('render', () => this.render(plan, ctx, expected)) : undefined;
    let s = await step('swap', () => this.swap(delta ?? script ?? '', delta === null ? undefined : before?.loaded));
    if (s.result.code !== 0 && delta !== null) {
      // The kernel kept everything as it was; the full replace does not depend on what is loaded.
      kind = 'full';
      delta = null;
      const full = await step('render', () => this.render(plan, ctx, expected));
      script = full;
      s = await step('swap', () => this.swap(full));
    }
    if (s.result.code !== 0) throw await step('check', () => this.refused(script ?? '', s.result));

    const loaded = s.counts;
    try {
      const digest = await step('verify', () => this.verify(expected, loaded, table));
      const full = script;
      this.state = { plan, ctx, expected, loaded, digest, membersDigest: null, script: full === undefined ? once(() => this.render(plan, ctx, expected)) : () => full };
      return { kind, timings };
    } catch (err) {
      await this.rollback(before, table);
      throw err;
    }
  }

  /**
   * `nft -f` of `load`; the element counts the verify checks are taken while nft evaluates and
   * commits in its own process — once nft has the whole script: before that, a busy thread
   * would leave the pipe unfilled and nft waiting. `loaded`: the counts a set delta starts from.
   */
  private async swap(load: string, loaded?: ReadonlyMap<string, number>): Promise<{ result: CommandResult; counts: Map<string, number> }> {
    const swapping = this.nft.start(load);
    const [result, counts] = await Promise.all([swapping.done, swapping.written.then(() => countScriptElements(load, loaded))]);
    return { result, counts };
  }

  /** The error for a refused swap; with `check`, `nft -c` says whether the script or the kernel refused it. */
  private async refused(script: string, swap: CommandResult): Promise<PalisadeError> {
    if (this.diagnose) {
      const c = await this.nft.check(script);
      if (c.code !== 0) return applyError('nft_check_failed', `nft refused the ruleset (the kernel kept the previous table): ${c.stderr.trim()}`);
      return applyError('nft_apply_failed', `nft -c accepts the ruleset but the kernel refused the transaction and kept the previous table: ${swap.stderr.trim()}`);
    }
    return applyError('nft_apply_failed', `nft -f failed (the kernel kept the previous table): ${swap.stderr.trim()}`);
  }

  /** Reads the table back without members; throws when it is not what the plan asks for. Returns its digest. */
  private async verify(expected: NftTable | null, loaded: ReadonlyMap<string, number>, table: string): Promise<string | null> {
    const live = await this.readShape(table);
    if (expected === null) {
      if (live !== null) throw applyError('nft_verify_failed', `table ${FAMILY} ${table} is still loaded after an idle plan removed it`);
      return null;
    }
    if (live === null) throw applyError('nft_verify_failed', `table ${FAMILY} ${table} is missing after the swap`);
    const problems = [...compareWithPlan(expected, live.summary), ...countProblems(expected, loaded)];
    if (problems.length > 0) throw applyError('nft_verify_failed', `the loaded table differs from the plan: ${problems.slice(0, 5).join('; ')}`);
    return live.digest;
  }

  /** Back to the previous script (or to no table); best effort, the original error is what counts. */
  private async rollback(before: AppliedState | undefined, table: string): Promise<void> {
    try {
      if (before && before.digest !== null) {
        const r = await this.nft.apply(before.script());
        if (r.code === 0) {
          const live = await this.readShape(tableName(before.ctx));
          this.state = { ...before, digest: live?.digest ?? null, membersDigest: null };
          return;
        }
      }
      await this.removeTable(table);
      this.state = before ? { ...before, digest: null, membersDigest: null } : undefined;
    } catch {
      this.state = before;
    }
  }

  /** Removes Palisade's table if it is there (suspend, unpair); other tables are left alone. */
  async removeTable(table = this.state ? tableName(this.state.ctx) : 'palisade'): Promise<boolean> {
    if ((await this.readShape(table)) === null) return false;
    const r = await this.nft.apply(`delete table ${FAMILY} ${table}\n`);
    if (r.code !== 0 && !/No such file or directory/i.test(r.stderr)) throw applyError('nft_apply_failed', `nft could not delete table ${FAMILY} ${table}: ${r.stderr.trim()}`);
    return true;
  }

  /** Is Palisade's table loaded (whatever it holds)? */
  async isLoaded(table = 'palisade'): Promise<boolean> {
    return (await this.readShape(table)) !== null;
  }

  /** Forgets what was applied (after a suspend removed the table). */
  forget(): void {
    this.state = undefined;
  }

  /**
   * Is the live table what was applied? Handles and counters do not count. Without `deep`
   * only the structure (sets, chains, rules) is read; with it the members too, compared with
   * the plan once and by digest after that.
   */
  async inspect(opts: InspectOptions = {}): Promise<TableCheck> {
    const s = this.state;
    if (!s || s.digest === null || s.expected === null) return { ok: true };
    const table = tableName(s.ctx);
    const live = opts.deep ? await this.readLive(table, new Set(s.expected.sets.map((set) => set.name))) : await this.readShape(table);
    if (live === null) return { ok: false, reason: `table ${FAMILY} ${table} was removed` };
    if (live.digest !== s.digest) {
      const problems = compareWithPlan(s.expected, live.summary);
      return { ok: false, reason: problems.length > 0 ? problems.slice(0, 5).join('; ') : `table ${FAMILY} ${table} was changed (rules or set flags)` };
    }
    if (!opts.deep || live.membersDigest === s.membersDigest) return { ok: true };
    const problems = compareWithPlan(s.expected, live.summary);
    if (problems.length > 0) return { ok: false, reason: problems.slice(0, 5).join('; ') };
    this.state = { ...s, membersDigest: live.membersDigest };
    return { ok: true };
  }

  /** Loads the applied plan's full script again (tamper restore). */
  async restore(): Promise<ApplyOutcome> {
    const s = this.state;
    if (!s) return { kind: 'nothing', timings: {} };
    this.state = { ...s, digest: null }; // no delta against a table we no longer trust
    return this.apply(s.plan, s.ctx);
  }
}
