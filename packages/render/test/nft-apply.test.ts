/**
 * The rendered text against the real nft parser and kernel (STYLE §5): in a throwaway
 * network namespace, every golden scenario (and every plan of a real engine run) passes
 * `nft -c -f` and then loads with `nft -f`; a set delta applied on top of a full load leaves
 * exactly the table a full load of the new plan gives; tables that are not ours survive.
 * No traffic here: namespace traffic tests live with the VEN.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNftables, renderSetDelta } from '../src/index.ts';
import type { NftRenderContext } from '../src/index.ts';
import { enginePlans } from './support/engine-plans.ts';
import { loadScenarios } from './support/scenarios.ts';

const NS = `palisade-rt-${process.pid}`;
const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('nft', ['--version']).status === 0 && spawnSync('ip', ['-V']).status === 0;
const skip = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs nft and ip (apt-get install -y --no-install-recommends nftables iproute2)' : false;

let dir = '';
let fileNo = 0;

function nft(...args: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'nft', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')} failed (${String(r.status)}): ${r.stderr}`);
  return r.stdout;
}

/** Writes the script to a file, as the VEN will, checks it, then applies it. */
function apply(script: string): void {
  const file = join(dir, `script-${++fileNo}.nft`);
  writeFileSync(file, script);
  nft('-c', '-f', file);
  nft('-f', file);
}

interface NftJson {
  nftables: Record<string, unknown>[];
}

function listTable(table: string): NftJson {
  return JSON.parse(nft('-j', 'list', 'table', 'inet', table)) as NftJson;
}

function objects(json: NftJson, kind: string): Record<string, unknown>[] {
  return json.nftables.flatMap((o) => (kind in o ? [o[kind] as Record<string, unknown>] : []));
}

