/** Issue 4, PCE side: activation, pushed policy over SSE, ack, heartbeat, events, unpair. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hrefOf, label, obj, startTestPce, type TestPce } from './support/api-harness.ts';

let t: TestPce;

interface Identity {
  agent_id: string;
  secret: string;
  workload: { href: string };
  ven: { href: string };
}

function agentAuth(id: Identity): string {
  return 'Basic ' + Buffer.from(`${id.agent_id}:${id.secret}`).toString('base64');
}

async function agent(path: string, id: Identity | null, body?: unknown): Promise<Response> {
  return fetch(`${t.url}/api/v2/agent/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json', ...(id ? { Authorization: agentAuth(id) } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A minimal SSE reader: collects events as they arrive. */
function openStream(id: Identity, query = ''): { events: { event: string; data: Record<string, unknown> }[]; next: (event: string, after?: number) => Promise<Record<string, unknown>>; close: () => void } {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const ctrl = new AbortController();
  const waiters: (() => void)[] = [];
  void (async () => {
    const res = await fetch(`${t.url}/api/v2/agent/policy/stream${query}`, { headers: { Authorization: agentAuth(id) }, signal: ctrl.signal });
    if (!res.body) return;
    let buf = '';
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buf += dec.decode(chunk as Uint8Array, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
          events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
          waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      // aborted
    }
  })();
  const next = async (event: string, afterIndex = 0): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = events.slice(afterIndex).find((e) => e.event === event);
      if (found) return found.data;
      if (Date.now() > deadline) throw new Error(`no ${event} event; got ${events.map((e) => e.event).join(',')}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { events, next, close: () => ctrl.abort() };
}

let web = '';
let profile = '';

async function activationCode(): Promise<string> {
  return String(obj(await t.api('post', `/api/v2${profile}/pairing_key`, {}))['activation_code']);
}

async function activate(hostname: string, address: string): Promise<Identity> {
  const r = await agent('activate', null, { activation_code: await activationCode(), hostname, os_type: 'linux', os_version: 'Debian 12', interfaces: [{ name: 'eth0', address, cidr_block: 24 }] });
  assert.equal(r.status, 201);
  return (await r.json()) as Identity;
}

before(async () => {
  t = await startTestPce();
  web = await label(t, 'role', 'web');
  profile = hrefOf(await t.api('post', '/orgs/1/pairing_profiles', { name: 'web', labels: [{ href: web }], enforcement_mode: 'full', allowed_uses_per_key: 1 }));
});
after(async () => t.close());

describe('agent channel', () => {
  it('activation creates a managed workload with the profile\'s labels and mode; a code is single-use here', async () => {
    const code = await activationCode();
    const r = await agent('activate', null, { activation_code: code, hostname: 'h1', interfaces: [{ name: 'eth0', address: '192.0.2.1' }] });
    assert.equal(r.status, 201);
    const id = (await r.json()) as Identity;
    assert.match(id.secret, /^[0-9a-f]{64}$/);
    const w = obj(await t.api('get', `/api/v2${id.workload.href}`));
    assert.equal(w['managed'], true);
    assert.equal(w['enforcement_mode'], 'full');
    assert.deepEqual((w['labels'] as { href: string }[]).map((l) => l.href), [web]);
    const again = await agent('activate', null, { activation_code: code, hostname: 'h1b' });
    assert.equal(again.status, 406);
    assert.equal(((await again.json()) as { token: string }[])[0]?.token, 'invalid_activation_code');
  });

  it('bad credentials are 401; malformed agent bodies are 406', async () => {
    assert.equal((await agent('heartbeat', null, {})).status, 401);
    const id = await activate('h2', '192.0.2.2');
    assert.equal((await agent('heartbeat', { ...id, secret: '0'.repeat(64) }, {})).status, 401);
    assert.equal((await agent('ack', id, { delivery: 'x', status: 'applied' })).status, 406);
    assert.equal((await agent('events', id, { events: [{ type: 'Bad Type', message: 'x' }] })).status, 406);
  });

  it('the stream delivers the plan at once and pushes a provision; ack and heartbeat show on the VEN', async () => {
    const db = await label(t, 'role', 'db');
    const id = await activate('web3', '192.0.2.3');
    const s = openStream(id);
    try {
      const first = await s.next('policy');
      const plan = first['plan'] as { enforcement_mode: string; inbound: unknown[] };
      assert.equal(plan.enforcement_mode, 'full');
      assert.deepEqual((first['pce'] as { addresses: string[] }).addresses, ['127.0.0.1']);
      const n = s.events.length;
      await t.api('post', '/orgs/1/workloads', { hostname: 'db-u', interfaces: [{ name: 'eth0', address: '192.0.2.30' }], labels: [{ href: db }] });
      await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'web-db', rules: [{ providers: [{ label: { href: db } }], consumers: [{ label: { href: web } }], ingress_services: [{ proto: 6, port: 5432 }] }] });
      const prov = obj(await t.api('post', '/orgs/1/sec_policy', { update_description: 'push' }));
      const pushed = await s.next('policy', n);
      assert.ok(Number(pushed['delivery']) > Number(first['delivery']));
      assert.equal(pushed['policy_version'], prov['version']);
      assert.equal((pushed['plan'] as { outbound: unknown[] }).outbound.length, 1);

      let ven = obj(await t.api('get', `/api/v2${id.ven.href}`));
      assert.equal((ven['policy_sync'] as { state: string }).state, 'applying');
      assert.equal(ven['online'], true);
      assert.equal((await agent('ack', id, { delivery: pushed['delivery'], hash: (pushed['plan'] as { hash: string }).hash, status: 'applied' })).status, 204);
      assert.equal((await agent('heartbeat', id, { sync_state: 'synced', applied_delivery: pushed['delivery'] })).status, 204);
      ven = obj(await t.api('get', `/api/v2${id.ven.href}`));
      assert.equal((ven['policy_sync'] as { state: string }).state, 'synced');
      assert.ok(ven['last_heartbeat_on']);

      // A mode change on the PCE reaches the host without a restart.
      const m = s.events.length;
      assert.equal((await t.api('put', `/api/v2${id.workload.href}`, { enforcement_mode: 'selective' })).status, 204);
      const mode = await s.next('policy', m);
      assert.equal((mode['plan'] as { enforcement_mode: string }).enforcement_mode, 'selective');
    } finally {
      s.close();
    }
  });

  it('a stream opened with ?deltas=1 gets a full plan first, then deltas of the previous delivery: changed fields only, unchanged sets by name', async () => {
    const client = await label(t, 'role', 'delta-client');
    await t.api('post', '/orgs/1/workloads', { hostname: 'delta-c', interfaces: [{ name: 'eth0', address: '192.0.2.40' }], labels: [{ href: client }] });
    const rule = (port: number) => ({ providers: [{ label: { href: web } }], consumers: [{ label: { href: client } }], ingress_services: [{ proto: 6, port }] });
    const rs = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'delta', rules: [rule(7001)] }));
    await t.api('post', '/orgs/1/sec_policy', { update_description: 'delta 1' });
    const id = await activate('delta-w', '192.0.2.41');
    const s = openStream(id, '?deltas=1');
    const plain = openStream(id);
    try {
      const first = await s.next('policy');
      assert.equal(first['base'], undefined);
      const firstPlan = first['plan'] as { workload: unknown; hash: string; address_sets: { name: string; ipv4: string[] }[]; inbound: unknown[] };
      assert.ok(firstPlan.workload);
      const clientSet = firstPlan.address_sets.find((a) => a.ipv4.includes('192.0.2.40'));
      assert.ok(clientSet);
      await plain.next('policy');
      const [n, m] = [s.events.length, plain.events.length];
      await t.api('post', `${rs}/sec_rules`, rule(7002));
      await t.api('post', '/orgs/1/sec_policy', { update_description: 'delta 2' });
      const pushed = await s.next('policy', n);
      assert.equal(pushed['base'], first['delivery']);
      assert.ok(Number(pushed['delivery']) > Number(first['delivery']));
      const plan = pushed['plan'] as Record<string, unknown>;
      // The rule list changed; the workload, mode and the consumers' set did not.
      assert.equal((plan['inbound'] as unknown[]).length, firstPlan.inbound.length + 1);
      assert.notEqual(plan['hash'], firstPlan.hash);
      for (const k of ['workload', 'enforcement_mode', 'visibility_level', 'outbound', 'secure_connect']) assert.equal(k in plan, false, k);
      assert.ok(!('address_sets' in plan) || (plan['address_sets'] as unknown[]).some((a) => JSON.stringify(a) === JSON.stringify({ name: clientSet.name, same: true })));
      assert.deepEqual(pushed['pce'], first['pce']);
      // The same push to a stream that did not ask for deltas is a full delivery.
      const full = await plain.next('policy', m);
      assert.equal(full['base'], undefined);
      assert.equal((full['plan'] as { hash: string }).hash, plan['hash']);
      assert.deepEqual((full['plan'] as { address_sets: unknown[] }).address_sets.find((a) => (a as { name: string }).name === clientSet.name), clientSet);
    } finally {
      s.close();
      plain.close();
    }
  });

  it('VEN state updates arriving together go in one transaction that reads all the org\'s VEN records at once: each applied, a refused check fails only its own, an unknown VEN is undefined', async () => {
    const many = hrefOf(await t.api('post', '/orgs/1/pairing_profiles', { name: 'burst', labels: [{ href: web }], enforcement_mode: 'full' }));
    const code = String(obj(await t.api('post', `/api/v2${many}/pairing_key`, {}))['activation_code']);
    const ids: Identity[] = [];
    for (let i = 0; i < 70; i++) {
      const r = await agent('activate', null, { activation_code: code, hostname: `burst-${i}`, interfaces: [{ name: 'eth0', address: `198.51.100.${i + 100}` }] });
      assert.equal(r.status, 201);
      ids.push((await r.json()) as Identity);
    }
    const writer = t.running.pce.venState;
    const venId = (id: Identity): string => id.ven.href.split('/').pop() ?? '';
    // Queued in one turn of the event loop: one batch of 72.
    const updates = ids.map((id, i) => writer.update(1, venId(id), (v) => ({ ...v, applied: 1000 + i })));
    const second = ids[1];
    assert.ok(second);
    const refused = writer.update(1, venId(second), (v) => ({ ...v, applied: 1 }), () => {
      throw new Error('wrong secret');
    });
    const unknown = writer.update(1, 'no-such-ven', (v) => v);
    const done = await Promise.all(updates);
    assert.deepEqual(done.map((v) => v?.applied), ids.map((_, i) => 1000 + i));
    await assert.rejects(refused, /wrong secret/);
    assert.equal(await unknown, undefined);
    for (const [i, id] of ids.entries()) {
      const ven = obj(await t.api('get', `/api/v2${id.ven.href}`));
      assert.equal((ven['policy_sync'] as { applied: number }).applied, 1000 + i, id.ven.href);
    }
  });

  it('a lazy update (a delivery going out) is shown at once, rides with the next update of its VEN in order, or is written within a second on its own', async () => {
    const id = await activate('lazy-1', '192.0.2.41');
    const venId = id.ven.href.split('/').pop() ?? '';
    const writer = t.running.pce.venState;
    const stored = async (): Promise<{ delivered: number; applied: number; sync_state: string } | undefined> =>
      t.running.pce.store.read(async (tx) => {
        const row = (await tx.listDocs(1, 'vens')).find((r) => r.id === venId);
        return row ? (JSON.parse(row.data) as { delivered: number; applied: number; sync_state: string }) : undefined;
      });
    // Rides along: the delivery (lazy) then its ack (not lazy) in one flush, in that order.
    const delivered = writer.lazyUpdate(1, venId, (v) => ({ ...v, delivered: 7, sync_state: v.applied >= 7 ? v.sync_state : 'applying' }));
    const shown = obj(await t.api('get', `/api/v2${id.ven.href}`));
    assert.deepEqual(shown['policy_sync'], { state: 'applying', message: null, delivered: 7, applied: 0 }, 'this process shows it before it is written');
    assert.equal((await stored())?.delivered, 0, 'not written yet');
    const acked = await writer.update(1, venId, (v) => ({ ...v, applied: 7, sync_state: 7 >= v.delivered ? 'synced' : 'applying' }));
    assert.equal((await delivered)?.delivered, 7);
    assert.deepEqual([acked?.delivered, acked?.applied, acked?.sync_state], [7, 7, 'synced']);
    assert.deepEqual(await stored().then((v) => [v?.delivered, v?.applied, v?.sync_state]), [7, 7, 'synced']);
    // On its own: not with another VEN's update, written by the timer.
    const other = (await activate('lazy-2', '192.0.2.42')).ven.href.split('/').pop() ?? '';
    const alone = writer.lazyUpdate(1, venId, (v) => ({ ...v, delivered: 8, sync_state: 'applying' }));
    await writer.update(1, other, (v) => ({ ...v, applied: 3 }));
    assert.equal((await stored())?.delivered, 7, "another VEN's flush leaves it waiting");
    assert.equal((obj(await t.api('get', `/api/v2${id.ven.href}`))['policy_sync'] as { delivered: number }).delivered, 8, 'still shown');
    assert.equal((await alone)?.delivered, 8);
    assert.deepEqual(await stored().then((v) => [v?.delivered, v?.sync_state]), [8, 'applying']);
  });

  it('agent events become org events; an apply error shows on the VEN', async () => {
    const id = await activate('h4', '192.0.2.4');
    assert.equal((await agent('events', id, { events: [{ type: 'tamper_restored', severity: 'warning', message: 'table restored' }] })).status, 204);
    const evs = await t.api('get', '/orgs/1/events?event_type=agent.tamper_restored');
    assert.equal((evs.body as unknown[]).length, 1);
    assert.equal((await agent('ack', id, { delivery: 1, status: 'error', message: 'nft: syntax error' })).status, 204);
    const ven = obj(await t.api('get', `/api/v2${id.ven.href}`));
    assert.deepEqual(ven['policy_sync'], { state: 'error', message: 'nft: syntax error', delivered: 0, applied: 0 });
  });

  it('unpair from the PCE tells the stream and turns the credentials off; deactivate from the host too', async () => {
    const id = await activate('h5', '192.0.2.5');
    const s = openStream(id);
    try {
      await s.next('policy');
      assert.equal((await t.api('put', '/orgs/1/vens/unpair', { vens: [{ href: id.ven.href }] })).status, 204);
      await s.next('unpaired');
      assert.equal((await agent('heartbeat', id, {})).status, 403);
      const w = obj(await t.api('get', `/api/v2${id.workload.href}`));
      assert.equal(w['managed'], false);
    } finally {
      s.close();
    }
    const id2 = await activate('h6', '192.0.2.6');
    assert.equal((await agent('deactivate', id2, {})).status, 204);
    assert.equal((await agent('heartbeat', id2, {})).status, 403);
    assert.equal((await t.api('put', '/orgs/1/vens/unpair', { vens: [{ href: '/orgs/1/vens/nope' }] })).status, 404);
  });

  it('SecureConnect: the PSK reaches only agents with PSK peers; rotation is make-before-break and completes once every VEN has the new key', async () => {
    const sc = await label(t, 'role', 'sc');
    const scProfile = hrefOf(await t.api('post', '/orgs/1/pairing_profiles', { name: 'sc', labels: [{ href: sc }], enforcement_mode: 'full' }));
    const code = String(obj(await t.api('post', `/api/v2${scProfile}/pairing_key`, {}))['activation_code']);
    const act = async (hostname: string, address: string): Promise<Identity> => {
      const r = await agent('activate', null, { activation_code: code, hostname, interfaces: [{ name: 'eth0', address }] });
      assert.equal(r.status, 201);
      return (await r.json()) as Identity;
    };
    const a = await act('sc-a', '198.51.100.11');
    const b = await act('sc-b', '198.51.100.12');
    const loner = await activate('plain', '198.51.100.13');
    await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'sc-all', rules: [{ providers: [{ label: { href: sc } }], consumers: [{ label: { href: sc } }], ingress_services: [{ proto: 6, port: 443 }], sec_connect: true }] });
    await t.api('post', '/orgs/1/sec_policy', { update_description: 'sc' });
    const sa = openStream(a);
    const sb = openStream(b);
    const sl = openStream(loner);
    try {
      const psk = (await sa.next('policy'))['psk'] as { current: string; previous: string | null; generation: number };
      assert.match(psk.current, /^[0-9a-f]{64}$/);
      assert.equal(psk.previous, null);
      assert.equal(((await sb.next('policy'))['psk'] as { current: string }).current, psk.current);
      assert.equal((await sl.next('policy'))['psk'], null, 'no SecureConnect peers: no PSK');
      for (const id of [a, b]) assert.equal((await agent('heartbeat', id, { psk_generation: psk.generation })).status, 204);

      const na = sa.events.length;
      const nb = sb.events.length;
      const started = obj(await t.api('post', '/orgs/1/secure_connect/psk_rotation', {}));
      assert.equal(started['state'], 'rotating');
      // Step 1: everyone accepts the new key but still authenticates with the old one.
      const step1 = (await sa.next('policy', na))['psk'] as { current: string; previous: string; generation: number };
      assert.equal(step1.current, psk.current);
      assert.notEqual(step1.previous, psk.current);
      const newKey = step1.previous;
      assert.equal(((await sb.next('policy', nb))['psk'] as { generation: number }).generation, step1.generation);
      const early = await t.api('post', '/orgs/1/secure_connect/psk_rotation/complete', {});
      assert.equal(early.status, 409, 'nobody authenticates with the new key yet');
      assert.match(early.text, /psk_rotation_incomplete/);

      // Once both have step 1, step 2 goes out by itself: authenticate with the new key, still accept the old.
      const na2 = sa.events.length;
      assert.equal((await agent('heartbeat', a, { psk_generation: step1.generation })).status, 204);
      assert.equal(sa.events.length, na2, 'b has not acknowledged step 1: no step 2 yet');
      assert.equal((await agent('ack', b, { delivery: 1, status: 'applied', psk_generation: step1.generation })).status, 204);
      const step2 = (await sa.next('policy', na2))['psk'] as { current: string; previous: string; generation: number };
      assert.deepEqual([step2.current, step2.previous], [newKey, psk.current]);
      assert.ok(step2.generation > step1.generation);
      assert.equal((obj(await t.api('get', '/orgs/1/secure_connect/psk')))['step'], 2);
      assert.equal((await t.api('post', '/orgs/1/secure_connect/psk_rotation/complete', {})).status, 409, 'step 2 not acknowledged yet');

      for (const id of [a, b]) assert.equal((await agent('heartbeat', id, { psk_generation: step2.generation })).status, 204);
      const status = obj(await t.api('get', '/orgs/1/secure_connect/psk'));
      assert.equal(status['vens_on_current'], status['vens_total']);
      const na3 = sa.events.length;
      assert.equal((await t.api('post', '/orgs/1/secure_connect/psk_rotation/complete', {})).status, 200);
      const after = (await sa.next('policy', na3))['psk'] as { current: string; previous: string | null };
      assert.deepEqual([after.current, after.previous], [newKey, null], 'old key dropped after completion');
    } finally {
      sa.close();
      sb.close();
      sl.close();
    }

    // SA state per peer as the VEN reports it, and the MTU warning once.
    const report = { peers: [{ workload: { href: b.workload.href }, state: 'up', ike_version: 'ikev2' }], mtu_warnings: [{ interface: 'eth0', mtu: 1500 }] };
    assert.equal((await agent('secure_connect', a, report)).status, 204);
    assert.equal((await agent('secure_connect', a, report)).status, 204);
    const st = obj(await t.api('get', `/api/v2${a.workload.href}/secure_connect`));
    const peers = st['peers'] as { workload: { href: string }; state: string; ike_version: string }[];
    assert.deepEqual(peers.map((p) => [p.workload.href, p.state, p.ike_version]), [[b.workload.href, 'up', 'ikev2']]);
    const mtu = await t.api('get', '/orgs/1/events?event_type=agent.secure_connect_mtu');
    assert.equal((mtu.body as unknown[]).length, 1, 'one warning event for a repeated report');
    assert.equal((await agent('secure_connect', a, { peers: [{ workload: { href: 1 }, state: 'up' }] })).status, 406);
  });
});
