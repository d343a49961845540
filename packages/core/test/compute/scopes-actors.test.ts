/**
 * Who gets which entry: scopes (intra-scope and extra-scope consumers, several scopes,
 * exclusions), every actor kind, label semantics and nested label groups.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyEngine } from '../../src/compute/engine.ts';
import type { WorkloadPlan } from '../../src/compute/types.ts';
import { OrgBuilder, ams, ipList, label, labelGroup, ruleHref, scopeGroup, scopeLabel, tcp, virtualService, workload } from './org-builder.ts';

/** The addresses an inbound entry of `rule` admits, on `id`'s plan. */
function inboundPeers(e: PolicyEngine, id: string, rule: string): string[] | undefined {
  const p = e.plan(id);
  const entry = p?.inbound.find((x) => x.rule === rule);
  if (!entry) return undefined;
  const set = p?.address_sets.find((s) => s.name === entry.peers);
  return [...(set?.ipv4 ?? []), ...(set?.ipv6 ?? [])];
}

function outboundPeers(e: PolicyEngine, id: string, rule: string): string[] | undefined {
  const p = e.plan(id);
  const entry = p?.outbound.find((x) => x.rule === rule);
  if (!entry) return undefined;
  const set = p?.address_sets.find((s) => s.name === entry.peers);
  return [...(set?.ipv4 ?? []), ...(set?.ipv6 ?? [])];
}

function rulesOf(p: WorkloadPlan | undefined): string[] {
  return [...(p?.inbound ?? []), ...(p?.outbound ?? [])].map((x) => x.rule);
}

/** Two apps × two envs × web/db tiers; addresses 10.0.<app><env>.<tier>. */
function twoApps() {
  const o = new OrgBuilder();
  const L = {
    web: o.label('role', 'web'),
    db: o.label('role', 'db'),
    shop: o.label('app', 'shop'),
    crm: o.label('app', 'crm'),
    prod: o.label('env', 'prod'),
    dev: o.label('env', 'dev'),
  };
  const ids: Record<string, string> = {};
  for (const [ai, app] of (['shop', 'crm'] as const).entries()) {
    for (const [ei, env] of (['prod', 'dev'] as const).entries()) {
      for (const [ti, tier] of (['web', 'db'] as const).entries()) {
        const name = `${app}-${env}-${tier}`;
        ids[name] = o.workload({ name, labels: [L[tier], L[app], L[env]], addresses: [`10.0.${ai * 2 + ei}.${ti + 1}`] }).id;
      }
    }
  }
  const id = (n: string): string => ids[n] ?? n;
  return { o, L, id };
}

