/**
 * Issue 5 on the host, for real: three hosts in network namespaces on a bridge (198.51.100.0/24;
 * the machine's own eth0 is on 192.0.2.0/24), a real PCE in its own namespace, real VEN daemons.
 * A SecureConnect rule provisioned through the API makes the two db hosts' VENs start their own
 * charons and load the rendered configuration; IKE between them is asserted on both charons
 * (over their vici sockets). This kernel has no ESP (LAB.md): CHILD SAs cannot be installed, so
 * plaintext between the pair must be dropped (fail closed) and the VENs report the peers `down`
 * with the reason. Real ESP is the QEMU guest test's job (test/guest).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bringUpIke, Fleet, ipsecDir, nsExec, venCharonPid, venIkeSas, venSwanctl, waitFor, type Host, type VenIkeSa } from './support/fleet.ts';

const hasCharon = ['/usr/sbin/charon-systemd', '/usr/sbin/swanctl'].every((f) => existsSync(f));
const skip = process.getuid?.() !== 0 ? 'needs root for network namespaces' : !hasCharon ? 'needs strongSwan (scripts/install-test-deps.sh)' : false;

interface ScView {
  peers: { workload: { href: string }; state: string; reason?: string }[];
}

describe('VEN SecureConnect in network namespaces', { skip, timeout: 300_000 }, () => {
  const fleet = new Fleet();
  let h1: Host;
  let h2: Host;
  let h3: Host;
  let db = '';
  let app = '';
  const venHref = new Map<Host, string>();
  const workloadHref = new Map<Host, string>();
  const charonPids = new Set<number>();

  const swanctl = venSwanctl;
  const idOf = (h: Host): string => (workloadHref.get(h) ?? '').split('/').pop() ?? '';
  const connTo = (peer: Host): string => `conn-${idOf(peer)}-v4`;
  /** The established IKE SA between `h` and `peer` as `h`'s charon lists it. */
  const establishedWith = (h: Host, peer: Host): VenIkeSa | undefined => venIkeSas(h).find((s) => s.conn === connTo(peer) && s.state === 'ESTABLISHED');
  const charonPid = (h: Host): number | undefined => venCharonPid(h, charonPids);
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const bringUp = (from: Host, to: Host): Promise<VenIkeSa> => bringUpIke(fleet, from, to, connTo);
  const table = (h: Host): string => {
    try {
      return nsExec(h.ns, 'nft', ['list', 'table', 'inet', 'palisade']);
    } catch {
      return '';
    }
  };
  const ven = async (h: Host): Promise<{ policy_sync: { state: string; delivered: number; applied: number } }> =>
    (await fleet.api('GET', venHref.get(h) ?? '')).body as { policy_sync: { state: string; delivered: number; applied: number } };
  const synced = async (h: Host, afterDelivered = 0): Promise<number> =>
    waitFor(`${h.ns} to apply a delivery after ${afterDelivered}`, async () => {
      const v = await ven(h);
      return v.policy_sync.delivered > afterDelivered && v.policy_sync.applied === v.policy_sync.delivered && v.policy_sync.state === 'synced' ? v.policy_sync.delivered : undefined;
    }, 30_000);
  const scView = async (h: Host): Promise<ScView> => (await fleet.api('GET', `${workloadHref.get(h) ?? ''}/secure_connect`)).body as ScView;
  const hrefOf = (a: { body: unknown }): string => String((a.body as { href: string }).href);

  before(async () => {
    await fleet.setUp(3, '198.51.100');
    [h1, h2, h3] = fleet.hosts as [Host, Host, Host];
    db = hrefOf(await fleet.api('POST', '/orgs/1/labels', { key: 'role', value: 'db' }));
    app = hrefOf(await fleet.api('POST', '/orgs/1/labels', { key: 'role', value: 'app' }));
    await fleet.api('POST', '/orgs/1/sec_policy/draft/rule_sets', {
      name: 'db',
      rules: [
        { providers: [{ label: { href: db } }], consumers: [{ label: { href: db } }], ingress_services: [{ proto: 6, port: 5432 }], sec_connect: true },
        { providers: [{ label: { href: db } }], consumers: [{ label: { href: app } }], ingress_services: [{ proto: 6, port: 8080 }] },
      ],
    });
    await fleet.api('POST', '/orgs/1/sec_policy', { update_description: 'db ↔ db over SecureConnect; app → db 8080 in clear' });
    const profiles = {
      db: hrefOf(await fleet.api('POST', '/orgs/1/pairing_profiles', { name: 'db', labels: [{ href: db }], enforcement_mode: 'full' })),
      app: hrefOf(await fleet.api('POST', '/orgs/1/pairing_profiles', { name: 'app', labels: [{ href: app }], enforcement_mode: 'full' })),
    };
    for (const [h, profile] of [[h1, profiles.db], [h2, profiles.db], [h3, profiles.app]] as const) {
      const paired = await fleet.activate(h, profile);
      venHref.set(h, paired.ven);
      workloadHref.set(h, paired.workload);
      await fleet.startServers(h, [5432, 8080]);
    }
    for (const h of fleet.hosts) fleet.startVen(h);
    for (const h of fleet.hosts) await synced(h);
  });

  after(async () => {
    await fleet.close();
    // A VEN stops its charon; one killed outright may leave it: by PID, only the ones we saw.
    for (const pid of charonPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('the db VENs run their own charon with the rendered config; the app host has none', async () => {
    for (const h of [h1, h2]) {
      const pid = await waitFor(`${h.ns} charon`, async () => charonPid(h), 20_000);
      assert.ok(alive(pid), `charon of ${h.ns} runs`);
      assert.equal(statSync(join(ipsecDir(h), 'swanctl', 'palisade-secrets.conf')).mode & 0o777, 0o600, 'the PSK file is root-only');
      assert.match(readFileSync(join(ipsecDir(h), 'strongswan.conf'), 'utf8'), /install_routes = no/);
      assert.match(swanctl(h, ['--list-conns']), new RegExp(`conn-${h === h1 ? idOf(h2) : idOf(h1)}-v4`));
    }
    assert.equal(charonPid(h3), undefined, 'no SecureConnect peers: no charon');
    const log = readFileSync(join(fleet.workDir, `${h1.ns}.log`), 'utf8');
    assert.doesNotMatch(log, /[0-9a-f]{64}/i, 'no key in the VEN log');
  });

  it('IKE between the two VENs comes up; the PCE shows each peer with the state and reason its VEN reports', async () => {
    const sa = await bringUp(h1, h2);
    assert.equal(sa.state, 'ESTABLISHED');
    for (const [h, peer] of [[h1, h2], [h2, h1]] as const) {
      const p = await waitFor(`${h.ns}'s report on the PCE`, async () => {
        const v = (await scView(h)).peers.find((x) => x.workload.href === workloadHref.get(peer));
        return v && /ESTABLISHED/.test(v.reason ?? '') ? v : undefined;
      }, 30_000, 500);
      // No ESP in this kernel: the IKE SA is up, no CHILD SA can be installed.
      assert.equal(p.state, 'down');
      assert.match(p.reason ?? '', /IKE SA conn-\S+ ESTABLISHED \(IKEv2\), no CHILD SA installed/);
    }
  });

  it('palisade ven status shows the SA of each SecureConnect peer, read from charon', async () => {
    await bringUp(h1, h2);
    const r = await fleet.cli(h1, ['ven', 'status', '--data-dir', h1.dataDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { secure_connect: { charon_pid: number; peers: { workload: string; addresses: string[]; sa: string; ike_sa: { unique_id: number; state: string } | null; reason: string }[] } | null };
    assert.ok(s.secure_connect, 'a SecureConnect section');
    assert.equal(s.secure_connect.charon_pid, charonPid(h1));
    const p = s.secure_connect.peers.find((x) => x.workload === workloadHref.get(h2));
    assert.ok(p, 'h2 is listed');
    assert.deepEqual(p.addresses, [h2.address]);
    // No ESP in this kernel: IKE up, no CHILD SA, so the SA is down (the guest test sees `established`).
    assert.equal(p.sa, 'down');
    assert.equal(p.ike_sa?.state, 'ESTABLISHED');
    assert.equal(p.ike_sa.unique_id, establishedWith(h1, h2)?.uniqueId);
    assert.match(p.reason, /no CHILD SA installed/);
    const text = await fleet.cli(h1, ['ven', 'status', '--data-dir', h1.dataDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^secureconnect\s+1 peer, charon pid \d+$/m);
    assert.match(text.stdout, new RegExp(`^  down\\s+ikev2\\s+\\S+ \\(${h2.address.replaceAll('.', '\\.')}\\) conn-${idOf(h2)}-v4#\\d+ — IKE SA`, 'm'));
    const app = JSON.parse((await fleet.cli(h3, ['ven', 'status', '--data-dir', h3.dataDir, '--json'])).stdout) as { secure_connect: unknown };
    assert.equal(app.secure_connect, null, 'no SecureConnect peers: no section');
  });

  it('an interface MTU above 1400 with SecureConnect on becomes a warning event on the PCE', async () => {
    const events = await waitFor('an agent.secure_connect_mtu event', async () => {
      const e = (await fleet.api('GET', '/orgs/1/events?event_type=agent.secure_connect_mtu')).body as unknown[];
      return e.length > 0 ? e : undefined;
    }, 20_000, 500);
    assert.match(JSON.stringify(events), /eth0/);
  });

  it('fail closed: plaintext TCP between the pair is dropped on every port; a host without the rule still talks to them in clear', async () => {
    assert.equal(await fleet.connects(h1, h2, 5432), false, 'the rule port, without ESP');
    assert.equal(await fleet.connects(h2, h1, 8080), false, 'another port: host to host');
    assert.equal(await fleet.connects(h3, h1, 8080), true, 'app → db 8080 in clear');
    assert.equal(await fleet.connects(h3, h2, 8080), true);
    assert.match(table(h1), /ip daddr @sc_peers_v4 rt ipsec missing counter packets \d+ bytes \d+ drop/);
  });

  it('PSK rotation: both VENs report the new generation, complete succeeds, IKE re-establishes with the new key', async () => {
    const before = ((await fleet.api('GET', '/orgs/1/secure_connect/psk')).body as { generation: number }).generation;
    const oldSecrets = readFileSync(join(ipsecDir(h1), 'swanctl', 'palisade-secrets.conf'), 'utf8');
    await fleet.api('POST', '/orgs/1/secure_connect/psk_rotation', {});
    await waitFor('every VEN on the new PSK generation', async () => {
      const s = (await fleet.api('GET', '/orgs/1/secure_connect/psk')).body as { generation: number; vens_on_current: number; vens_total: number };
      return s.generation === before + 1 && s.vens_on_current === s.vens_total && s.vens_total >= 2;
    }, 30_000, 500);
    const done = await fleet.api('POST', '/orgs/1/secure_connect/psk_rotation/complete', {});
    assert.equal((done.body as { state: string }).state, 'steady');
    for (const h of [h1, h2]) {
      await waitFor(`${h.ns} to load the completed rotation (one key)`, async () => {
        const text = readFileSync(join(ipsecDir(h), 'swanctl', 'palisade-secrets.conf'), 'utf8');
        return !/-previous \{/.test(text) && text !== oldSecrets;
      }, 20_000);
    }
    // Tear the pair's IKE SA down; only the new key is left on both sides.
    const old = await bringUp(h1, h2);
    swanctl(h1, ['--terminate', '--ike-id', String(old.uniqueId)]);
    const fresh = await bringUp(h1, h2);
    assert.notEqual(fresh.uniqueId, old.uniqueId, 'a new IKE SA, authenticated with the new key');
  });

  it('a peer change (a third host relabelled into the rule) keeps the existing pair\'s IKE SA', async () => {
    const before = await bringUp(h1, h2);
    const beforeB = establishedWith(h2, h1);
    const d1 = (await ven(h1)).policy_sync.delivered;
    await fleet.api('PUT', workloadHref.get(h3) ?? '', { labels: [{ href: db }] });
    await synced(h1, d1);
    await synced(h3);
    await waitFor('h1 to load a connection to h3', async () => swanctl(h1, ['--list-conns']).includes(`conn-${idOf(h3)}-v4`), 20_000);
    assert.equal(establishedWith(h1, h2)?.uniqueId, before.uniqueId, 'same IKE SA on h1');
    assert.equal(establishedWith(h2, h1)?.uniqueId, beforeB?.uniqueId, 'same IKE SA on h2');
    assert.ok(charonPid(h3), 'h3 now runs its own charon');
    const sa13 = await bringUp(h1, h3);
    assert.equal(sa13.state, 'ESTABLISHED');
    assert.equal(await fleet.connects(h3, h1, 8080), false, 'h3 is a SecureConnect peer now: no plaintext');
  });

  it('idle: the VEN stops its charon and removes its config; its peers report it as unable to do SecureConnect', async () => {
    const pid = charonPid(h3);
    assert.ok(pid);
    const d = (await ven(h3)).policy_sync.delivered;
    await fleet.api('PUT', workloadHref.get(h3) ?? '', { enforcement_mode: 'idle' });
    await synced(h3, d);
    await waitFor('h3 charon to exit', async () => !alive(pid), 10_000);
    assert.equal(existsSync(join(ipsecDir(h3), 'swanctl', 'swanctl.conf')), false);
    assert.equal(existsSync(join(ipsecDir(h3), 'swanctl', 'palisade-secrets.conf')), false);
    assert.equal(table(h3), '', 'idle installs nothing');
    const p = await waitFor('h1 to report h3', async () => {
      const v = (await scView(h1)).peers.find((x) => x.workload.href === workloadHref.get(h3));
      return v && v.state !== 'down' ? v : undefined;
    }, 20_000, 500);
    assert.match(p.reason ?? '', /cannot do SecureConnect/);
  });

  it('suspend keeps the IKE SA and the IPsec-only rules, and removes the rest of the firewall', async () => {
    const sa = await bringUp(h1, h2);
    const s = await fleet.cli(h1, ['ven', 'suspend', '--data-dir', h1.dataDir]);
    assert.equal(s.code, 0, s.stderr);
    const t = table(h1);
    assert.match(t, /policy accept/);
    assert.doesNotMatch(t, /policy drop/);
    assert.match(t, /ip saddr @sc_peers_v4 meta (secpath|ipsec) missing counter packets \d+ bytes \d+ drop/);
    assert.doesNotMatch(t, /dport 8080/, 'no plan entries while suspended');
    assert.equal(establishedWith(h1, h2)?.uniqueId, sa.uniqueId, 'the IKE SA survived the suspend');
    assert.equal(await fleet.connects(h2, h1, 8080), false, 'plaintext from a SecureConnect peer is still dropped');
    const u = await fleet.cli(h1, ['ven', 'unsuspend', '--data-dir', h1.dataDir]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(table(h1), /policy drop/);
    assert.equal(establishedWith(h1, h2)?.uniqueId, sa.uniqueId, 'and the unsuspend');
  });

  it('charon is restarted when it dies', async () => {
    const pid = charonPid(h2);
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    const next = await waitFor('a new charon on h2', async () => {
      const p = charonPid(h2);
      return p !== undefined && p !== pid && alive(p) ? p : undefined;
    }, 20_000);
    assert.ok(alive(next));
    await waitFor('h2 connections loaded again', async () => swanctl(h2, ['--list-conns']).includes(`conn-${idOf(h1)}-v4`), 20_000);
    // h1 still holds the dead IKE SA until dead-peer detection gives up (LAB.md): the restarted side initiates.
    await bringUp(h2, h1);
  });

  it('a VEN killed outright leaves its charon; the restarted VEN stops that one (by its PID file) and runs its own', async () => {
    const old = charonPid(h1);
    assert.ok(old);
    await new Promise<void>((done) => {
      h1.ven?.once('exit', () => done());
      h1.ven?.kill('SIGKILL');
    });
    assert.ok(alive(old), 'charon outlives a SIGKILLed VEN');
    fleet.startVen(h1);
    const next = await waitFor('h1 to run a new charon', async () => {
      const p = charonPid(h1);
      return p !== undefined && p !== old && alive(p) ? p : undefined;
    }, 30_000);
    await waitFor('the orphaned charon to be gone', async () => !alive(old), 10_000);
    assert.ok(alive(next));
    await bringUp(h1, h2);
  });

  it('unpair stops charon and removes its files', async () => {
    const pid = charonPid(h2);
    assert.ok(pid);
    const r = await fleet.cli(h2, ['ven', 'unpair', '--data-dir', h2.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('h2 charon to exit', async () => !alive(pid), 10_000);
    assert.equal(existsSync(ipsecDir(h2)), false);
    assert.equal(table(h2), '');
    // The process list knows no charon with h2's config any more.
    const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
    assert.doesNotMatch(ps, new RegExp(`^\\s*${pid}\\s`, 'm'));
  });
});
