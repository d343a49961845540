/**
 * The flow collector (issue 6). Every interval (default 10 s): read the four flow sets
 * (`nft -j list set`, deltas against the last read), fold in the NFLOG packets that the
 * tcpdump children (one per group: 5 blocked, 6 potentially blocked) streamed since, build
 * flow summaries at the workload's visibility level, append them as one batch to the disk
 * buffer, then send buffered batches oldest first to `POST /api/v2/agent/flows` until the
 * buffer is empty or the PCE does not answer (the batch stays and is resent with its id).
 */
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { formatIp, parseIp } from '@palisade/core/ip.ts';
import { PalisadeError } from '@palisade/core/errors.ts';
import { FLOW_SETS } from '@palisade/render/nftables/nft-flow-accounting.ts';
import { NFLOG_GROUP_BLOCKED, NFLOG_GROUP_POTENTIALLY_BLOCKED } from '@palisade/render/nftables/log-prefixes.ts';
import type { PceTransport } from '../channel/pce-transport.ts';
import { join } from 'node:path';
import { ensurePrivateDir, readFileIfExists, removeFile, writeFileAtomic } from '../sys/files.ts';
import { listSetJson, spawnBinary, tcpdumpCommand, type BinaryProcess } from '../sys/flow-io.ts';
import { FlowAggregator, type FlowRecord, type VisibilityLevel } from './flow-aggregator.ts';
import { FlowBuffer, type FlowBufferOptions } from './flow-buffer.ts';
import { CounterTracker, parseFlowSetListing } from './flow-sets.ts';
import { NflogPcapStream } from './nflog-pcap.ts';

export interface FlowLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What the collector needs to know about the host's policy right now. */
export interface FlowContext {
  /** The applied plan's visibility level; undefined when no table is installed (no plan, idle, suspended). */
  readonly visibility: VisibilityLevel | undefined;
}

export interface FlowCollectorOptions {
  readonly dataDir: string;
  readonly transport: () => PceTransport | undefined;
  readonly context: () => FlowContext;
  readonly log: FlowLogger;
  /** Default 10 s (or `PALISADE_VEN_FLOW_INTERVAL_MS`). */
  readonly intervalMs?: number;
  /** argv that runs nft (default `['nft']`). */
  readonly nft?: readonly string[];
  /** argv that runs tcpdump (default: `tcpdumpCommand()`, tied to the VEN's life when setpriv is there). */
  readonly tcpdump?: readonly string[];
  readonly table?: string;
  readonly buffer?: FlowBufferOptions;
  /** Host addresses (default: the interfaces'); a flow to one of them is inbound. */
  readonly localAddresses?: () => Iterable<string>;
}

/** Largest batch the contract accepts. */
const MAX_FLOWS_PER_BATCH = 10_000;