describe('scopes', () => {
  it('confines providers and intra-scope consumers to the scope', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([[scopeLabel(L.shop), scopeLabel(L.prod)]], [{ providers: [label(L.db)], consumers: [label(L.web)] }]);
    const e = o.engine();
    assert.deepEqual(inboundPeers(e, id('shop-prod-db'), ruleHref('1', '1')), ['10.0.0.1']);
    assert.deepEqual(outboundPeers(e, id('shop-prod-web'), ruleHref('1', '1')), ['10.0.0.2']);
    for (const other of ['shop-dev-db', 'crm-prod-db', 'crm-prod-web', 'shop-dev-web']) assert.deepEqual(rulesOf(e.plan(id(other))), [], other);
  });

  it('lets extra-scope consumers come from anywhere, providers still in scope', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([[scopeLabel(L.shop), scopeLabel(L.prod)]], [{ providers: [label(L.db)], consumers: [label(L.web)], unscoped_consumers: true }]);
    const e = o.engine();
    // every web tier, of both apps and envs, merged into ranges where adjacent
    assert.deepEqual(inboundPeers(e, id('shop-prod-db'), ruleHref('1', '1')), ['10.0.0.1', '10.0.1.1', '10.0.2.1', '10.0.3.1']);
    assert.deepEqual(outboundPeers(e, id('crm-dev-web'), ruleHref('1', '1')), ['10.0.0.2']);
    assert.deepEqual(rulesOf(e.plan(id('crm-prod-db'))), []);
  });

  it('applies each of several scopes on its own (no dev → prod through a rule set scoped to both)', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([[scopeLabel(L.shop), scopeLabel(L.prod)], [scopeLabel(L.shop), scopeLabel(L.dev)]], [{ providers: [label(L.db)], consumers: [label(L.web)] }]);
    const e = o.engine();
    assert.deepEqual(inboundPeers(e, id('shop-prod-db'), ruleHref('1', '1')), ['10.0.0.1']);
    assert.deepEqual(inboundPeers(e, id('shop-dev-db'), ruleHref('1', '1')), ['10.0.1.1']);
    // extra-scope with several scopes: providers in any scope, consumers anywhere: one entry
    const o2 = twoApps();
    o2.o.ruleSet([[scopeLabel(o2.L.shop), scopeLabel(o2.L.prod)], [scopeLabel(o2.L.crm)]], [{ providers: [label(o2.L.db)], consumers: [label(o2.L.web)], unscoped_consumers: true }]);
    const e2 = o2.o.engine();
    for (const n of ['shop-prod-db', 'crm-prod-db', 'crm-dev-db']) assert.equal(e2.plan(o2.id(n))?.inbound.length, 1, n);
    assert.equal(e2.plan(o2.id('shop-dev-db'))?.inbound.length, 0);
  });

  it('honours scope exclusions and label groups in scopes', () => {
    const { o, L, id } = twoApps();
    const envs = o.labelGroup('env', [L.prod, L.dev]);
    o.ruleSet([[scopeLabel(L.crm, true), scopeGroup(envs)]], [{ providers: [label(L.db)], consumers: [label(L.web)] }]);
    const e = o.engine();
    assert.equal(e.plan(id('shop-prod-db'))?.inbound.length, 1);
    assert.equal(e.plan(id('shop-dev-db'))?.inbound.length, 1);
    assert.equal(e.plan(id('crm-prod-db'))?.inbound.length, 0);
    // not one scope per label: the single scope pairs shop dev web with shop prod db too
    assert.deepEqual(inboundPeers(e, id('shop-prod-db'), ruleHref('1', '1')), ['10.0.0.1', '10.0.1.1']);
  });

  it('confines All workloads to the scope for intra-scope rules', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([[scopeLabel(L.crm), scopeLabel(L.dev)]], [{ providers: [label(L.db)], consumers: [ams] }]);
    const e = o.engine();
    assert.deepEqual(inboundPeers(e, id('crm-dev-db'), ruleHref('1', '1')), ['10.0.3.1-10.0.3.2']);
  });
});

