import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeTitle, formatValue, objectDiff, typeTitle } from '../src/policy/object-diff.ts';
import { activeHref, changeSubset, pendingItems, ruleSetState, pendingByHref } from '../src/policy/pending.ts';

const names = new Map([
  ['/orgs/1/labels/1', 'role=web'],
  ['/orgs/1/labels/2', 'role=db'],
  ['/orgs/1/sec_policy/draft/services/7', 'HTTPS'],
]);

const active = {
  href: '/orgs/1/sec_policy/active/rule_sets/9',
  name: 'shop',
  enabled: true,
  updated_at: '2026-01-01T00:00:00Z',
  scopes: [],
  rules: [
    { href: '/orgs/1/sec_policy/active/rule_sets/9/sec_rules/12', enabled: true, providers: [{ label: { href: '/orgs/1/labels/1' } }], consumers: [{ actors: 'ams' }], ingress_services: [{ href: '/orgs/1/sec_policy/active/services/7' }], sec_connect: false },
    { href: '/orgs/1/sec_policy/active/rule_sets/9/sec_rules/13', enabled: true, providers: [{ label: { href: '/orgs/1/labels/2' } }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 5432 }], sec_connect: false },
  ],
};

test('a modified rule set: only what changed, rules matched by id, version in hrefs ignored', () => {
  const draft = {
    ...active,
    href: '/orgs/1/sec_policy/draft/rule_sets/9',
    updated_at: '2026-02-01T00:00:00Z',
    description: 'now described',
    rules: [
      // rule 13 first now, unchanged; rule 12 gets SecureConnect and a new consumer; 14 is new
      { ...(active.rules[1] ?? {}), href: '/orgs/1/sec_policy/draft/rule_sets/9/sec_rules/13', ingress_services: [{ proto: 6, port: 5432 }] },
      { ...(active.rules[0] ?? {}), href: '/orgs/1/sec_policy/draft/rule_sets/9/sec_rules/12', ingress_services: [{ href: '/orgs/1/sec_policy/draft/services/7' }], sec_connect: true, consumers: [{ label: { href: '/orgs/1/labels/2' } }] },
      { href: '/orgs/1/sec_policy/draft/rule_sets/9/sec_rules/14', enabled: true, providers: [{ actors: 'ams' }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 1 }] },
    ],
  };
  assert.deepEqual(objectDiff(active, draft, names), [
    { field: 'rules › 12 › consumers', before: 'All workloads', after: 'role=db' },
    { field: 'rules › 12 › sec_connect', before: 'false', after: 'true' },
    { field: 'rules › 14 › enabled', after: 'true' },
    { field: 'rules › 14 › providers', after: 'All workloads' },
    { field: 'rules › 14 › consumers', after: 'All workloads' },
    { field: 'rules › 14 › ingress_services', after: 'ICMP (all types)' },
    { field: 'description', after: 'now described' },
  ]);
});

test('created and deleted objects list their fields on one side, rules one by one, empty fields left out; identical objects have no changes', () => {
  const created = objectDiff(undefined, { href: '/x', name: 'web', description: '', scopes: [[{ label: { href: '/orgs/1/labels/1' } }]], rules: [{ href: '/x/sec_rules/3', consumers: [{ actors: 'ams' }], sec_connect: true }], deny_rules: [] }, names);
  assert.deepEqual(created, [
    { field: 'name', after: 'web' },
    { field: 'scopes', after: 'role=web' },
    { field: 'rules › 3 › consumers', after: 'All workloads' },
    { field: 'rules › 3 › sec_connect', after: 'true' },
  ]);
  assert.deepEqual(objectDiff({ name: 'gone', enabled: false }, null, names), [
    { field: 'name', before: 'gone' },
    { field: 'enabled', before: 'false' },
  ]);
  assert.deepEqual(objectDiff(active, { ...active, updated_at: 'later' }, names), []);
});

test('values: actors, services, label refs, scopes with exclusions', () => {
  assert.equal(formatValue([{ label: { href: '/orgs/1/labels/1' } }, { actors: 'ams' }], names), 'role=web, All workloads');
  assert.equal(formatValue({ href: '/orgs/1/sec_policy/4/services/7' }, names), 'HTTPS');
  assert.equal(formatValue({ proto: 6, port: 22 }, names), 'TCP 22');
  assert.equal(formatValue({ label: { href: '/orgs/1/labels/2' }, exclusion: true }, names), 'not role=db');
  assert.equal(formatValue('/orgs/1/labels/1', names), 'role=web');
  assert.equal(formatValue(null, names), '—');
  assert.equal(formatValue('', names), '(empty)');
  assert.equal(changeTitle('update'), 'modified');
  assert.equal(typeTitle('rule_sets'), 'Rule set');
  assert.equal(typeTitle('ip_lists'), 'Ip list');
});

test('pending changes: flat list (rule sets first), change subset by type, rule set states', () => {
  const items = pendingItems({
    ip_lists: [{ href: '/orgs/1/sec_policy/draft/ip_lists/3', change_type: 'update', name: 'corp', updated_at: '2026-01-02T00:00:00Z' }],
    rule_sets: [
      { href: '/orgs/1/sec_policy/draft/rule_sets/1', change_type: 'create', name: 'a', updated_at: '2026-01-01T00:00:00Z' },
      { href: '/orgs/1/sec_policy/draft/rule_sets/2', change_type: 'delete', updated_at: '2026-01-03T00:00:00Z' },
    ],
  });
  assert.deepEqual(items.map((i) => [i.type, i.name, i.change]), [
    ['rule_sets', '2', 'delete'],
    ['rule_sets', 'a', 'create'],
    ['ip_lists', 'corp', 'update'],
  ]);
  assert.deepEqual(changeSubset(items.slice(1)), { rule_sets: [{ href: '/orgs/1/sec_policy/draft/rule_sets/1' }], ip_lists: [{ href: '/orgs/1/sec_policy/draft/ip_lists/3' }] });
  assert.equal(activeHref('/orgs/1/sec_policy/draft/rule_sets/1'), '/orgs/1/sec_policy/active/rule_sets/1');
  const p = pendingByHref(items);
  assert.equal(ruleSetState('/orgs/1/sec_policy/draft/rule_sets/1', p), 'new');
  assert.equal(ruleSetState('/orgs/1/sec_policy/draft/rule_sets/2', p), 'deleted');
  assert.equal(ruleSetState('/orgs/1/sec_policy/draft/rule_sets/5', p), 'active');
  assert.equal(ruleSetState('/orgs/1/sec_policy/draft/ip_lists/3', p), 'modified');
});
