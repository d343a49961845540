/**
 * The golden scenarios: one folder per case under `test/scenarios/`, holding the inputs
 * (`plan.json`, `context.json`, optionally `plan-after.json` for a set delta) and the
 * expected outputs (`expected.nft`, `expected-delta.nft`, `expected.swanctl.conf`, `expected.secrets.conf`
 * when there are secrets, `expected.ps1`) side by side. `context.json` holds the nftables context
 * and, optionally, `swanctl` and `windows` contexts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import type { NftRenderContext, SwanctlRenderContext, WindowsRenderContext } from '../../src/index.ts';

export const SCENARIOS_DIR = join(import.meta.dirname, '..', 'scenarios');

export interface Scenario {
  readonly name: string;
  readonly dir: string;
  readonly plan: WorkloadPlan;
  readonly context: NftRenderContext;
  /** `context.json` → `swanctl` (default `{}`). */
  readonly swanctl: SwanctlRenderContext;
  /** `context.json` → `windows`, with the scenario's `pce` (default: just that). */
  readonly windows: WindowsRenderContext;
  readonly after: WorkloadPlan | undefined;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Enough of a check that a mistyped file fails here, by name, rather than deep in the renderer. */
function asPlan(v: unknown, path: string): WorkloadPlan {
  const fields = ['workload', 'enforcement_mode', 'visibility_level', 'address_sets', 'inbound', 'outbound', 'deny_inbound', 'deny_outbound', 'secure_connect', 'diagnostics', 'hash'];
  if (!isRecord(v) || fields.some((f) => !(f in v))) throw new Error(`${path}: not a WorkloadPlan (needs ${fields.join(', ')})`);
  return v as unknown as WorkloadPlan;
}

function asContext(v: unknown, path: string): NftRenderContext {
  if (!isRecord(v) || !isRecord(v['pce'])) throw new Error(`${path}: not an NftRenderContext (needs pce.addresses, pce.port)`);
  return v as unknown as NftRenderContext;
}

export function loadScenarios(): Scenario[] {
  return readdirSync(SCENARIOS_DIR)
    .sort()
    .map((name) => {
      const dir = join(SCENARIOS_DIR, name);
      const afterPath = join(dir, 'plan-after.json');
      const context = asContext(readJson(join(dir, 'context.json')), `${name}/context.json`);
      const raw = context as unknown as Record<string, unknown>;
      const swanctl = isRecord(raw['swanctl']) ? (raw['swanctl'] as SwanctlRenderContext) : {};
      const windows: WindowsRenderContext = { pce: context.pce, ...(isRecord(raw['windows']) ? (raw['windows'] as Partial<WindowsRenderContext>) : {}) };
      return {
        name,
        dir,
        plan: asPlan(readJson(join(dir, 'plan.json')), `${name}/plan.json`),
        context,
        swanctl,
        windows,
        after: existsSync(afterPath) ? asPlan(readJson(afterPath), `${name}/plan-after.json`) : undefined,
      };
    });
}