describe('actors', () => {
  it('ANDs labels of different keys and ORs labels of one key', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([], [
      { providers: [label(L.db), label(L.prod)], consumers: [label(L.web), label(L.shop), label(L.crm)] },
    ]);
    const e = o.engine();
    const prodDbs = ['shop-prod-db', 'crm-prod-db'];
    for (const n of ['shop-prod-db', 'shop-dev-db', 'crm-prod-db', 'crm-dev-db', 'shop-prod-web']) {
      assert.equal(e.plan(id(n))?.inbound.length, prodDbs.includes(n) ? 1 : 0, n);
    }
    assert.deepEqual(inboundPeers(e, id('crm-prod-db'), ruleHref('1', '1')), ['10.0.0.1', '10.0.1.1', '10.0.2.1', '10.0.3.1']);
  });

  it('expands nested label groups (and survives a cycle)', () => {
    const { o, L, id } = twoApps();
    const inner = o.labelGroup('app', [L.crm]);
    const outer = o.labelGroup('app', [L.shop], [inner]);
    // a cycle: inner also contains outer
    const g = o.labelGroups.find((x) => x.id === inner);
    if (g) (g.sub_groups as { href: string }[]).push({ href: `/orgs/1/sec_policy/draft/label_groups/${outer}` });
    o.ruleSet([], [{ providers: [label(L.db), labelGroup(outer)], consumers: [label(L.web), label(L.prod)] }]);
    const e = o.engine();
    for (const n of ['shop-prod-db', 'shop-dev-db', 'crm-prod-db', 'crm-dev-db']) assert.equal(e.plan(id(n))?.inbound.length, 1, n);
    assert.deepEqual(inboundPeers(e, id('crm-dev-db'), ruleHref('1', '1')), ['10.0.0.1', '10.0.2.1']);
    assert.ok(e.diagnostics().some((d) => d.token === 'label_group_problem' && /contains itself/.test(d.message)));
  });

  it('fails closed on an unknown label group: the side matches nothing', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([], [{ providers: [label(L.db), labelGroup('999')], consumers: [ams] }]);
    const e = o.engine();
    assert.equal(e.plan(id('shop-prod-db'))?.inbound.length, 0);
    assert.ok(e.diagnostics().some((d) => d.token === 'unknown_label_group' && d.severity === 'error' && d.path === 'providers[1]'));
  });

  it('resolves workload, All workloads, IP list and virtual service actors', () => {
    const { o, L, id } = twoApps();
    const corp = o.ipList('corp', [{ from_ip: '172.16.0.0/12', exclusion: false }]);
    const vip = o.virtualService('shop-db-vip', [L.db, L.shop], ['10.9.9.9']);
    o.ruleSet([], [
      { providers: [workload(id('crm-dev-db'))], consumers: [workload(id('crm-dev-web')), ipList(corp)] },
      { providers: [label(L.web)], consumers: [ams] },
      { providers: [ipList(corp)], consumers: [label(L.db)] },
      { providers: [virtualService(vip)], consumers: [label(L.web), label(L.crm)] },
    ]);
    const e = o.engine();
    assert.deepEqual(inboundPeers(e, id('crm-dev-db'), ruleHref('1', '1')), ['10.0.3.1', '172.16.0.0/12']);
    assert.deepEqual(inboundPeers(e, id('shop-prod-web'), ruleHref('1', '2')), ['10.0.0.1-10.0.0.2', '10.0.1.1-10.0.1.2', '10.0.2.1-10.0.2.2', '10.0.3.1-10.0.3.2']);
    // IP-list providers: consumers get an outbound entry, nobody an inbound one
    assert.deepEqual(outboundPeers(e, id('shop-dev-db'), ruleHref('1', '3')), ['172.16.0.0/12']);
    // virtual service: consumers reach its address and its backends; backends get the inbound entry
    assert.deepEqual(outboundPeers(e, id('crm-prod-web'), ruleHref('1', '4')), ['10.0.0.2', '10.0.1.2', '10.9.9.9']);
    assert.deepEqual(inboundPeers(e, id('shop-dev-db'), ruleHref('1', '4')), ['10.0.2.1', '10.0.3.1']);
    assert.equal(inboundPeers(e, id('crm-dev-db'), ruleHref('1', '4')), undefined);
  });

  it('skips disabled rules and disabled rule sets', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([], [{ providers: [label(L.db)], consumers: [ams], enabled: false }]);
    o.ruleSet([], [{ providers: [label(L.db)], consumers: [ams] }], [], false);
    assert.deepEqual(rulesOf(o.engine().plan(id('shop-prod-db'))), []);
  });

  it('shares one named set between entries and plans that name the same peers', () => {
    const { o, L, id } = twoApps();
    o.ruleSet([], [
      { providers: [label(L.db)], consumers: [label(L.web)], services: [tcp(5432)] },
      { providers: [label(L.db)], consumers: [label(L.web)], services: [tcp(22)] },
    ]);
    const e = o.engine();
    const a = e.plan(id('shop-prod-db'));
    const b = e.plan(id('crm-dev-db'));
    assert.equal(a?.inbound[0]?.peers, a?.inbound[1]?.peers);
    assert.equal(a?.address_sets.length, 1);
    assert.equal(a?.address_sets[0], b?.address_sets[0], 'the same frozen object');
    assert.equal(a?.inbound, b?.inbound, 'members of the same sides share their entry lists');
  });
});
