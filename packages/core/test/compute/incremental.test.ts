/**
 * Incremental recompute equals a full recompute. A seeded small org (every actor kind,
 * scopes, extra-scope consumers, nested label groups, IP lists, deny rules, SecureConnect)
 * goes through random changes: relabelling, new addresses, OS/mode/managed changes, renames,
 * workloads added and removed, and provisions that edit rule sets, label groups, IP lists
 * and the firewall settings. After each change every plan must equal (deeply, and by hash)
 * the plan a fresh engine computes from the same inputs, and `changed` must list exactly
 * the workloads whose hash moved.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyEngine } from '../../src/compute/engine.ts';
import type { ChangeResult, ComputeWorkload, PolicySnapshot } from '../../src/compute/types.ts';
import type { IpList } from '../../src/model/ip-lists.ts';
import type { LabelGroup } from '../../src/model/labels.ts';
import type { RuleSet, SecRule } from '../../src/model/rule-sets.ts';
import { generateSyntheticOrg, rng } from '../../../../bench/synthetic-org.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface State {
  snapshot: PolicySnapshot;
  workloads: Map<string, ComputeWorkload>;
}

function check(engine: PolicyEngine, state: State, before: Map<string, string>, result: ChangeResult, what: string): Map<string, string> {
  const fresh = new PolicyEngine({ snapshot: state.snapshot, workloads: [...state.workloads.values()], labels: org.labels }).computeAll();
  const now = engine.computeAll();
  assert.equal(now.size, fresh.size, `${what}: plan count`);
  const moved: string[] = [];
  for (const [id, p] of fresh) {
    const mine = now.get(id);
    assert.equal(mine?.hash, p.hash, `${what}: hash of ${id}`);
    assert.deepEqual(mine, p, `${what}: plan of ${id}`);
    if (before.get(id) !== p.hash) moved.push(id);
  }
  assert.deepEqual(result.changed, moved.sort(), `${what}: changed`);
  const gone = [...before.keys()].filter((id) => !fresh.has(id)).sort();
  assert.deepEqual(result.removed, gone, `${what}: removed`);
  return new Map([...fresh].map(([id, p]) => [id, p.hash]));
}

const org = generateSyntheticOrg({ workloads: 300, ruleSets: 40, rulesPerSet: 8, secureConnectShare: 0.25, seed: 11, labelValues: 80 });

describe('incremental recompute', () => {
  it('equals a full recompute after each of 150 random changes', () => {
    const rand = rng(2024);
    const int = (n: number): number => Math.floor(rand() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
    const state: State = { snapshot: structuredClone(org.snapshot), workloads: new Map(org.workloads.map((w) => [w.id, w])) };
    const engine = new PolicyEngine({ snapshot: state.snapshot, workloads: [...state.workloads.values()], labels: org.labels });
    let hashes = new Map([...engine.computeAll()].map(([id, p]) => [id, p.hash]));
    const byKey = (key: string) => org.labels.filter((l) => l.key === key).map((l) => l.id);
    const keys = ['role', 'app', 'env', 'loc'];
    let version = 1;
    let nextId = 1;
    const removedWorkloads: ComputeWorkload[] = [];
    const kinds = new Map<string, number>();

    for (let step = 0; step < 150; step++) {
      const ws = [...state.workloads.values()];
      const w = pick(ws);
      const k = int(12);
      let what: string;
      let result: ChangeResult;
      const update = (nw: ComputeWorkload): ChangeResult => {
        state.workloads.set(nw.id, nw);
        return engine.updateWorkload(nw);
      };
      if (k <= 2) {
        // relabel: replace, add or drop one label
        const key = pick(keys);
        const labels = w.labels.filter((l) => !byKey(key).includes(l));
        if (rand() < 0.8) labels.push(pick(byKey(key)));
        what = `relabel ${w.id} ${key}`;
        result = update({ ...w, labels });
      } else if (k === 3) {
        const a = [`10.200.${int(4)}.${int(250)}`];
        if (rand() < 0.5) a.push(`fd00:77::${int(9999).toString(16)}`);
        if (rand() < 0.1) a.push('bogus');
        what = `addresses ${w.id}`;
        result = update({ ...w, addresses: a });
      } else if (k === 4) {
        what = `mode ${w.id}`;
        result = update({ ...w, enforcement_mode: pick(['idle', 'visibility_only', 'selective', 'full'] as const), visibility_level: pick(['flow_off', 'flow_summary'] as const) });
      } else if (k === 5) {
        what = `os/managed ${w.id}`;
        const os = pick([
          ['linux', '22.04'],
          ['windows', '2008'],
          ['windows', '2019'],
          ['aix', '7.2'],
        ] as const);
        result = update({ ...w, os_type: os[0], os_version: os[1], managed: rand() < 0.7 });
      } else if (k === 6) {
        what = `rename ${w.id}`;
        result = update({ ...w, name: `renamed-${step}` });
      } else if (k === 7) {
        const back = removedWorkloads.pop();
        const id = back?.id ?? `new-${nextId++}`;
        const nw: ComputeWorkload = back ?? {
          ...pick(ws),
          id,
          name: id,
          href: `/orgs/1/workloads/${id}`,
          addresses: [`10.201.0.${nextId}`],
          labels: keys.map((key) => pick(byKey(key))),
        };
        what = `add ${id}`;
        result = update(nw);
      } else if (k === 8) {
        what = `remove ${w.id}`;
        state.workloads.delete(w.id);
        removedWorkloads.push(w);
        result = engine.removeWorkload(w.id);
      } else {
        // a provision
        const snap = structuredClone(state.snapshot) as Mutable<PolicySnapshot>;
        const p = int(6);
        if (p <= 2) {
          const rs = pick(snap.ruleSets) as Mutable<RuleSet>;
          const rules = [...rs.rules] as SecRule[];
          const i = int(Math.max(1, rules.length));
          const r = rules[i];
          const edit = int(6);
          if (!r || edit === 0) rules.push({ id: `x${step}`, enabled: true, description: '', providers: [{ actors: 'ams' }], consumers: [{ label: { href: `/orgs/1/labels/${pick(byKey('role'))}` } }], ingress_services: [{ proto: 6, port: 9000 + step }], sec_connect: rand() < 0.5, unscoped_consumers: false });
          else if (edit === 1) rules[i] = { ...r, ingress_services: [{ proto: 17, port: 5000 + step }] };
          else if (edit === 2) rules[i] = { ...r, sec_connect: !r.sec_connect };
          else if (edit === 3) rules[i] = { ...r, unscoped_consumers: !r.unscoped_consumers };
          else if (edit === 4) rules.splice(i, 1);
          else rs.scopes = rs.scopes.length > 0 ? [] : [[{ label: { href: `/orgs/1/labels/${pick(byKey('env'))}` } }]];
          rs.rules = rules;
          if (rand() < 0.1) rs.enabled = !rs.enabled;
          what = `provision rule set ${rs.id} (edit ${edit})`;
        } else if (p === 3 && snap.labelGroups.length > 0) {
          const g = pick(snap.labelGroups) as Mutable<LabelGroup>;
          g.labels = [...g.labels, { href: `/orgs/1/labels/${pick(byKey('env'))}` }];
          what = 'provision label group';
        } else if (p === 4) {
          const l = pick(snap.ipLists.slice(1)) as Mutable<IpList>;
          l.ip_ranges = [...l.ip_ranges, { from_ip: `10.200.${int(4)}.0/24`, exclusion: rand() < 0.3 }];
          what = 'provision IP list';
        } else {
          snap.firewallSettings = snap.firewallSettings.ike_authentication_type === 'psk' ? { ike_authentication_type: 'certificate', ike_ca_identity: rand() < 0.8 ? 'CN=Test CA' : null } : { ike_authentication_type: 'psk', ike_ca_identity: null };
          what = 'provision firewall settings';
        }
        state.snapshot = { ...snap, version: ++version };
        result = engine.setPolicy(state.snapshot);
      }
      kinds.set(what.split(' ')[0] ?? what, (kinds.get(what.split(' ')[0] ?? what) ?? 0) + 1);
      hashes = check(engine, state, hashes, result, `step ${step}: ${what}`);
    }
    // every kind of change happened
    for (const kind of ['relabel', 'addresses', 'mode', 'os/managed', 'rename', 'add', 'remove', 'provision']) assert.ok((kinds.get(kind) ?? 0) > 0, kind);
  });

  it('recomputes only the plans a relabel can change, and reports workloads_affected on a provision', () => {
    const engine = new PolicyEngine({ snapshot: org.snapshot, workloads: org.workloads, labels: org.labels });
    engine.computeAll();
    // an application tier moving to another tier (infrastructure roles such as DNS are named by
    // All-workloads rules, so moving into one changes every plan: that is the policy, not waste)
    const tier = (id: string | undefined) => org.labels.find((l) => l.id === id)?.value.startsWith('tier-') === true;
    const w = org.workloads.find((x) => x.managed && x.enforcement_mode === 'full' && tier(x.labels[0]));
    assert.ok(w);
    const [role, ...rest] = w.labels;
    const other = org.labels.find((l) => l.key === 'role' && l.id !== role && tier(l.id));
    assert.ok(other);
    const r = engine.updateWorkload({ ...w, labels: [other.id, ...rest] });
    assert.ok(r.recomputed < org.workloads.length / 2, `recomputed ${r.recomputed} of ${org.workloads.length}`);
    assert.ok(r.changed.includes(w.id));
    // a provision that changes nothing affects no workload
    assert.deepEqual(engine.setPolicy({ ...org.snapshot, version: 2 }).changed, []);
  });
});
