/**
 * Applies a plan to nftables as a plan of steps made of data (STYLE §2): render, check
 * (`nft -c -f`), swap (`nft -f`, one kernel transaction), verify (read the table back and
 * compare it with the plan), and on any failure roll back to the previous script. A plan
 * that differs from the applied one only in set members goes through the set delta
 * (`renderSetDelta`), not a reload. Only the `inet palisade` table is ever touched.
 */
import { PalisadeError } from '@palisade/core/errors.ts';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { renderNftables } from '@palisade/render/nftables/nftables-renderer.ts';
import { renderSetDelta } from '@palisade/render/nftables/nftables-set-delta.ts';
import { buildNftTable, type NftRenderContext, type NftTable } from '@palisade/render/nftables/nft-table.ts';
import type { Nft } from '../sys/nft.ts';
import { compareWithPlan, parseLiveTable, type LiveTable } from './nft-live-table.ts';

export type ApplyKind = 'full' | 'delta' | 'unchanged' | 'removed' | 'nothing';

export interface ApplyOutcome {
  readonly kind: ApplyKind;
  /** Milliseconds per step that ran (`render`, `check`, `swap`, `verify`). */
  readonly timings: Readonly<Record<string, number>>;
}

/** What is loaded now, as far as this applier knows. */
export interface AppliedState {
  readonly plan: WorkloadPlan;
  readonly ctx: NftRenderContext;
  /** The full replace script of `plan` (what a rollback or a restore loads). */
  readonly script: string;
  /** Digest of the live table right after the apply; null when the plan installs no table. */
  readonly digest: string | null;
}

export interface NftablesApplierOptions {
  readonly nft: Nft;
  /** Renders the full script; the real renderer unless a test needs a faulty one. */
  readonly render?: (plan: WorkloadPlan, ctx: NftRenderContext) => string;
  /**
   * Run `nft -c -f` before the swap (default true). The swap is itself one transaction that
   * the kernel applies whole or not at all, so the check only buys an earlier, cleaner error.
   */
  readonly check?: boolean;
  readonly now?: () => number;
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

export class NftablesApplier {
  private readonly nft: Nft;
  private readonly render: (plan: WorkloadPlan, ctx: NftRenderContext) => string;
  private readonly runCheck: boolean;
  private readonly now: () => number;
  private state: AppliedState | undefined;

  constructor(opts: NftablesApplierOptions) {
    this.nft = opts.nft;
    this.render = opts.render ?? renderNftables;
    this.runCheck = opts.check ?? true;
    this.now = opts.now ?? (() => performance.now());
  }

  current(): AppliedState | undefined {
    return this.state;
  }

  /** The live table, or null when it does not exist. */
  async readLive(table = 'palisade'): Promise<LiveTable | null> {
    const r = await this.nft.listTableJson(FAMILY, table);
    if (r.code !== 0) {
      if (/No such file or directory/i.test(r.stderr)) return null;
      throw applyError('nft_list_failed', `nft -j list table ${FAMILY} ${table} failed: ${r.stderr.trim()}`);
    }
    return parseLiveTable(r.stdout);
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
    const idle = plan.enforcement_mode === 'idle';
    const script = await step('render', () => this.render(plan, ctx));

    if (idle) {
      // idle: install nothing, and leave nftables untouched when there is nothing of ours.
      const live = await step('verify', () => this.readLive(tableName(ctx)));
      if (live === null) {
        this.state = { plan, ctx, script, digest: null };
        return { kind: 'nothing', timings };
      }
    }

    let delta: string | null = null;
    if (before && !idle && before.digest !== null && sameCtx(before.ctx, ctx)) {
      // A delta assumes the applied table is what is loaded: a tampered table gets the full script.
      const live = await step('verify', () => this.readLive(tableName(ctx)));
      if (live?.digest === before.digest) delta = await step('render', () => renderSetDelta(before.plan, plan, ctx));
    }
    if (delta === '') {
      this.state = { plan, ctx, script, digest: before?.digest ?? null };
      return { kind: 'unchanged', timings };
    }
    const load = delta ?? script;
    // A refused check or swap changed nothing in the kernel (one transaction): no rollback needed.
    if (this.runCheck) {
      const c = await step('check', () => this.nft.check(load));
      if (c.code !== 0) throw applyError('nft_check_failed', `nft -c refused the ${delta === null ? 'ruleset' : 'set delta'}: ${c.stderr.trim()}`);
    }
    const s = await step('swap', async () => {
      const swapping = this.nft.apply(load);
      // What the verify compares with is built while nft works in its own process.
      const expected = buildNftTable(plan, ctx);
      return { result: await swapping, expected };
    });
    if (s.result.code !== 0) throw applyError('nft_apply_failed', `nft -f failed (the kernel kept the previous table): ${s.result.stderr.trim()}`);
    try {
      const digest = await step('verify', () => this.verify(s.expected, ctx));
      this.state = { plan, ctx, script, digest };
      return { kind: idle ? 'removed' : delta === null ? 'full' : 'delta', timings };
    } catch (err) {
      await this.rollback(before, tableName(ctx));
      throw err;
    }
  }