function tables(): string[] {
  return nft('list', 'tables')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** Rule lines of a rendered table: indented twice, not a comment, not the chain header. */
function renderedRuleCount(script: string): number {
  return script.split('\n').filter((l) => l.startsWith('\t\t') && !l.startsWith('\t\t\t') && !l.startsWith('\t\t#') && !l.startsWith('\t\ttype ') && !l.startsWith('\t\tflags ') && !l.startsWith('\t\telements ') && !/^\t\t(timeout \S+|size \d+|counter)$/.test(l) && l !== '\t\t}').length;
}

function tableName(ctx: NftRenderContext): string {
  return ctx.table ?? 'palisade';
}

describe('rendered scripts in a real nft (network namespace)', { skip }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-render-'));
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    // Someone else's tables, which no Palisade script may touch.
    apply('table inet bystander {\n\tchain c {\n\t\ttype filter hook input priority 10; policy accept;\n\t\ttcp dport 9999 counter accept\n\t}\n}\ntable ip bystander4 {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.99 }\n\t}\n}\n');
  });

  after(() => {
    spawnSync('ip', ['netns', 'delete', NS]);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const scenarios = loadScenarios();
  for (const s of scenarios) {
    it(`${s.name}: nft -c accepts it, nft -f loads it, the table holds what was rendered`, () => {
      const script = renderNftables(s.plan, s.context);
      const table = tableName(s.context);
      apply(script);
      if (s.plan.enforcement_mode === 'idle') {
        assert.ok(!tables().includes(`table inet ${table}`), 'idle leaves no table');
        return;
      }
      const json = listTable(table);
      // Suspended (`only: 'secure-connect'`): the SecureConnect peer sets alone.
      const planSets = s.context.only === 'secure-connect' ? 0 : 4 * s.plan.address_sets.length;
      // Flow accounting (unless flow_off): four dynamic sets and two chains at priority filter + 10.
      const flows = s.context.only !== 'secure-connect' && s.plan.visibility_level !== 'flow_off';
      assert.equal(objects(json, 'set').length, planSets + 2 + (flows ? 4 : 0), 'per plan set and family a hash set and an interval set, the two SecureConnect peer sets, the flow sets');
      assert.equal(objects(json, 'chain').length, flows ? 4 : 2);
      assert.equal(objects(json, 'rule').length, renderedRuleCount(script), 'every rendered rule is loaded');
      // Loading the same script again is a clean replace, not an error or a duplicate.
      apply(script);
      assert.equal(objects(listTable(table), 'rule').length, renderedRuleCount(script));
    });
  }

  it('many-peers: thousands of peers, a handful of rules', () => {
    const s = scenarios.find((x) => x.name === 'many-peers');
    assert.ok(s);
    apply(renderNftables(s.plan, s.context));
    const json = listTable('palisade');
    const peers = s.plan.address_sets.reduce((n, set) => n + set.ipv4.length + set.ipv6.length, 0);
    assert.ok(peers >= 3000, `${peers} peers`);
    // 20 of them are the SecureConnect section (fixed: peers are in sets too).
    assert.ok(objects(json, 'rule').length < 60, `${objects(json, 'rule').length} rules`);
    const big = objects(json, 'set').find((x) => x['name'] === 'ps_f8091a2b3c4d5e6f_v4');
    assert.equal((big?.['elem'] as unknown[] | undefined)?.length, 2000);
  });

  it('idle after full removes our table and nothing else', () => {
    const full = scenarios.find((x) => x.name === 'mode-full');
    const idle = scenarios.find((x) => x.name === 'mode-idle');
    assert.ok(full && idle);
    apply(renderNftables(full.plan, full.context));
    assert.ok(tables().includes('table inet palisade'));
    apply(renderNftables(idle.plan, idle.context));
    assert.ok(!tables().includes('table inet palisade'));
  });

  it('a set delta on top of a full load gives the table a full load of the new plan gives', () => {
    const s = scenarios.find((x) => x.name === 'membership-delta');
    assert.ok(s?.after);
    const delta = renderSetDelta(s.plan, s.after, s.context);
    assert.ok(delta !== null && delta !== '');
    apply(renderNftables(s.plan, s.context));
    apply(delta);
    const viaDelta = nft('list', 'table', 'inet', 'palisade');
    apply(renderNftables(s.after, s.context));
    const viaReplace = nft('list', 'table', 'inet', 'palisade');
    assert.equal(viaDelta, viaReplace);
    assert.match(viaDelta, /192\.0\.2\.64\/26/);
    assert.doesNotMatch(viaDelta, /198\.51\.100\.5/);
  });

  it('a SecureConnect peer joining: the delta on top of a full load equals a full load of the new plan', () => {
    const s = scenarios.find((x) => x.name === 'secure-connect-psk');
    assert.ok(s);
    const without = { ...s.plan, secure_connect: { peers: [] } };
    const delta = renderSetDelta(without, s.plan, s.context);
    assert.ok(delta !== null && delta.includes('sc_peers_v4') && delta.includes('sc_peers_v6'), 'a set delta, not a reload');
    apply(renderNftables(without, s.context));
    apply(delta);
    const viaDelta = nft('list', 'table', 'inet', 'palisade');
    apply(renderNftables(s.plan, s.context));
    assert.equal(viaDelta, nft('list', 'table', 'inet', 'palisade'));
    assert.match(viaDelta, /set sc_peers_v4 \{[^}]*192\.0\.2\.22/);
  });

  it('plans from the real policy engine load', () => {
    const plans = enginePlans();
    assert.ok(plans.size >= 4);
    const ctx: NftRenderContext = { pce: { addresses: ['192.0.2.1', '2001:db8::1'], port: 8443 } };
    for (const plan of plans.values()) {
      const script = renderNftables(plan, ctx);
      apply(script);
      assert.equal(objects(listTable('palisade'), 'rule').length, renderedRuleCount(script), plan.workload.name);
    }
  });

  it('tables that are not ours are untouched by all of the above', () => {
    assert.ok(tables().includes('table inet bystander'));
    assert.ok(tables().includes('table ip bystander4'));
    assert.match(nft('list', 'table', 'inet', 'bystander'), /tcp dport 9999 counter packets 0 bytes 0 accept/);
    assert.match(nft('list', 'set', 'ip', 'bystander4', 's'), /192\.0\.2\.99/);
  });
});
