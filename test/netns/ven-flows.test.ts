/**
 * Issue 6 end to end: two hosts in network namespaces (198.51.100.0/24) with real VEN daemons
 * and a real PCE process. Real TCP connections between the namespaces become flows that the
 * VENs collect (nft flow sets, NFLOG through tcpdump) and send to the PCE; the test reads them
 * back with the traffic query API. The flow interval is 1 s here (PALISADE_VEN_FLOW_INTERVAL_MS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Fleet, nsExec, waitFor, type Host } from './support/fleet.ts';

const skip = process.getuid?.() !== 0 ? 'needs root for network namespaces' : false;

interface Flow {
  src: { ip: string };
  dst: { ip: string };
  service: { proto: number; port?: number };
  num_connections: number;
  policy_decision: string;
  flow_direction: string;
  bytes?: { in: number | null; out: number | null };
}

interface VenView {
  policy_sync: { state: string; delivered: number; applied: number };
}

describe('VEN flows in network namespaces', { skip, timeout: 300_000 }, () => {
  const fleet = new Fleet();
  let h1: Host;
  let h2: Host;
  const venHref = new Map<Host, string>();
  const workloadHref = new Map<Host, string>();
  const hrefOf = (a: { body: unknown }): string => String((a.body as { href: string }).href);
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  const ven = async (h: Host): Promise<VenView> => (await fleet.api('GET', venHref.get(h) ?? '')).body as VenView;
  const synced = async (h: Host, afterDelivered = 0): Promise<number> =>
    waitFor(`${h.ns} to apply a delivery after ${afterDelivered}`, async () => {
      const v = await ven(h);
      return v.policy_sync.delivered > afterDelivered && v.policy_sync.applied === v.policy_sync.delivered && v.policy_sync.state === 'synced' ? v.policy_sync.delivered : undefined;
    }, 30_000);
  const setWorkload = async (h: Host, body: unknown): Promise<void> => {
    const before = (await ven(h)).policy_sync.delivered;
    await fleet.api('PUT', workloadHref.get(h) ?? '', body);
    await synced(h, before);
  };
  const table = (h: Host): string => {
    try {
      return nsExec(h.ns, 'nft', ['list', 'table', 'inet', 'palisade']);
    } catch {
      return '';
    }
  };

  /** Every flow the PCE holds for a TCP port (async query → download). */
  async function flowsTo(port: number, extra: Record<string, unknown> = {}): Promise<Flow[]> {
    const q = await fleet.api('POST', '/orgs/1/traffic_flows/async_queries', { query_name: `port ${port}`, services: { include: [{ proto: 6, port }] }, max_results: 10_000, ...extra });
    const href = hrefOf(q);
    const done = await waitFor('the query to complete', async () => {
      const s = (await fleet.api('GET', href)).body as { status: string; result?: string };
      return s.status === 'completed' ? s : undefined;
    }, 20_000, 100);
    return (await fleet.api('GET', String(done.result))).body as Flow[];
  }
  /** tcpdump processes in a host's namespace (the VEN's NFLOG captures). */
  const captures = (h: Host): string[] =>
    nsExec(h.ns, 'ip', ['netns', 'pids', h.ns])
      .split('\n')
      .filter((p) => p !== '')
      .filter((p) => {
        try {
          // A dead tcpdump whose parent died too may wait as a zombie for init: it does not count.
          return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'tcpdump' && !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
        } catch {
          return false;
        }
      });
  const connections = (flows: readonly Flow[]): number => flows.reduce((n, f) => n + f.num_connections, 0);
  const connectTimes = async (from: Host, to: Host, port: number, n: number): Promise<boolean[]> => {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push(await fleet.connects(from, to, port));
    return out;
  };

  before(async () => {
    process.env['PALISADE_VEN_FLOW_INTERVAL_MS'] = '1000'; // inherited by the daemons the fleet starts
    await fleet.setUp(2, '198.51.100');
    [h1, h2] = fleet.hosts as [Host, Host];
    const web = hrefOf(await fleet.api('POST', '/orgs/1/labels', { key: 'role', value: 'web' }));
    const client = hrefOf(await fleet.api('POST', '/orgs/1/labels', { key: 'role', value: 'client' }));
    await fleet.api('POST', '/orgs/1/sec_policy/draft/rule_sets', {
      name: 'app',
      rules: [{ providers: [{ label: { href: web } }], consumers: [{ label: { href: client } }], ingress_services: [{ proto: 6, port: 8080 }] }],
    });
    await fleet.api('POST', '/orgs/1/sec_policy', { update_description: 'client → web 8080' });
    const profile = async (name: string, label: string): Promise<string> => hrefOf(await fleet.api('POST', '/orgs/1/pairing_profiles', { name, labels: [{ href: label }], enforcement_mode: 'full', visibility_level: 'flow_summary' }));
    const profiles = { web: await profile('web', web), client: await profile('client', client) };
    for (const [h, p] of [[h1, profiles.web], [h2, profiles.client]] as const) {
      const paired = await fleet.activate(h, p);
      venHref.set(h, paired.ven);
      workloadHref.set(h, paired.workload);
    }
    await fleet.startServers(h1, [8080, 9090, 6060, 4040, 5050, 7070]);
    for (const h of fleet.hosts) fleet.startVen(h);
    for (const h of fleet.hosts) await synced(h);
  });
  after(() => fleet.close());

  it('full: the table counts flows; allowed and blocked connections reach the PCE with the right decision, no bytes at flow_summary', async () => {
    assert.match(table(h1), /set flows_in_v4 \{/);
    assert.match(table(h1), /chain flows_in \{/);
    await waitFor('one NFLOG capture per group on h1', async () => captures(h1).length === 2);
    // A capture that dies is started again (the VEN keeps its PIDs).
    const [victim] = captures(h1);
    process.kill(Number(victim), 'SIGKILL');
    await waitFor('the killed capture to be replaced', async () => captures(h1).length === 2 && !captures(h1).includes(victim ?? ''), 15_000);
    assert.deepEqual(await connectTimes(h2, h1, 8080, 2), [true, true]);
    assert.equal(await fleet.connects(h2, h1, 9090), false, 'no rule: blocked (on the client, outbound default deny)');
    const allowed = await waitFor('allowed flows on 8080', async () => {
      const f = await flowsTo(8080);
      return connections(f.filter((x) => x.src.ip === h2.address && x.dst.ip === h1.address)) >= 4 ? f : undefined; // 2 connections × 2 reporters
    });
    assert.ok(allowed.every((f) => f.policy_decision === 'allowed'), JSON.stringify(allowed));
    assert.ok(allowed.every((f) => f.bytes === undefined || (f.bytes.in === null && f.bytes.out === null)), 'no bytes at flow_summary');
    const blocked = await waitFor('the blocked attempt on 9090', async () => {
      const f = await flowsTo(9090);
      return f.length > 0 ? f : undefined;
    });
    assert.ok(blocked.every((f) => f.policy_decision === 'blocked' && f.src.ip === h2.address && f.dst.ip === h1.address), JSON.stringify(blocked));
  });

  it('visibility_only: what full enforcement would block passes and is reported potentially_blocked', async () => {
    await setWorkload(h1, { enforcement_mode: 'visibility_only' });
    await setWorkload(h2, { enforcement_mode: 'visibility_only' });
    assert.equal(await fleet.connects(h2, h1, 9090), true);
    const f = await waitFor('potentially blocked flows on 9090', async () => {
      const all = await flowsTo(9090, { policy_decisions: ['potentially_blocked'] });
      return all.length > 0 ? all : undefined;
    });
    assert.ok(f.every((x) => x.src.ip === h2.address && x.dst.ip === h1.address));
  });

  it('PCE outage: flows made while it is down are buffered on disk and arrive once it is back, nothing lost, nothing twice', async () => {
    await fleet.killPce();
    assert.deepEqual(await connectTimes(h2, h1, 6060, 3), [true, true, true]);
    await sleep(3_000); // several intervals: batches pile up on disk
    const segments = (await readdir(join(h2.dataDir, 'flows'))).filter((n) => n.startsWith('seg-'));
    assert.ok(segments.length > 0, 'buffered in segment files');
    await fleet.startPce();
    const arrived = await waitFor('the outage flows at the PCE', async () => {
      const f = await flowsTo(6060);
      return connections(f) >= 6 ? f : undefined; // 3 connections, reported by both ends
    }, 90_000, 500);
    const total = connections(arrived);
    assert.ok(total < 12, `no batch counted twice (${total})`);
    // A VEN restart resends whatever was not acknowledged, with the same batch ids: nothing changes.
    await fleet.stopVen(h2);
    fleet.startVen(h2);
    await sleep(4_000);
    assert.equal(connections(await flowsTo(6060)), total);
  });

  it('VENs stopped cleanly: what their tables counted while they were down is reported after the restart, once', async () => {
    await fleet.stopVen(h1);
    await fleet.stopVen(h2);
    assert.deepEqual(await connectTimes(h2, h1, 4040, 2), [true, true], 'the tables stay (fail-static) and keep counting');
    fleet.startVen(h1);
    fleet.startVen(h2);
    const total = connections(await waitFor('the flows made while the VENs were down', async () => {
      const f = await flowsTo(4040);
      return connections(f) >= 4 ? f : undefined; // 2 connections, reported by both ends
    }, 30_000));
    await sleep(3_000);
    assert.equal(connections(await flowsTo(4040)), total, 'counted once');
    assert.ok(total < 8, String(total));
    for (const h of fleet.hosts) await synced(h, 0);
  });

  it('a VEN killed outright (SIGKILL) leaves no NFLOG capture behind', async () => {
    await waitFor('h2 captures', async () => captures(h2).length === 2);
    const ven = h2.ven;
    await new Promise<void>((done) => {
      ven?.once('exit', () => done());
      ven?.kill('SIGKILL');
    });
    await waitFor('h2 captures to die with the VEN', async () => captures(h2).length === 0, 5_000);
    fleet.startVen(h2);
    await waitFor('h2 captures again', async () => captures(h2).length === 2);
  });

  it('enhanced_data_collection: bytes in and out, only for the host at that level', async () => {
    await setWorkload(h1, { visibility_level: 'enhanced_data_collection' });
    assert.equal(await fleet.connects(h2, h1, 5050), true);
    const f = await waitFor('flows with bytes on 5050', async () => {
      const all = await flowsTo(5050);
      return all.some((x) => (x.bytes?.in ?? 0) > 0 && (x.bytes?.out ?? 0) > 0) ? all : undefined;
    });
    const withBytes = f.filter((x) => x.bytes && x.bytes.in !== null);
    assert.ok(withBytes.length >= 1);
    // h1 received the request (SYN, ACK, FIN…) and sent "ok".
    assert.ok(withBytes.every((x) => x.dst.ip === h1.address));
  });

  it('flow_off: no flow sets, no capture, nothing reported', async () => {
    await setWorkload(h1, { visibility_level: 'flow_off' });
    await setWorkload(h2, { visibility_level: 'flow_off' });
    assert.doesNotMatch(table(h1), /flows_in_v4/);
    await waitFor('the NFLOG captures on h1 to stop', async () => captures(h1).length === 0, 10_000);
    assert.equal(await fleet.connects(h2, h1, 7070), true);
    await sleep(3_000);
    assert.deepEqual(await flowsTo(7070), []);
  });
});
