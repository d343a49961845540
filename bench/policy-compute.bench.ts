/**
 * Policy compute benchmark (issue 3): full compute of every plan for a 100,000-workload org,
 * incremental recompute after relabelling one workload and after provisioning one changed
 * rule set, peak RSS, and the size of a typical plan. Targets: full ≤ 10 s, relabel ≤ 20 ms,
 * peak RSS ≤ 2 GiB. Environment: WORKLOADS, RULE_SETS, RULES_PER_SET, SEED override the size.
 */
import { PolicyEngine } from '../packages/core/src/compute/engine.ts';
import type { ComputeWorkload, PolicySnapshot, WorkloadPlan } from '../packages/core/src/compute/types.ts';
import type { RuleSet, SecRule } from '../packages/core/src/model/rule-sets.ts';
import { generateSyntheticOrg, rng } from './synthetic-org.ts';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const opts = {
  workloads: env('WORKLOADS', 100_000),
  ruleSets: env('RULE_SETS', 2_000),
  rulesPerSet: env('RULES_PER_SET', 10),
  secureConnectShare: 0.1,
  seed: env('SEED', 42),
};

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? 0;
};
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const line = (label: string, value: string, target = ''): void => console.log(`${label.padEnd(44)} ${value.padEnd(28)} ${target}`);

let t = process.hrtime.bigint();
const org = generateSyntheticOrg(opts);
const ruleCount = org.snapshot.ruleSets.reduce((n, rs) => n + rs.rules.length + rs.deny_rules.length, 0);
const scCount = org.snapshot.ruleSets.reduce((n, rs) => n + rs.rules.filter((r) => r.sec_connect).length, 0);
line('synthetic org', `${opts.workloads} workloads, ${org.snapshot.ruleSets.length} rule sets, ${ruleCount} rules (${scCount} SecureConnect), ${org.labels.length} labels`);
line('  generated in', `${fmt(ms(t))} ms`);

gc();
const cpu0 = process.cpuUsage();
t = process.hrtime.bigint();
const engine = new PolicyEngine({ snapshot: org.snapshot, workloads: org.workloads, labels: org.labels });
const plans = engine.computeAll();
const full = ms(t);
const fullCpu = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
line('full compute (index + every plan)', `${fmt(full / 1000)} s (CPU ${fmt(fullCpu / 1000)} s, all threads)`, `target ≤ 10 s ${full <= 10_000 ? 'OK' : 'MISSED'}`);
line('  plans', String(plans.size));
gc();
line('  heap used after full compute', mib(process.memoryUsage().heapUsed));

// ——— relabel one workload: move it to another tier of its app ———
const rand = rng(opts.seed + 1);
const byId = new Map(org.workloads.map((w) => [w.id, w]));
const infraRoles = new Set(org.labels.filter((l) => l.key === 'role' && !l.value.startsWith('tier-')).map((l) => l.id));
function relabel(trials: number, infra: boolean): { times: number[]; changed: number[]; rebuilt: number[] } {
  const out = { times: [] as number[], changed: [] as number[], rebuilt: [] as number[] };
  for (let i = 0; out.times.length < trials && i < trials * 1000; i++) {
    const w = org.workloads[Math.floor(rand() * org.workloads.length)];
    if (!w) continue;
    const current = byId.get(w.id) ?? w;
    const [role, app, ...rest] = current.labels;
    if (role === undefined || app === undefined || infraRoles.has(role) !== infra) continue;
    const next = (org.appTiers.get(app) ?? []).filter((r) => r !== role);
    const newRole = next[Math.floor(rand() * next.length)];
    if (newRole === undefined) continue;
    const updated: ComputeWorkload = { ...current, labels: [newRole, app, ...rest] };
    byId.set(w.id, updated);
    t = process.hrtime.bigint();
    const r = engine.updateWorkload(updated);
    out.times.push(ms(t));
    out.rebuilt.push(r.recomputed);
    out.changed.push(r.changed.length);
  }
  gc();
  return out;
}
{
  const r = relabel(200, false);
  line(
    'relabel one workload (200 app-tier moves)',
    `median ${fmt(pct(r.times, 0.5))} ms, p95 ${fmt(pct(r.times, 0.95))} ms, max ${fmt(Math.max(...r.times))} ms`,
    `target ≤ 20 ms ${pct(r.times, 0.95) <= 20 ? 'OK (p95)' : pct(r.times, 0.5) <= 20 ? 'OK (median), p95 over' : 'MISSED'}`,
  );
  line('  plans changed / rebuilt per relabel', `median ${pct(r.changed, 0.5)} / ${pct(r.rebuilt, 0.5)}, p95 ${pct(r.changed, 0.95)} / ${pct(r.rebuilt, 0.95)}`);
  const infra = relabel(5, true);
  line('relabel an infrastructure server (5 trials)', `median ${fmt(pct(infra.times, 0.5))} ms, max ${fmt(Math.max(...infra.times))} ms`);
  line('  plans changed', `median ${pct(infra.changed, 0.5)} (All-workloads rules reach it: every plan names its set)`);
}

