import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, defaultView, AUTO_WORKLOAD_VIEW_LIMIT } from '../src/traffic-map/aggregate.ts';
import { parseFlow, parseFlows } from '../src/traffic-map/traffic-model.ts';
import { edgeExplorerHref, nodeExplorerHref, nodeSide } from '../src/traffic-map/map-links.ts';
import { filtersFromQuery } from '../src/explorer/explorer-filters.ts';
import { flow, workload } from './traffic-map-fixtures.ts';

const web1 = workload('web1', 'shop', 'prod');
const web2 = workload('web2', 'shop', 'prod');
const db1 = workload('db1', 'shop', 'prod');
const dev1 = workload('dev1', 'shop', 'dev');
const lone = workload('lone', undefined, undefined);
const all = [web1, web2, db1, dev1, lone];

describe('traffic map aggregation', () => {
  it('workload view: one node per workload in app|env boxes, idle workloads included, outside IPs in their own box', () => {
    const g = aggregate([flow(web1, db1, 'allowed'), flow('203.0.113.9', web1, 'potentially_blocked')], all, { view: 'workloads' });
    assert.deepEqual(
      g.boxes.map((b) => [b.label, b.nodes.map((i) => g.nodes[i]?.label)]),
      [
        ['no app · no env', ['lone']],
        ['shop · dev', ['dev1']],
        ['shop · prod', ['db1', 'web1', 'web2']],
        ['Outside (IP addresses)', ['203.0.113.9']],
      ],
    );
    assert.equal(g.edges.length, 2);
    const byLabel = (l: string): number => g.nodes.findIndex((n) => n.label === l);
    const e = g.edges.find((x) => x.source === byLabel('web1') && x.target === byLabel('db1'));
    assert.equal(e?.decision, 'allowed');
    assert.equal(g.nodes[byLabel('203.0.113.9')]?.kind, 'ip');
  });

  it('an edge shows the most severe decision of its flows and counts each decision', () => {
    const g = aggregate([flow(web1, db1, 'allowed', 443, 5), flow(web1, db1, 'blocked', 22, 2), flow(web1, db1, 'allowed', 8443, 1)], all, { view: 'workloads' });
    assert.equal(g.edges.length, 1);
    const e = g.edges[0];
    assert.equal(e?.decision, 'blocked');
    assert.deepEqual(e?.byDecision, { allowed: 2, potentially_blocked: 0, blocked: 1, unknown: 0 });
    assert.equal(e?.connections, 8);
    assert.deepEqual(e?.services, ['443 TCP', '22 TCP', '8443 TCP']);
  });

  it('group view: app|env nodes with workload counts in app boxes; traffic inside a group is a loop; one node for all outside IPs', () => {
    const g = aggregate([flow(web1, db1, 'allowed'), flow(web2, dev1, 'potentially_blocked'), flow('198.51.100.1', web1, 'unknown'), flow('198.51.100.2', dev1, 'unknown')], all, { view: 'groups' });
    const node = (l: string) => g.nodes.find((n) => n.label === l);
    assert.equal(node('shop · prod')?.workloads, 3);
    assert.equal(node('shop · dev')?.workloads, 1);
    assert.equal(node('no app · no env')?.workloads, 1);
    assert.deepEqual(node('IP addresses')?.ips, ['198.51.100.1', '198.51.100.2']);
    assert.deepEqual(g.boxes.map((b) => b.label), ['no app', 'app shop', 'Outside']);
    const prod = g.nodes.findIndex((n) => n.label === 'shop · prod');
    assert.ok(g.edges.some((e) => e.source === prod && e.target === prod), 'web1 → db1 stays inside shop · prod');
    assert.equal(g.edges.length, 4);
  });

  it('the decision filter drops flows before aggregating; the result does not depend on flow order', () => {
    const flows = [flow(web1, db1, 'allowed'), flow(web2, db1, 'blocked'), flow(dev1, web1, 'potentially_blocked'), flow('203.0.113.1', web2, 'unknown')];
    const blockedOnly = aggregate(flows, all, { view: 'workloads', decisions: ['blocked'] });
    assert.equal(blockedOnly.flows, 1);
    assert.deepEqual(blockedOnly.edges.map((e) => e.decision), ['blocked']);
    assert.deepEqual(aggregate([...flows].reverse(), [...all].reverse(), { view: 'workloads' }), aggregate(flows, all, { view: 'workloads' }));
    assert.deepEqual(aggregate([...flows].reverse(), [...all].reverse(), { view: 'groups' }), aggregate(flows, all, { view: 'groups' }));
  });

  it('groups by the labels a workload has now, falling back to those the flow recorded', () => {
    const moved = { ...web1, labels: [dev1.labels[0], dev1.labels[1]].flatMap((l) => (l ? [l] : [])) };
    const g = aggregate([flow(web1, db1, 'allowed')], [moved, db1], { view: 'workloads' });
    const w = g.nodes.find((n) => n.label === 'web1');
    assert.equal(w?.box, 'shop|dev');
  });

  it('opens large orgs on the group view', () => {
    assert.equal(defaultView(AUTO_WORKLOAD_VIEW_LIMIT), 'workloads');
    assert.equal(defaultView(AUTO_WORKLOAD_VIEW_LIMIT + 1), 'groups');
  });
});

