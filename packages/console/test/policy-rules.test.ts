import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorKind, actorOfPick, describeActor, describeService, draftHref, parsePort } from '../src/policy/actors.ts';
import { describeScopes, ruleRows, type ApiRuleSet } from '../src/policy/rule-rows.ts';
import { mergeNotes, notesByRule, notesOf, objectNotes } from '../src/policy/rule-notes.ts';
import { asRuleSetNotes, mapLimit } from '../src/policy/rule-warnings.ts';

const names = new Map([
  ['/orgs/1/labels/1', 'role=web'],
  ['/orgs/1/labels/2', 'app=shop'],
  ['/orgs/1/labels/3', 'env=prod'],
  ['/orgs/1/sec_policy/draft/label_groups/4', 'web tier'],
  ['/orgs/1/sec_policy/draft/ip_lists/1', 'Any (0.0.0.0/0 and ::/0)'],
  ['/orgs/1/sec_policy/draft/services/7', 'HTTPS'],
  ['/orgs/1/workloads/abc', 'db-1'],
]);

const base = '/orgs/1/sec_policy/draft/rule_sets/9';
const rs: ApiRuleSet = {
  href: base,
  name: 'shop',
  enabled: true,
  scopes: [[{ label: { href: '/orgs/1/labels/2' } }, { label: { href: '/orgs/1/labels/3' } }], [{ label_group: { href: '/orgs/1/sec_policy/draft/label_groups/4' }, exclusion: true }]],
  rules: [
    {
      href: `${base}/sec_rules/12`,
      enabled: true,
      providers: [{ label: { href: '/orgs/1/labels/1' } }],
      consumers: [{ actors: 'ams' }, { workload: { href: '/orgs/1/workloads/abc' } }],
      ingress_services: [{ href: '/orgs/1/sec_policy/draft/services/7' }, { proto: 6, port: 8000, to_port: 8080 }],
      sec_connect: true,
      unscoped_consumers: false,
    },
  ],
  deny_rules: [{ href: `${base}/deny_rules/13`, enabled: false, providers: [{ ip_list: { href: '/orgs/1/sec_policy/draft/ip_lists/1' } }], consumers: [{ label_group: { href: '/orgs/1/sec_policy/draft/label_groups/4' } }], ingress_services: [{ proto: 17 }] }],
};

test('actors read as words; unknown hrefs stay visible; policy hrefs of any version find their draft name', () => {
  assert.deepEqual(describeActor({ actors: 'ams' }, names), { kind: 'ams', text: 'All workloads' });
  assert.deepEqual(describeActor({ label: { href: '/orgs/1/labels/1' } }, names), { kind: 'label', text: 'role=web' });
  assert.equal(describeActor({ ip_list: { href: '/orgs/1/sec_policy/active/ip_lists/1' } }, names).text, 'IP list: Any (0.0.0.0/0 and ::/0)');
  assert.equal(describeActor({ virtual_service: { href: '/orgs/1/sec_policy/3/virtual_services/5' } }, names).text, 'Virtual service: /orgs/1/sec_policy/3/virtual_services/5');
  assert.equal(draftHref('/orgs/1/sec_policy/12/ip_lists/1'), '/orgs/1/sec_policy/draft/ip_lists/1');
  assert.equal(actorKind({ workload: { href: '/orgs/1/workloads/abc' } }), 'workload');
  assert.equal(actorKind({}), undefined);
  assert.deepEqual(actorOfPick('ams'), { actors: 'ams' });
  assert.deepEqual(actorOfPick('label_group', '/x'), { label_group: { href: '/x' } });
});

test('services: named by the catalog, inline ports as the services page writes them', () => {
  assert.equal(describeService({ href: '/orgs/1/sec_policy/draft/services/7' }, names), 'HTTPS');
  assert.equal(describeService({ href: '/orgs/1/sec_policy/draft/services/8' }, names), '/orgs/1/sec_policy/draft/services/8');
  assert.equal(describeService({ proto: 6, port: 443 }, names), 'TCP 443');
  assert.equal(describeService({ proto: 1, icmp_type: 8, icmp_code: 0 }, names), 'ICMP type 8 code 0');
});

test('rule rows: allow then deny, SecureConnect and extra-scope only on allow rules, notes at their rule', () => {
  const notes = new Map([[`${base}/sec_rules/12`, notesOf([{ token: 'sec_connect_incapable_peers', message: '1 workload pair(s)…' }], 'warning')]]);
  const rows = ruleRows(rs, names, notes);
  assert.equal(rows.length, 2);
  const [allow, deny] = rows;
  assert.ok(allow && deny);
  assert.equal(allow.id, '12');
  assert.equal(allow.type, 'allow');
  assert.equal(allow.secConnect, true);
  assert.deepEqual(allow.consumers.map((c) => c.text), ['All workloads', 'Workload: db-1']);
  assert.deepEqual(allow.providers.map((c) => c.text), ['role=web']);
  assert.deepEqual(allow.services, ['HTTPS', 'TCP 8000–8080']);
  assert.equal(allow.notes[0]?.severity, 'warning');
  assert.equal(deny.type, 'deny');
  assert.equal(deny.secConnect, false);
  assert.equal(deny.enabled, false);
  assert.equal(deny.extraScope, false);
  assert.deepEqual(deny.services, ['UDP (all ports)']);
  assert.deepEqual(deny.notes, []);
});