  /** Reads the table back; throws when it is not what the plan asks for. Returns its digest. */
  private async verify(expected: NftTable | null, ctx: NftRenderContext): Promise<string | null> {
    const live = await this.readLive(tableName(ctx));
    if (expected === null) {
      if (live !== null) throw applyError('nft_verify_failed', `table ${FAMILY} ${tableName(ctx)} is still loaded after an idle plan removed it`);
      return null;
    }
    if (live === null) throw applyError('nft_verify_failed', `table ${FAMILY} ${tableName(ctx)} is missing after the swap`);
    const problems = compareWithPlan(expected, live.summary);
    if (problems.length > 0) throw applyError('nft_verify_failed', `the loaded table differs from the plan: ${problems.slice(0, 5).join('; ')}`);
    return live.digest;
  }

  /** Back to the previous script (or to no table); best effort, the original error is what counts. */
  private async rollback(before: AppliedState | undefined, table: string): Promise<void> {
    try {
      if (before && before.digest !== null) {
        const r = await this.nft.apply(before.script);
        if (r.code === 0) {
          const live = await this.readLive(tableName(before.ctx));
          this.state = { ...before, digest: live?.digest ?? null };
          return;
        }
      }
      await this.removeTable(table);
      this.state = before ? { ...before, digest: null } : undefined;
    } catch {
      this.state = before;
    }
  }

  /** Removes Palisade's table if it is there (suspend, unpair); other tables are left alone. */
  async removeTable(table = this.state ? tableName(this.state.ctx) : 'palisade'): Promise<boolean> {
    if ((await this.readLive(table)) === null) return false;
    const r = await this.nft.apply(`delete table ${FAMILY} ${table}\n`);
    if (r.code !== 0 && !/No such file or directory/i.test(r.stderr)) throw applyError('nft_apply_failed', `nft could not delete table ${FAMILY} ${table}: ${r.stderr.trim()}`);
    return true;
  }

  /** Forgets what was applied (after a suspend removed the table). */
  forget(): void {
    this.state = undefined;
  }

  /** Is the live table what was applied? Handles and counters do not count. */
  async inspect(): Promise<TableCheck> {
    const s = this.state;
    if (!s || s.digest === null) return { ok: true };
    const live = await this.readLive(tableName(s.ctx));
    if (live === null) return { ok: false, reason: `table ${FAMILY} ${tableName(s.ctx)} was removed` };
    if (live.digest !== s.digest) {
      const expected = buildNftTable(s.plan, s.ctx);
      const problems = expected ? compareWithPlan(expected, live.summary) : [];
      return { ok: false, reason: problems.length > 0 ? problems.slice(0, 5).join('; ') : `table ${FAMILY} ${tableName(s.ctx)} was changed (rules or set flags)` };
    }
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
