/**
 * A peer removed from the plan loses its SAs at once (root, strongSwan): three network
 * namespaces, B and C each on a veth pair to a bridge in A (198.51.100.0/24, never the root
 * namespace), one VEN SecureConnect manager each (PSK). With IKE SAs up A↔B and A↔C, A's plan
 * drops C: swanctl unloads C's connection, and the manager terminates A's IKE SA with C, whose
 * delete ends C's SA with A too; A↔B keeps the same unique id on both sides. This kernel has no
 * ESP (LAB.md): IKE SAs only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureConnectPeer, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { SecureConnect, type DeliveredPsk } from '../src/secure-connect/secure-connect.ts';
import type { IkeSaInfo } from '../src/secure-connect/sa-list.ts';
import { testPlan } from './support/plans.ts';

const tools = ['/usr/sbin/charon-systemd', '/usr/sbin/swanctl'].every((f) => existsSync(f));
const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces, charon)' : !tools ? 'needs strongSwan' : false;

const NS = { a: `pal-scr-a-${process.pid}`, b: `pal-scr-b-${process.pid}`, c: `pal-scr-c-${process.pid}` } as const;
const ADDR = { a: '198.51.100.1', b: '198.51.100.2', c: '198.51.100.3' } as const;
const PSK: DeliveredPsk = { current: '5e'.repeat(32), previous: null, generation: 1 };

interface LogLine {
  readonly obj: object;
  readonly msg: string;
}

/** Each host's plan as the PCE computes it for a SecureConnect rule among the three (PSK): A peers with B and C, B and C with A. */
function plans(): { a: WorkloadPlan; b: WorkloadPlan; c: WorkloadPlan } {
  const peer = (k: 'a' | 'b' | 'c'): SecureConnectPeer => ({ workload: `/orgs/1/workloads/wl-${k}`, name: k, addresses: [ADDR[k]], ike_version: 'ikev2', auth: { method: 'psk' }, capable: true });
  const plan = (k: 'a' | 'b' | 'c', peers: SecureConnectPeer[]): WorkloadPlan => {
    const base = testPlan();
    return { ...base, workload: { ...base.workload, id: `wl-${k}`, href: `/orgs/1/workloads/wl-${k}`, name: k, addresses: [ADDR[k]] }, secure_connect: { peers } };
  };
  return { a: plan('a', [peer('b'), peer('c')]), b: plan('b', [peer('a')]), c: plan('c', [peer('a')]) };
}

/** A's plan after the change: C is no longer its SecureConnect peer. */
function withoutC(p: WorkloadPlan): WorkloadPlan {
  return { ...p, secure_connect: { ...p.secure_connect, peers: p.secure_connect.peers.filter((x) => !x.workload.endsWith('/wl-c')) } };
}

const established = (sas: readonly IkeSaInfo[], conn: string): IkeSaInfo | undefined => sas.find((s) => s.conn === conn && s.state === 'ESTABLISHED');

