import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from '../src/traffic-map/aggregate.ts';
import { layoutGraph } from '../src/traffic-map/layout.ts';
import { buildScene } from '../src/traffic-map/map-scene.ts';
import { SpatialIndex, segmentDistance } from '../src/traffic-map/spatial-index.ts';
import { fit, pan, toWorld, zoomAt, MAX_ZOOM } from '../src/traffic-map/viewport.ts';
import type { Flow, WorkloadRef } from '../src/traffic-map/traffic-model.ts';
import { flow, workload } from './traffic-map-fixtures.ts';

/** `n` workloads over 40 apps × 3 envs, and `m` flows between them (deterministic). */
function org(n: number, m: number): { workloads: WorkloadRef[]; flows: Flow[] } {
  const workloads = Array.from({ length: n }, (_, i) => workload(`w${i}`, `app${i % 40}`, ['prod', 'dev', 'test'][i % 3]));
  const decisions = ['allowed', 'allowed', 'potentially_blocked', 'blocked', 'unknown'];
  const flows = Array.from({ length: m }, (_, i) => flow(workloads[(i * 7) % n] as WorkloadRef, workloads[(i * 13 + 5) % n] as WorkloadRef, decisions[i % 5] ?? 'allowed', 1000 + (i % 50)));
  return { workloads, flows };
}

describe('traffic map layout', () => {
  it('is deterministic, keeps every node inside its box, and no two boxes overlap', () => {
    const { workloads, flows } = org(600, 3000);
    const g = aggregate(flows, workloads, { view: 'workloads' });
    const a = layoutGraph(g);
    const b = layoutGraph(aggregate(flows, workloads, { view: 'workloads' }));
    assert.deepEqual([...a.x], [...b.x]);
    assert.deepEqual([...a.y], [...b.y]);
    assert.deepEqual(a.boxes, b.boxes);
    g.boxes.forEach((box, bi) => {
      const p = a.boxes[bi];
      assert.ok(p);
      for (const i of box.nodes) {
        const x = a.x[i] ?? NaN;
        const y = a.y[i] ?? NaN;
        const r = a.r[i] ?? NaN;
        assert.ok(x - r >= p.x && x + r <= p.x + p.w && y - r >= p.y && y + r <= p.y + p.h, `node ${i} inside box ${p.label}`);
      }
    });
    for (let i = 0; i < a.boxes.length; i++) {
      for (let j = i + 1; j < a.boxes.length; j++) {
        const p = a.boxes[i];
        const q = a.boxes[j];
        assert.ok(p && q);
        const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        assert.ok(!overlap, `${p.label} and ${q.label} overlap`);
      }
    }
    assert.ok(a.width > 0 && a.height > 0);
    const aspect = a.width / a.height;
    assert.ok(aspect > 0.5 && aspect < 4, `roughly landscape, got ${aspect}`);
  });

  it('no two nodes overlap', () => {
    const { workloads, flows } = org(300, 500);
    for (const view of ['workloads', 'groups'] as const) {
      const g = aggregate(flows, workloads, { view });
      const L = layoutGraph(g);
      for (let i = 0; i < g.nodes.length; i++) {
        for (let j = i + 1; j < g.nodes.length; j++) {
          const d = Math.hypot((L.x[i] ?? 0) - (L.x[j] ?? 0), (L.y[i] ?? 0) - (L.y[j] ?? 0));
          assert.ok(d >= (L.r[i] ?? 0) + (L.r[j] ?? 0), `${view}: nodes ${i} and ${j} overlap`);
        }
      }
    }
  });

  it('an empty graph lays out to nothing', () => {
    const L = layoutGraph(aggregate([], [], { view: 'workloads' }));
    assert.equal(L.width, 0);
    assert.equal(L.height, 0);
    assert.equal(L.boxes.length, 0);
  });

  it('2,000 workloads and 20,000 flows: aggregate + layout + index, once per data change', () => {
    const { workloads, flows } = org(2000, 20_000);
    const scene = buildScene(aggregate(flows, workloads, { view: 'workloads' }));
    assert.equal(scene.graph.nodes.length, 2000);
    assert.equal(scene.batches.reduce((s, b) => s + b.edges.length, 0), scene.graph.edges.length);
    // Blocked edges are drawn last (on top).
    assert.equal(scene.batches[scene.batches.length - 1]?.decision, 'blocked');
  });
});