test('scopes: OR of ANDs, label groups and exclusions said so', () => {
  assert.deepEqual(describeScopes(rs.scopes, names), [['app=shop', 'env=prod'], ['not group: web tier']]);
  assert.deepEqual(describeScopes([], names), []);
});

test('rule write errors keep the field they name (406 of a SecureConnect rule naming an IP list)', () => {
  const n = notesOf([{ token: 'sec_connect_ip_list_not_allowed', message: 'providers[0]: SecureConnect needs a VEN on both sides; the IP list "Any" is not a workload.' }], 'error');
  assert.deepEqual(n, [{ severity: 'error', token: 'sec_connect_ip_list_not_allowed', message: 'SecureConnect needs a VEN on both sides; the IP list "Any" is not a workload.', field: 'providers[0]' }]);
  assert.equal(notesOf([{ token: 'x', message: 'plain' }], 'warning')[0]?.field, undefined);
});

test('provision errors go to the rule whose href starts the message; others stay general', () => {
  const hrefs = [`${base}/sec_rules/12`, `${base}/sec_rules/123`];
  const { byRule, general } = notesByRule(
    [
      { token: 'sec_connect_ip_list_not_allowed', message: `${base}/sec_rules/123 consumers[1]: SecureConnect needs a VEN` },
      { token: 'sec_connect_virtual_service_not_allowed', message: `${base}/sec_rules/12 providers[0]: host to host` },
      { token: 'provision_dependency_missing', message: `${base} references /orgs/1/labels/99, but it does not exist` },
    ],
    'error',
    hrefs,
  );
  assert.deepEqual(byRule.get(`${base}/sec_rules/123`), [{ severity: 'error', token: 'sec_connect_ip_list_not_allowed', message: 'SecureConnect needs a VEN', field: 'consumers[1]' }]);
  assert.equal(byRule.get(`${base}/sec_rules/12`)?.[0]?.field, 'providers[0]');
  assert.equal(general.length, 1);
  const merged = mergeNotes(byRule, new Map([[`${base}/sec_rules/12`, notesOf([{ token: 'w', message: 'm' }], 'warning')]]));
  assert.equal(merged.get(`${base}/sec_rules/12`)?.length, 2);
});

test('typed ports: ranges, protocols by name or number, nonsense refused', () => {
  assert.deepEqual(parsePort('443/tcp'), { proto: 6, port: 443 });
  assert.deepEqual(parsePort(' 8000 - 8080 / UDP '), { proto: 17, port: 8000, to_port: 8080 });
  assert.deepEqual(parsePort('icmp'), { proto: 1 });
  assert.deepEqual(parsePort('47'), { proto: 47 });
  assert.deepEqual(parsePort('53-53/udp'), { proto: 17, port: 53 });
  assert.deepEqual(parsePort('TCP 443'), { proto: 6, port: 443 });
  assert.deepEqual(parsePort('udp 5000–5100'), { proto: 17, port: 5000, to_port: 5100 });
  for (const bad of ['', '443', '443/icmp', '70000/tcp', '90-80/tcp', 'foo', '1/300', 'icmp 8', 'foo 80']) assert.equal(parsePort(bad), undefined, bad);
});

test('provision refusals land on the pending object, naming the rule and field', () => {
  const rsHref = '/orgs/1/sec_policy/draft/rule_sets/3';
  const items = [
    { token: 'sec_connect_ip_list_not_allowed', message: `${rsHref}/sec_rules/5 providers[0]: SecureConnect needs a VEN on both sides` },
    { token: 'provision_dependency_missing', message: `${rsHref} references /orgs/1/sec_policy/draft/ip_lists/9, but it is only in the draft` },
    { token: 'other', message: '/orgs/1/sec_policy/draft/rule_sets/30 references x' },
  ];
  assert.deepEqual(objectNotes(items, rsHref, 'error'), [
    { severity: 'error', token: 'sec_connect_ip_list_not_allowed', message: 'SecureConnect needs a VEN on both sides', field: 'rule 5 › providers[0]' },
    { severity: 'error', token: 'provision_dependency_missing', message: 'references /orgs/1/sec_policy/draft/ip_lists/9, but it is only in the draft' },
  ]);
});

test('rule warnings: a few requests at a time, in order; rule notes become rule set notes naming the rule', async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, n));
    running--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(most, 2);
  assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  const notes = asRuleSetNotes(new Map([[`${base}/sec_rules/12`, [{ severity: 'warning' as const, token: 't', message: 'm' }, { severity: 'error' as const, token: 'e', message: 'x', field: 'providers[0]' }]]]));
  assert.deepEqual(notes.map((n) => n.field), ['rule 12', 'rule 12 › providers[0]']);
});