function canonical(ip: string): string {
  const a = parseIp(ip.replace(/%.*$/, ''));
  return a ? formatIp(a.family, a.value) : ip;
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class FlowCollector {
  readonly buffer: FlowBuffer;
  private readonly trackers = new Map<string, CounterTracker>(FLOW_SETS.map((s) => [s.name, new CounterTracker()]));
  private local = new Set<string>();
  private readonly aggregator = new FlowAggregator((ip) => this.local.has(ip));
  private readonly captures = new Map<number, BinaryProcess>();
  private readonly restartTimers = new Map<number, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private lastPoll: number | undefined;
  private collecting: Promise<void> = Promise.resolve();
  private sending: Promise<void> | undefined;
  private stopped = false;
  private warnedCapture = new Set<number>();
  private readonly intervalMs: number;

  constructor(private readonly opts: FlowCollectorOptions) {
    this.buffer = new FlowBuffer(opts.dataDir, opts.buffer);
    const env = Number(process.env['PALISADE_VEN_FLOW_INTERVAL_MS']);
    this.intervalMs = opts.intervalMs ?? (Number.isFinite(env) && env > 0 ? env : 10_000);
  }

  /** PIDs of the tcpdump children (for tests and status). */
  capturePids(): number[] {
    return [...this.captures.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    void this.tick();
  }

  /** Collects (after any collection in progress), then sends unless a send is under way; what a timer tick does. */
  async tick(): Promise<void> {
    await this.collectNow();
    if (this.sending) return this.sending;
    this.sending = this.send()
      .catch((err: unknown) => this.opts.log.warn({ err: message(err) }, 'sending flows failed'))
      .finally(() => (this.sending = undefined));
    return this.sending;
  }

  /**
   * Collects now (reads the sets, stores a batch) without sending: also before a full table
   * replace empties the flow sets. Never waits for a send (the PCE may be away).
   */
  collectNow(): Promise<void> {
    this.collecting = this.collecting.then(() => this.collect()).catch((err: unknown) => this.opts.log.warn({ err: message(err) }, 'flow collection failed'));
    return this.collecting;
  }

  /** Before a policy apply (which may replace the table and empty the sets): collect, but never hold the apply up more than 2 s. */
  async beforeReplace(): Promise<void> {
    if (this.stopped || !this.timer) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.collectNow(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
  }

  private syncCaptures(on: boolean): void {
    for (const group of [NFLOG_GROUP_BLOCKED, NFLOG_GROUP_POTENTIALLY_BLOCKED]) {
      const running = this.captures.get(group);
      if (on && !running && !this.restartTimers.has(group) && !this.stopped) this.startCapture(group);
      if (!on && running) {
        this.captures.delete(group);
        running.stop();
      }
    }
  }

  private startCapture(group: number): void {
    const [bin = 'tcpdump', ...pre] = this.opts.tcpdump ?? tcpdumpCommand();
    const parser = new NflogPcapStream(
      (p) => this.aggregator.addLogged(p),
      (msg) => this.opts.log.warn({ group, err: msg }, 'NFLOG capture output not understood'),
    );
    // -U: write each packet as it comes; -w -: pcap on stdout; -s 128: headers are enough (the prefix is a TLV before the payload).
    const proc = spawnBinary(bin, [...pre, '-i', `nflog:${group}`, '-U', '-w', '-', '-s', '256', '-q'], (c) => parser.push(c), (code, stderr) => {
      if (this.captures.get(group) !== proc) return;
      this.captures.delete(group);
      if (this.stopped) return;
      if (!this.warnedCapture.has(group)) this.opts.log.warn({ group, code, err: stderr.trim().split('\n').slice(-2).join(' ') }, 'NFLOG capture ended; restarting it');
      this.warnedCapture.add(group);
      const t = setTimeout(() => {
        this.restartTimers.delete(group);
        if (!this.stopped && this.opts.context().visibility !== undefined && this.opts.context().visibility !== 'flow_off') this.startCapture(group);
      }, Math.min(this.intervalMs, 5_000));
      t.unref();
      this.restartTimers.set(group, t);
    });
    this.captures.set(group, proc);
    this.opts.log.info({ group, pid: proc.pid }, 'NFLOG capture started');
  }

  /** Reads the sets, drains the aggregator into one batch on disk (when it has flows). */
  private async collect(): Promise<void> {
    const now = Date.now();
    const from = this.lastPoll ?? now;
    this.lastPoll = now;
    const level = this.opts.context().visibility;
    const on = level !== undefined && level !== 'flow_off';
    this.syncCaptures(on);
    this.local = new Set([...(this.opts.localAddresses?.() ?? interfaceAddresses())].map(canonical));
    if (on) {
      for (const set of FLOW_SETS) {
        const tracker = this.trackers.get(set.name);
        if (!tracker) continue;
        const r = await listSetJson(this.opts.nft ?? ['nft'], this.opts.table ?? 'palisade', set.name);
        if (r.code !== 0) {
          tracker.reset(); // no table or no set (older table): everything counted later is new
          continue;
        }
        this.aggregator.addCounters(set.direction, tracker.update(parseFlowSetListing(r.stdout)), from, now);
      }
    } else for (const t of this.trackers.values()) t.reset();
    const flows = this.aggregator.drain(level ?? 'flow_off', now);
    for (let i = 0; i < flows.length; i += MAX_FLOWS_PER_BATCH) {
      await this.buffer.append({ batch_id: randomUUID(), at: now, flows: flows.slice(i, i + MAX_FLOWS_PER_BATCH) });
    }
    const dropped = await this.buffer.trim(now);
    if (dropped > 0) this.opts.log.warn({ dropped }, 'flow buffer full: oldest flows dropped');
  }

  /** Sends buffered batches, oldest first, until none is left or the PCE does not take one. */
  private async send(): Promise<void> {
    for (;;) {
      const transport = this.opts.transport();
      if (!transport || this.stopped) return;
      const next = await this.buffer.head();
      if (!next) return;
      const { batch, dropped } = next;
      try {
        await transport.json('POST', '/api/v2/agent/flows', { batch_id: batch.batch_id, dropped, flows: batch.flows satisfies readonly FlowRecord[] }, 30_000);
        await this.buffer.ack(batch.batch_id);
      } catch (err) {
        if (err instanceof PalisadeError && err.kind === 'invalid') {
          // 406: this batch will never be taken; drop it and say so with the next one.
          this.opts.log.warn({ batch: batch.batch_id, err: message(err) }, 'the PCE refused a flow batch; dropped');
          await this.buffer.ack(batch.batch_id);
          await this.buffer.countDropped(batch.flows.length + dropped);
          continue;
        }
        return; // unreachable, 5xx, 401…: kept on disk, resent with the same id next time
      }
    }
  }

  private get countersPath(): string {
    return join(this.buffer.dir, 'counters.json');
  }

  /**
   * At daemon start, before the last plan is applied again (a full replace empties the flow
   * sets): when the previous daemon stopped cleanly it left the counters of its last read, so
   * what the sets counted since (the daemon was down, the table stayed) is collected exactly
   * now. After a crash there is no such file and nothing is collected (it could count twice).
   */
  async resume(): Promise<void> {
    const text = await readFileIfExists(this.countersPath).catch(() => undefined);
    if (text === undefined) return;
    await removeFile(this.countersPath);
    try {
      const saved = JSON.parse(text) as { at?: number; sets?: Record<string, [string, number, number][]> };
      for (const [name, rows] of Object.entries(saved.sets ?? {})) this.trackers.get(name)?.restore(rows);
      if (typeof saved.at === 'number') this.lastPoll = saved.at;
    } catch {
      return;
    }
    const wasStopped = this.stopped;
    this.stopped = true; // collect only: no capture for this one read
    await this.collectNow();
    this.stopped = wasStopped;
  }

  /** Unpair: stops collecting and removes the buffer (nothing more goes to a PCE that forgot this VEN). */
  async stopAndRemove(): Promise<void> {
    await this.stop();
    await this.buffer.remove();
    await removeFile(this.countersPath);
  }

  /** Stops the timer and the captures; collects and stores what the sets counted since the last tick (sent on the next start). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.stopped = true; // no capture starts, no send goes on from here on
    await this.collectNow(); // a send in flight is left to finish or fail: its batch stays on disk until acknowledged
    // The counters of this last read, for the next start (see `resume`).
    const sets = Object.fromEntries([...this.trackers].map(([name, t]) => [name, t.snapshot()]));
    await ensurePrivateDir(this.buffer.dir).catch(() => undefined);
    await writeFileAtomic(this.countersPath, JSON.stringify({ at: Date.now(), sets })).catch((err: unknown) => this.opts.log.warn({ err: message(err) }, 'flow counters not saved'));
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    for (const c of this.captures.values()) c.stop();
    this.captures.clear();
  }
}