describe('traffic map hit testing', () => {
  const { workloads, flows } = org(400, 1500);
  const scene = buildScene(aggregate(flows, workloads, { view: 'workloads' }));
  const { layout: L, graph: g } = scene;

  it('finds the node under its centre and within its radius', () => {
    for (let i = 0; i < g.nodes.length; i += 17) {
      assert.deepEqual(scene.index.hit(L.x[i] ?? 0, L.y[i] ?? 0, 1), { kind: 'node', index: i });
      assert.deepEqual(scene.index.hit((L.x[i] ?? 0) + (L.r[i] ?? 0) * 0.9, L.y[i] ?? 0, 0), { kind: 'node', index: i });
    }
  });

  it('agrees with a brute-force scan for edges, over random points', () => {
    let rand = 7;
    const next = (): number => ((rand = (rand * 48271) % 2147483647) / 2147483647);
    let edgeHits = 0;
    for (let k = 0; k < 400; k++) {
      const x = next() * L.width;
      const y = next() * L.height;
      const tol = 4;
      const hit = scene.index.hit(x, y, tol);
      const nodeNear = g.nodes.some((_, i) => Math.hypot((L.x[i] ?? 0) - x, (L.y[i] ?? 0) - y) - (L.r[i] ?? 0) <= tol);
      if (nodeNear) {
        assert.equal(hit?.kind, 'node');
        continue;
      }
      let best = Infinity;
      g.edges.forEach((e) => {
        best = Math.min(best, segmentDistance(x, y, L.x[e.source] ?? 0, L.y[e.source] ?? 0, L.x[e.target] ?? 0, L.y[e.target] ?? 0));
      });
      if (best <= tol) {
        edgeHits++;
        assert.equal(hit?.kind, 'edge', `edge at distance ${best} from (${x}, ${y})`);
        const e = hit?.kind === 'edge' ? g.edges[hit.index] : undefined;
        assert.ok(e);
        assert.ok(Math.abs(segmentDistance(x, y, L.x[e.source] ?? 0, L.y[e.source] ?? 0, L.x[e.target] ?? 0, L.y[e.target] ?? 0) - best) < 1e-9);
      } else assert.equal(hit, undefined);
    }
    assert.ok(edgeHits > 5, `the sample hit some edges (${edgeHits})`);
  });

  it('an index over a single node works', () => {
    const one = buildScene(aggregate([], [workload('solo', 'a', 'b')], { view: 'workloads' }));
    assert.deepEqual(one.index.hit(one.layout.x[0] ?? 0, one.layout.y[0] ?? 0, 0), { kind: 'node', index: 0 });
    assert.equal(new SpatialIndex(one.layout, []).hit(-500, -500, 1), undefined);
  });
});

describe('traffic map viewport', () => {
  it('zooming keeps the point under the pointer in place, within limits', () => {
    const v = { x: 10, y: 20, k: 1 };
    const before = toWorld(v, 300, 200);
    const z = zoomAt(v, 300, 200, 2);
    const after = toWorld(z, 300, 200);
    assert.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9);
    assert.equal(zoomAt(v, 0, 0, 1e9).k, MAX_ZOOM);
    assert.deepEqual(pan(v, 5, -5), { x: 15, y: 15, k: 1 });
  });
  it('fit centres the whole map in the screen', () => {
    const f = fit(1000, 500, 800, 600, 20);
    assert.ok(Math.abs(f.k - 0.76) < 1e-9);
    assert.equal(fit(10, 10, 800, 600).k, 2.5, 'a tiny map is not blown up beyond 2.5×');
    assert.ok(Math.abs(f.x + 500 * f.k - 400) < 1e-9);
    assert.ok(Math.abs(f.y + 250 * f.k - 300) < 1e-9);
  });
});