// ——— change one workload's address ———
{
  const times: number[] = [];
  const changed: number[] = [];
  for (let i = 0; times.length < 50 && i < 50_000; i++) {
    const w = org.workloads[Math.floor(rand() * org.workloads.length)];
    if (!w) continue;
    const current = byId.get(w.id) ?? w;
    if (infraRoles.has(current.labels[0] ?? '')) continue;
    const updated: ComputeWorkload = { ...current, addresses: [`11.${i % 256}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`] };
    byId.set(w.id, updated);
    t = process.hrtime.bigint();
    const r = engine.updateWorkload(updated);
    times.push(ms(t));
    changed.push(r.changed.length);
  }
  gc();
  line('new address on one app workload (50 trials)', `median ${fmt(pct(times, 0.5))} ms, p95 ${fmt(pct(times, 0.95))} ms, max ${fmt(Math.max(...times))} ms`);
  line('  plans changed', `median ${pct(changed, 0.5)}, max ${Math.max(...changed)} (every set holding its address)`);
}

// ——— provision one changed rule set ———
{
  const times: number[] = [];
  const affected: number[] = [];
  let snapshot: PolicySnapshot = engine.policy;
  for (let i = 0; i < 10; i++) {
    const appSets = snapshot.ruleSets.filter((rs) => rs.scopes.length > 0 && rs.rules.length > 1);
    const rs = appSets[Math.floor(rand() * appSets.length)];
    if (!rs) break;
    const first = rs.rules[0] as SecRule;
    const changedRs: RuleSet = { ...rs, rules: [{ ...first, ingress_services: [{ proto: 6, port: 10_000 + i }] }, ...rs.rules.slice(1)] };
    snapshot = { ...snapshot, version: (snapshot.version === 'draft' ? 1 : snapshot.version) + 1, ruleSets: snapshot.ruleSets.map((x) => (x === rs ? changedRs : x)) };
    t = process.hrtime.bigint();
    const r = engine.setPolicy(snapshot);
    times.push(ms(t));
    affected.push(r.changed.length);
  }
  gc();
  line('provision one changed rule set (10 trials)', `median ${fmt(pct(times, 0.5))} ms, max ${fmt(Math.max(...times))} ms`);
  line('  workloads_affected', `median ${pct(affected, 0.5)}, max ${Math.max(...affected)}`);
}

// ——— plan sizes ———
{
  const all: WorkloadPlan[] = [...engine.computeAll().values()];
  const sample = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / 2000)) === 0);
  const bytes = sample.map((p, i) => {
    if (i % 100 === 0) gc(); // the strings are garbage at once; do not let them pile up in the peak
    return JSON.stringify(p).length;
  });
  const entries = sample.map((p) => p.inbound.length + p.outbound.length + p.deny_inbound.length + p.deny_outbound.length);
  const setItems = sample.map((p) => p.address_sets.reduce((n, s) => n + s.ipv4.length + s.ipv6.length, 0));
  const noSets = sample.map((p) => JSON.stringify({ ...p, address_sets: [] }).length);
  const peers = sample.map((p) => p.secure_connect.peers.length);
  line('typical plan (JSON, median)', `${(pct(bytes, 0.5) / 1024).toFixed(1)} KiB (p90 ${(pct(bytes, 0.9) / 1024).toFixed(0)} KiB, max ${(Math.max(...bytes) / 1024).toFixed(0)} KiB)`);
  line('  without address sets (median)', `${(pct(noSets, 0.5) / 1024).toFixed(1)} KiB`);
  line('  entries / set items / SC peers (median)', `${pct(entries, 0.5)} / ${pct(setItems, 0.5)} / ${pct(peers, 0.5)}`);
  line('  entries / set items / SC peers (p90)', `${pct(entries, 0.9)} / ${pct(setItems, 0.9)} / ${pct(peers, 0.9)}`);
}

const peak = process.resourceUsage().maxRSS * 1024;
line('peak RSS', mib(peak), `target ≤ 2 GiB ${peak <= 2 * 1024 ** 3 ? 'OK' : 'MISSED'}`);
