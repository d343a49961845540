/** The data directory: modes, atomic writes, validation of what is read back; activation codes. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPalisadeError } from '@palisade/core/errors.ts';
import { splitActivationCode } from '../src/channel/activation.ts';
import { parseDelivery } from '../src/channel/delivery.ts';
import { VenStateStore, type VenIdentity } from '../src/state/ven-state-store.ts';
import { testPlan } from './support/plans.ts';

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

const identity: VenIdentity = {
  org_id: 1,
  agent_id: 'agent-1',
  secret: 'a'.repeat(64),
  pce_url: 'https://192.0.2.254:8443',
  fingerprint: FP,
  ven_href: '/orgs/1/vens/v1',
  workload_href: '/orgs/1/workloads/w1',
  hostname: 'h1',
  activated_at: '2026-01-01T00:00:00.000Z',
};

describe('VEN state store', () => {
  let dir = '';
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'ven-state-')), 'data');
  });
  after(async () => rm(join(dir, '..'), { recursive: true, force: true }));

  it('keeps identity.json 0600 in a 0700 directory and reads it back', async () => {
    const s = new VenStateStore(dir);
    assert.equal(await s.readIdentity(), undefined);
    await assert.rejects(s.requireIdentity(), (e: unknown) => isPalisadeError(e) && e.token === 'ven_not_activated');
    await s.writeIdentity(identity);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(s.identityPath)).mode & 0o777, 0o600);
    assert.deepEqual(await s.readIdentity(), identity);
  });

  it('persists the last plan atomically (no temp files left) and validates it on read', async () => {
    const s = new VenStateStore(dir);
    const plan = testPlan({ mode: 'selective', denyInbound: [{ peers: 'ps_0000000000000001', port: 23 }] });
    for (let i = 1; i <= 5; i++) await s.writePlan({ delivery: i, policy_version: 3, plan, pce: { addresses: ['192.0.2.254'], port: 8443 }, applied_at: 'now' });
    const back = await s.readPlan();
    assert.equal(back?.delivery, 5);
    assert.deepEqual(back?.plan, plan);
    assert.equal((await stat(s.planPath)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
    await writeFile(s.planPath, JSON.stringify({ delivery: 1, policy_version: 1, plan: { ...plan, enforcement_mode: 'paranoid' }, pce: { addresses: [], port: 1 }, applied_at: 'x' }));
    await assert.rejects(s.readPlan(), (e: unknown) => isPalisadeError(e) && e.token === 'invalid_plan' && /enforcement_mode/.test(e.message));
    await writeFile(s.planPath, '{not json');
    await assert.rejects(s.readPlan(), (e: unknown) => isPalisadeError(e) && e.token === 'ven_state_corrupt');
  });

  it('remembers suspension and removes every file on unpair', async () => {
    const s = new VenStateStore(dir);
    assert.deepEqual(await s.readLocal(), { suspended: false });
    await s.writeLocal({ suspended: true });
    assert.deepEqual(await s.readLocal(), { suspended: true });
    await s.removeAll();
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('activation codes and deliveries', () => {
  it('splits CODE@FINGERPRINT, normalizes the fingerprint, and refuses a conflict', () => {
    assert.deepEqual(splitActivationCode('abc123', undefined), { code: 'abc123', fingerprint: null });
    assert.deepEqual(splitActivationCode(`abc123@${FP.replace(/:/g, '').toLowerCase()}`, undefined), { code: 'abc123', fingerprint: FP });
    assert.deepEqual(splitActivationCode('abc123', `sha256:${FP}`), { code: 'abc123', fingerprint: FP });
    assert.throws(() => splitActivationCode(`abc@${FP}`, FP.replace('AB', 'AC')), (e: unknown) => isPalisadeError(e) && e.token === 'fingerprint_conflict');
    assert.throws(() => splitActivationCode('abc@1234', undefined), (e: unknown) => isPalisadeError(e) && e.token === 'invalid_fingerprint');
    assert.throws(() => splitActivationCode('@', undefined), (e: unknown) => isPalisadeError(e) && e.token === 'invalid_activation_code');
  });

  it('checks a policy event before anything applies it', () => {
    const plan = testPlan();
    const d = parseDelivery(JSON.stringify({ delivery: 7, policy_version: 2, plan, pce: { addresses: ['192.0.2.254'], port: 8443 }, psk: null }));
    assert.equal(d.delivery, 7);
    assert.deepEqual(d.plan, plan);
    for (const bad of ['nope', JSON.stringify({ delivery: -1, plan }), JSON.stringify({ delivery: 1, plan: { ...plan, inbound: 'x' } }), JSON.stringify({ delivery: 1, plan, pce: { addresses: [1], port: 2 } })]) {
      assert.throws(() => parseDelivery(bad), (e: unknown) => isPalisadeError(e) && e.kind === 'invalid', bad.slice(0, 40));
    }
  });
});
