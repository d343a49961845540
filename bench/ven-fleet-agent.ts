/**
 * One process of the 1,000-agent benchmark (ven.bench.ts): holds many real policy streams
 * (the VEN's own channel client: pinned TLS, SSE, backoff) and, for every delivery, does what
 * the daemon does with a plan short of loading it into a kernel: parses and checks the event
 * (`PolicyStream#delivery`, as the daemon: JSON, delivery number, every field of the plan or,
 * for a delta, of what it carries, PCE endpoint, PSK),
 * renders its nftables script as the applier does (`nft-change.ts`: the table built with
 * the sets the last plan already had reused, then the set delta or rules update from the last
 * plan, or the full replace script for an agent's first plan; every new address and service
 * is checked again), and acknowledges the delivery number with the delivered plan's hash over the agent's
 * kept-alive connection, as the daemon does. It does not run nft (1,000 hosts' worth of kernel
 * tables do not fit one machine), does not write the plan to disk, sends no heartbeats. Reports to the parent over
 * IPC: `ready` once every agent acked its first delivery, then one `ack` per delivery with its
 * timeline (ms since the epoch): event parsed out of the stream, plan checked and rendered,
 * ack answered, and how many TCP connections the process opened since the last delivery (acks
 * should ride kept-alive connections: 0 once every agent is connected).
 * Agents connect 25 at a time (a thousand TLS handshakes at once is a start-up storm no
 * fleet of real hosts makes, and it is not what the benchmark measures).
 */
import { subscribe } from 'node:diagnostics_channel';
import { syncBuiltinESMExports } from 'node:module';
import tls from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeNftScript } from '@palisade/render/nftables/nftables-renderer.ts';
import { buildTable, changeScript, type BuiltPlan } from '@palisade/ven/apply/nft-change.ts';
import { AgentClient } from '@palisade/ven/channel/agent-client.ts';
import { PolicyStream } from '@palisade/ven/channel/policy-stream.ts';
import type { VenIdentity } from '@palisade/ven/state/ven-state-store.ts';

const [file, from, to] = process.argv.slice(2);
const all = JSON.parse(readFileSync(file ?? '', 'utf8')) as VenIdentity[];
const mine = all.slice(Number(from), Number(to));
/** Messages to the parent go in batches (one IPC write per turn of the event loop, not one per ack: the channel's cost is the benchmark's, not the agent's). */
const outbox: unknown[] = [];
const send = (m: unknown): void => {
  outbox.push(m);
  if (outbox.length === 1) setImmediate(() => process.send?.({ type: 'batch', messages: outbox.splice(0) }));
};
let firstAcks = 0;
const streams: PolicyStream[] = [];
let dialed = 0;
subscribe('net.client.socket', () => {
  dialed++;
});
// TLS connections (the agents' own, through PinnedAgent) do not go through net.connect: count tls.connect too.
const tlsConnect = tls.connect.bind(tls);
tls.connect = ((...args: Parameters<typeof tls.connect>) => {
  dialed++;
  return tlsConnect(...args);
}) as typeof tls.connect;
syncBuiltinESMExports();
let lastVersion: number | null = null;
/** Characters of nft script rendered (kept so the work is not optimised away; reported with the CPU). */
let scriptChars = 0;
let dialedBefore = 0;
/** CPU of this process from the parent's `mark` (just before a provision) until all its agents acked that round. */
let cpuAtMark: NodeJS.CpuUsage | null = null;
let scriptAtMark = 0;
const ackedOf = new Map<number, number>();
/** VEN_BENCH_PROFILE=dir: a CPU profile of the rounds (from the first mark to stop). */
const profileDir = process.env['VEN_BENCH_PROFILE'];
let profiler: Session | undefined;
const countAck = (version: number | null): void => {
  if (version === null) return;
  const n = (ackedOf.get(version) ?? 0) + 1;
  ackedOf.set(version, n);
  if (n === mine.length && cpuAtMark) {
    const cpu = process.cpuUsage(cpuAtMark);
    send({ type: 'cpu', version, user: cpu.user / 1000, system: cpu.system / 1000, agents: mine.length, script: scriptChars - scriptAtMark });
    cpuAtMark = null;
  }
};

for (const [i, id] of mine.entries()) {
  if (i > 0 && i % 25 === 0) await new Promise((r) => setTimeout(r, 50));
  const client = new AgentClient(id, 2);
  let first = true;
  /** What this agent's applier would hold: the last plan and its table. */
  let applied: BuiltPlan | undefined;
  const stream = new PolicyStream(client, {
    onEvent: (e) => {
      if (e.event !== 'policy') return;
      const received = Date.now();
      const d = stream.delivery(e);
      const ctx = { pce: { addresses: d.pce.addresses.length > 0 ? d.pce.addresses : ['127.0.0.1'], port: d.pce.port } };
      const table = buildTable(d.plan, ctx, applied);
      const change = applied ? changeScript(applied, { plan: d.plan, table }) : null;
      scriptChars += (change ? change.script : writeNftScript(d.plan, table, ctx)).length;
      applied = { plan: d.plan, table };
      const checked = Date.now();
      if (d.policy_version !== lastVersion) {
        lastVersion = d.policy_version;
        dialedBefore = dialed;
      }
      const settled = (): void => {
        if (first) {
          first = false;
          if (++firstAcks === mine.length) send({ type: 'ready' });
        }
      };
      void client.ack(d.delivery, d.plan.hash, 'applied').then(
        () => {
          send({ type: 'ack', agent: id.agent_id, version: d.policy_version, t: Date.now(), received, checked, dialed: dialed - dialedBefore });
          countAck(d.policy_version);
          settled();
        },
        (err: unknown) => {
          send({ type: 'error', message: String(err) });
          settled();
        },
      );
    },
    onConnected: () => undefined,
    onUnpaired: () => undefined,
  });
  streams.push(stream);
  stream.start();
}

async function stopProfile(): Promise<void> {
  if (!profiler || !profileDir) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(`${profileDir}/agent-${from}.cpuprofile`, JSON.stringify(profile));
}

process.on('message', (m) => {
  const type = (m as { type?: string }).type;
  if (type === 'mark') {
    cpuAtMark = process.cpuUsage();
    scriptAtMark = scriptChars;
    if (profileDir && !profiler) {
      profiler = new Session();
      profiler.connect();
      void profiler.post('Profiler.enable').then(() => profiler?.post('Profiler.start'));
    }
  } else if (type === 'stop') void stopProfile().then(() => Promise.all(streams.map((s) => s.stop()))).then(() => process.exit(0));
});
