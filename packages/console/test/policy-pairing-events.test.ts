import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationCommands, hostPort, shellQuote } from '../src/policy/activation-commands.ts';
import { eventActor, eventRow, isoFromLocalInput, olderPage } from '../src/policy/event-summary.ts';

test('activation over https pins the PCE: given fingerprint, or an openssl line that computes it', () => {
  const known = activationCommands({ pceUrl: 'https://pce.example:8443', activationCode: 'abc123', fingerprint: 'AB:CD:EF' });
  assert.equal(known.activate, 'sudo palisade ven activate --pce https://pce.example:8443 --activation-code abc123 --fingerprint AB:CD:EF');
  assert.equal(known.fingerprint, undefined);
  const unknown = activationCommands({ pceUrl: 'https://[::1]:8443', activationCode: 'abc123', fingerprint: ' ' });
  assert.match(unknown.activate, /--fingerprint "\$FP"$/);
  assert.match(unknown.fingerprint ?? '', /^FP=\$\(openssl s_client -connect ::1:8443 /);
  assert.match(unknown.install, /npm run build:ven/);
  const plain = activationCommands({ pceUrl: 'http://10.0.0.1:8080', activationCode: 'c0de', fingerprint: '' });
  assert.equal(plain.activate, 'sudo palisade ven activate --pce http://10.0.0.1:8080 --activation-code c0de');
  assert.equal(plain.fingerprint, undefined);
});

test('shell quoting and host:port', () => {
  assert.equal(shellQuote('abc@AB:CD'), 'abc@AB:CD');
  assert.equal(shellQuote("a b'c"), `'a b'\\''c'`);
  assert.equal(shellQuote('$(rm -rf /)'), `'$(rm -rf /)'`);
  assert.equal(hostPort('https://pce.example'), 'pce.example:443');
});

test('events: who, what, notes', () => {
  const row = eventRow({
    href: '/orgs/1/events/5',
    timestamp: '2026-01-01T00:00:00.000Z',
    event_type: 'sec_rule.create',
    status: 'success',
    severity: 'warning',
    created_by: { user: { href: '/users/1', username: 'alice' }, api_key: { key_id: 'k' } },
    resource_changes: [{ resource: { type: 'rule_set', href: '/orgs/1/sec_policy/draft/rule_sets/1', name: 'shop' }, change_type: 'update' }],
    notifications: [{ token: 'sec_connect_incapable_peers', message: '1 pair' }, 'raw'],
  });
  assert.equal(row.who, 'alice');
  assert.equal(row.what, 'update rule set "shop"');
  assert.deepEqual(row.notes, ['1 pair', '"raw"']);
  assert.equal(eventActor({ system: { name: 'bootstrap' } }), 'system (bootstrap)');
  assert.equal(eventActor(null), '—');
});

test('older pages start at the oldest shown timestamp and skip what was shown', () => {
  const shown = [{ href: 'a', timestamp: '2' }, { href: 'b', timestamp: '1' }];
  assert.deepEqual(olderPage(shown, [{ href: 'b', timestamp: '1' }, { href: 'c', timestamp: '1' }]), [{ href: 'c', timestamp: '1' }]);
  assert.equal(isoFromLocalInput(''), undefined);
  assert.equal(isoFromLocalInput('nonsense'), undefined);
  assert.match(isoFromLocalInput('2026-01-01T10:00') ?? '', /^2026-01-01T/);
});