describe('SecureConnect: a removed peer loses its SAs, kept peers keep theirs', { skip, timeout: 120_000 }, () => {
  let dir = '';
  const logs: LogLine[] = [];
  const m: Record<'a' | 'b' | 'c', SecureConnect | undefined> = { a: undefined, b: undefined, c: undefined };
  const sh = (args: string[]): void => void execFileSync('ip', args);
  const mgr = (k: 'a' | 'b' | 'c'): SecureConnect => {
    const x = m[k];
    assert.ok(x);
    return x;
  };
  const initiate = (from: SecureConnect, child: string): void =>
    // The CHILD SA cannot be installed here, so --initiate exits non-zero; the IKE SA comes up anyway.
    void spawnSync('swanctl', ['--initiate', '--child', child, '--timeout', '8', '--uri', from.paths.viciUri], { env: { ...process.env, STRONGSWAN_CONF: from.paths.conf }, timeout: 15_000 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-ven-scr-'));
    for (const ns of Object.values(NS)) {
      sh(['netns', 'add', ns]);
      sh(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh(['-n', NS.a, 'link', 'add', 'pal-scr-br', 'type', 'bridge']);
    sh(['-n', NS.a, 'link', 'set', 'pal-scr-br', 'up']);
    sh(['-n', NS.a, 'addr', 'add', `${ADDR.a}/24`, 'dev', 'pal-scr-br']);
    for (const k of ['b', 'c'] as const) {
      sh(['link', 'add', `pal-scr-a${k}`, 'netns', NS.a, 'type', 'veth', 'peer', 'name', `pal-scr-${k}`, 'netns', NS[k]]);
      sh(['-n', NS.a, 'link', 'set', `pal-scr-a${k}`, 'master', 'pal-scr-br', 'up']);
      sh(['-n', NS[k], 'addr', 'add', `${ADDR[k]}/24`, 'dev', `pal-scr-${k}`]);
      sh(['-n', NS[k], 'link', 'set', `pal-scr-${k}`, 'up']);
    }
    const log = (msg: string, obj: object): void => void logs.push({ obj, msg });
    for (const k of ['a', 'b', 'c'] as const) {
      m[k] = new SecureConnect({
        dataDir: join(dir, k),
        log: k === 'a' ? { info: (o, msg) => log(msg, o), warn: (o, msg) => log(msg, o), error: (o, msg) => log(msg, o) } : { info: () => undefined, warn: () => undefined, error: () => undefined },
        charon: ['ip', 'netns', 'exec', NS[k], 'charon-systemd'],
      });
    }
  });

  after(async () => {
    for (const x of Object.values(m)) await x?.remove().catch(() => undefined);
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('A↔B and A↔C come up; A drops C: both sides of A↔C are gone, A↔B keeps its unique ids', async () => {
    const p = plans();
    assert.equal((await mgr('a').apply(p.a, PSK)).connections, 2);
    assert.equal((await mgr('b').apply(p.b, PSK)).connections, 1);
    assert.equal((await mgr('c').apply(p.c, PSK)).connections, 1);
    initiate(mgr('a'), 'conn-wl-b-v4');
    initiate(mgr('a'), 'conn-wl-c-v4');
    const a0 = await mgr('a').listSas();
    const ab = established(a0, 'conn-wl-b-v4');
    const ac = established(a0, 'conn-wl-c-v4');
    const ba = established(await mgr('b').listSas(), 'conn-wl-a-v4');
    assert.ok(ab && ac && ba, `IKE SAs up on A: ${JSON.stringify(a0)}`);
    assert.ok(established(await mgr('c').listSas(), 'conn-wl-a-v4'), 'C has its IKE SA with A');

    const r = await mgr('a').apply(withoutC(p.a), PSK);
    assert.equal(r.connections, 1);
    assert.deepEqual(r.endedSas, [{ conn: 'conn-wl-c-v4', uniqueId: ac.uniqueId }]);
    assert.ok(logs.some((l) => l.msg === 'terminated the IKE SA of a removed SecureConnect peer' && JSON.stringify(l.obj) === JSON.stringify({ conn: 'conn-wl-c-v4', unique_id: ac.uniqueId })));

    const a1 = await mgr('a').listSas();
    assert.deepEqual(a1.filter((s) => s.conn === 'conn-wl-c-v4'), [], 'A holds no SA with C');
    assert.equal(established(a1, 'conn-wl-b-v4')?.uniqueId, ab.uniqueId, 'A↔B untouched on A');
    assert.equal(established(await mgr('b').listSas(), 'conn-wl-a-v4')?.uniqueId, ba.uniqueId, 'A↔B untouched on B');
    // A waited for C's answer to its delete (--force with a timeout), so C has already dropped its SA.
    assert.deepEqual((await mgr('c').listSas()).filter((s) => s.conn === 'conn-wl-a-v4'), [], "C's SA with A ended by A's delete");
  });

  it('applying the same plan again ends nothing and keeps A↔B', async () => {
    const ab = established(await mgr('a').listSas(), 'conn-wl-b-v4');
    assert.ok(ab);
    const r = await mgr('a').apply(withoutC(plans().a), PSK);
    assert.equal(r.endedSas, undefined);
    assert.equal(established(await mgr('a').listSas(), 'conn-wl-b-v4')?.uniqueId, ab.uniqueId);
  });
});