describe('traffic model parsing', () => {
  it('is tolerant: added fields are ignored, unknown decisions become unknown, malformed flows are skipped', () => {
    const ok = { src: { ip: '10.0.0.1', extra: 1 }, dst: { ip: '10.0.0.2' }, service: { proto: 17, port: 53, name: 'dns' }, num_connections: 4, policy_decision: 'something_new', new_field: [1], bytes: { in: 5, out: null } };
    const flows = parseFlows([ok, { src: { ip: 1 } }, null, 'x']);
    assert.equal(flows.length, 1);
    assert.equal(flows[0]?.decision, 'unknown');
    assert.equal(flows[0]?.bytesIn, 5);
    assert.equal(flows[0]?.bytesOut, undefined);
    assert.equal(parseFlow({ src: { ip: 'a' }, dst: { ip: 'b' }, service: {} }), undefined);
    assert.deepEqual(parseFlows({ not: 'an array' }), []);
  });
});

describe('map → Explorer links', () => {
  const flows = [flow(web1, db1, 'blocked'), flow('203.0.113.1', web2, 'unknown')];
  it('an edge between workloads selects both workloads, with the map range and decisions', () => {
    const g = aggregate(flows, all, { view: 'workloads' });
    const e = g.edges.find((x) => g.nodes[x.source]?.label === 'web1');
    assert.ok(e);
    const href = edgeExplorerHref(g, e, { range: '7d', decisions: ['blocked'] });
    assert.match(href, /^#\/explorer\?/);
    const f = filtersFromQuery(new URLSearchParams(href.slice(href.indexOf('?') + 1)));
    assert.deepEqual(f.src.workloads, [web1.href]);
    assert.deepEqual(f.dst.workloads, [db1.href]);
    assert.equal(f.range, '7d');
    assert.deepEqual(f.decisions, ['blocked']);
    assert.match(href, /run=1/);
  });
  it('a group node selects its app and env labels; an outside node its addresses', () => {
    const g = aggregate(flows, all, { view: 'groups' });
    const prod = g.nodes.find((n) => n.label === 'shop · prod');
    assert.ok(prod);
    assert.deepEqual(nodeSide(prod).labels, prod.labels.map((l) => l.href));
    assert.equal(prod.labels.length, 2);
    const outside = g.nodes.find((n) => n.kind === 'outside');
    assert.ok(outside);
    const f = filtersFromQuery(new URLSearchParams(nodeExplorerHref(outside, 'from', { range: '24h', decisions: [] }).split('?')[1]));
    assert.deepEqual(f.src.ips, ['203.0.113.1']);
    assert.deepEqual(f.dst.ips, []);
    const both = filtersFromQuery(new URLSearchParams(nodeExplorerHref(prod, 'both', { range: '24h', decisions: [] }).split('?')[1]));
    assert.equal(both.either, true);
    assert.deepEqual(both.src, both.dst);
  });
});
