/**
 * Content hash (FNV-1a 64, pure JS) and deep freezing of plans.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fnv64, fnv64, fnv64Bytes } from '../../src/compute/hash.ts';
import { PolicyEngine } from '../../src/compute/engine.ts';
import type { WorkloadPlan } from '../../src/compute/types.ts';
import { generateSyntheticOrg, rng } from '../../../../bench/synthetic-org.ts';

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function deepFrozen(v: unknown, path: string, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  assert.ok(Object.isFrozen(v), `${path} is not frozen`);
  for (const [k, x] of Object.entries(v)) deepFrozen(x, `${path}.${k}`, seen);
}

const org = generateSyntheticOrg({ workloads: 400, ruleSets: 60, rulesPerSet: 8, secureConnectShare: 0.2, seed: 7, labelValues: 80 });

describe('content hash', () => {
  it('is FNV-1a 64 (published test vectors)', () => {
    const bytes = (s: string) => [...s].map((c) => c.charCodeAt(0));
    assert.equal(fnv64Bytes(bytes('')), 'cbf29ce484222325');
    assert.equal(fnv64Bytes(bytes('a')), 'af63dc4c8601ec8c');
    assert.equal(fnv64Bytes(bytes('foobar')), '85944171f73967e8');
  });

  it('hashes strings as UTF-8 plus a separator, matching a BigInt reference', () => {
    const ref = (s: string): string => {
      let h = 0xcbf29ce484222325n;
      for (const b of [...new TextEncoder().encode(s), 0xff]) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    for (const s of ['', 'a', '/orgs/1/workloads/abc', 'héllo wörld ✓ 😀', 'x'.repeat(100)]) assert.equal(fnv64(s).hex, ref(s), s);
    // fields cannot run together
    assert.notEqual(new Fnv64().str('ab').str('c').digest().hex, new Fnv64().str('a').str('bc').digest().hex);
  });

  it('is identical for identical plans, whatever the order of the inputs', () => {
    const a = new PolicyEngine({ snapshot: org.snapshot, workloads: org.workloads, labels: org.labels }).computeAll();
    const snap = structuredClone(org.snapshot);
    const shuffledSnapshot = {
      ...snap,
      ruleSets: shuffled(snap.ruleSets, 1).map((rs) => ({ ...rs, rules: shuffled(rs.rules, 2), deny_rules: shuffled(rs.deny_rules, 3) })),
      ipLists: shuffled(snap.ipLists, 4),
      services: shuffled(snap.services, 5),
      labelGroups: shuffled(snap.labelGroups, 6),
    };
    const workloads = shuffled(org.workloads, 7).map((w) => ({ ...w, labels: shuffled(w.labels, 8), addresses: shuffled(w.addresses, 9) }));
    const b = new PolicyEngine({ snapshot: shuffledSnapshot, workloads, labels: shuffled(org.labels, 10) }).computeAll();
    assert.equal(a.size, b.size);
    for (const [id, p] of a) {
      assert.equal(b.get(id)?.hash, p.hash, id);
      assert.deepEqual(b.get(id), p, id);
    }
  });

  it('changes when the plan changes, and only for the plans that change', () => {
    const e = new PolicyEngine({ snapshot: org.snapshot, workloads: org.workloads, labels: org.labels });
    const before = new Map([...e.computeAll()].map(([id, p]) => [id, p.hash]));
    const w = org.workloads[3];
    assert.ok(w);
    const r = e.updateWorkload({ ...w, enforcement_mode: w.enforcement_mode === 'full' ? 'selective' : 'full' });
    assert.deepEqual(r.changed, [w.id]);
    for (const [id, h] of before) if (id !== w.id) assert.equal(e.plan(id)?.hash, h);
  });

  it('gives every workload its own hash (its header is part of its plan)', () => {
    const hashes = new Set([...new PolicyEngine({ snapshot: org.snapshot, workloads: org.workloads, labels: org.labels }).computeAll().values()].map((p) => p.hash));
    assert.equal(hashes.size, org.workloads.length, 'every workload has its own header, so its own hash');
  });
});

describe('plans are frozen', () => {
  it('deep-freezes every plan (entries, sets, peers, diagnostics)', () => {
    const plans: WorkloadPlan[] = [...new PolicyEngine({ snapshot: org.snapshot, workloads: org.workloads, labels: org.labels }).computeAll().values()];
    assert.ok(plans.some((p) => p.secure_connect.peers.length > 0), 'the sample has SecureConnect peers');
    assert.ok(plans.some((p) => p.diagnostics.length > 0), 'the sample has diagnostics');
    for (const p of plans) deepFrozen(p, p.workload.name);
    const p = plans[0];
    assert.ok(p);
    assert.throws(() => {
      (p.inbound as unknown as unknown[]).push(1);
    });
    assert.throws(() => {
      (p as unknown as { hash: string }).hash = 'x';
    });
  });
});
