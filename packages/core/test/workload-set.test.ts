/** The PCE-side resolver (SecureConnect warnings, workloads_affected) agrees with the engine's label semantics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexByLabel, resolveActors, resolveRule, type PolicyWorkload, type ResolveContext } from '../src/policy/workload-set.ts';

const keys: Record<string, string> = { '1': 'role', '2': 'role', '3': 'env', '4': 'env' };
const w = (id: string, labels: string[]): PolicyWorkload => ({ id, name: id, managed: true, os_type: 'linux', os_version: '', enforcement_mode: 'full', labels });
const workloads = [w('web-prod', ['1', '3']), w('web-dev', ['1', '4']), w('db-prod', ['2', '3']), w('db-dev', ['2', '4'])];
const lab = (id: string) => ({ label: { href: `/orgs/1/labels/${id}` } });

for (const [name, ctx] of [
  ['with the label index', { workloads, labelGroup: () => undefined, labelKey: (id: string) => keys[id], workloadsWithLabel: indexByLabel(workloads) }],
  ['scanning', { workloads, labelGroup: () => undefined, labelKey: (id: string) => keys[id] }],
] as [string, ResolveContext][]) {
  test(`labels of different keys are ANDed, of one key ORed (${name})`, () => {
    const ids = (actors: object[]) => resolveActors(actors, ctx).map((x) => x.id).sort();
    assert.deepEqual(ids([lab('1'), lab('3')]), ['web-prod']);
    assert.deepEqual(ids([lab('1'), lab('2'), lab('3')]), ['db-prod', 'web-prod']);
    assert.deepEqual(ids([lab('1')]), ['web-dev', 'web-prod']);
    assert.deepEqual(ids([{ actors: 'ams' }, lab('1'), lab('3')]).length, 4);
    assert.deepEqual(ids([{ workload: { href: '/orgs/1/workloads/db-dev' } }, lab('1'), lab('3')]), ['db-dev', 'web-prod']);
  });

  test(`a rule's consumers are confined to the scope unless extra-scope (${name})`, () => {
    const scopes = [[lab('3')]];
    const r = resolveRule({ providers: [lab('2')], consumers: [lab('1')] }, scopes, ctx);
    assert.deepEqual(r.providers.map((x) => x.id), ['db-prod']);
    assert.deepEqual(r.consumers.map((x) => x.id), ['web-prod']);
    const extra = resolveRule({ providers: [lab('2')], consumers: [lab('1')], unscoped_consumers: true }, scopes, ctx);
    assert.deepEqual(extra.consumers.map((x) => x.id).sort(), ['web-dev', 'web-prod']);
    // Answers are cached per context and content: the same content again, another scope or other actors.
    assert.deepEqual(resolveRule({ providers: [lab('2')], consumers: [lab('1')] }, [[lab('3')]], ctx), r);
    assert.deepEqual(resolveRule({ providers: [lab('2')], consumers: [lab('1')] }, [[lab('4')]], ctx).providers.map((x) => x.id), ['db-dev']);
    assert.deepEqual(resolveRule({ providers: [lab('1')], consumers: [lab('1')] }, scopes, ctx).providers.map((x) => x.id), ['web-prod']);
  });
}
