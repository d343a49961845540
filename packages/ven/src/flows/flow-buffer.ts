/**
 * The on-disk flow buffer (issue 6): batches wait here until the PCE took them, so a PCE
 * outage or a VEN restart loses nothing, and a batch is resent with the same `batch_id` so
 * nothing is counted twice (the PCE answers a seen id with 202 and stores nothing).
 *
 * Under `<data-dir>/flows/`: append-only segment files `seg-<ms>.jsonl`, one batch per line
 * (`{"batch_id", "at", "flows"}`, fsynced before the append returns), and `state.json` (the
 * position acknowledged so far, the count of flows dropped and not yet reported, and the
 * `dropped` value stamped on the head batch when it was first sent, so a resend carries the
 * same). Segments rotate by age and size; a fully acknowledged segment is deleted. Bounded:
 * segments older than `maxAgeMs` (24 h) or beyond `maxBytes` go, oldest first, and the flows
 * they held are counted into `dropped` (sent with the next batch).
 */
import { join } from 'node:path';
import { appendDurable, fileSize, listDirectory, readText, removeTree } from '../sys/flow-io.ts';
import { ensurePrivateDir, readFileIfExists, removeFile, writeFileAtomic } from '../sys/files.ts';
import type { FlowRecord } from './flow-aggregator.ts';

export interface FlowBatch {
  readonly batch_id: string;
  /** When it was made (ms since the epoch). */
  readonly at: number;
  readonly flows: readonly FlowRecord[];
}

export interface FlowBufferOptions {
  /** Default 24 h. */
  readonly maxAgeMs?: number;
  /** Default 256 MiB. */
  readonly maxBytes?: number;
  /** A segment takes appends for this long (default 1 h)… */
  readonly segmentMaxAgeMs?: number;
  /** …or until it is this big (default 8 MiB). */
  readonly segmentMaxBytes?: number;
}

interface BufferState {
  /** The segment holding the next unacknowledged batch and how many of its lines are acknowledged. */
  segment: string | null;
  acked: number;
  /** Flows dropped (buffer full or too old) and not yet reported. */
  dropped: number;
  /** The head batch as first sent: resent with the same `dropped`. */
  head: { batch_id: string; dropped: number } | null;
}

const SEGMENT = /^seg-(\d{13})\.jsonl$/;

function segmentName(at: number): string {
  return `seg-${String(at).padStart(13, '0')}.jsonl`;
}

function parseLines(text: string): FlowBatch[] {
  const out: FlowBatch[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as FlowBatch);
    } catch {
      // a line cut by a crash mid-append: its batch was never acknowledged to anyone
    }
  }
  return out;
}

export class FlowBuffer {
  readonly dir: string;
  private readonly statePath: string;
  private state: BufferState = { segment: null, acked: 0, dropped: 0, head: null };
  private loaded = false;
  private readonly opts: Required<FlowBufferOptions>;

  constructor(dataDir: string, opts: FlowBufferOptions = {}) {
    this.dir = join(dataDir, 'flows');
    this.statePath = join(this.dir, 'state.json');
    this.opts = { maxAgeMs: opts.maxAgeMs ?? 24 * 3600_000, maxBytes: opts.maxBytes ?? 256 * 1024 * 1024, segmentMaxAgeMs: opts.segmentMaxAgeMs ?? 3600_000, segmentMaxBytes: opts.segmentMaxBytes ?? 8 * 1024 * 1024 };
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    await ensurePrivateDir(this.dir);
    const text = await readFileIfExists(this.statePath);
    if (text !== undefined) {
      try {
        this.state = { ...this.state, ...(JSON.parse(text) as Partial<BufferState>) };
      } catch {
        // unreadable state: start from the oldest segment (the PCE ignores batch ids it has seen)
      }
    }
    this.loaded = true;
  }

  private async saveState(): Promise<void> {
    await writeFileAtomic(this.statePath, JSON.stringify(this.state));
  }

  /** Segment names, oldest first. */
  private async segments(): Promise<string[]> {
    return (await listDirectory(this.dir)).filter((n) => SEGMENT.test(n)).sort();
  }

  /** Appends a batch (durably) to the newest segment, or a new one. */
  async append(batch: FlowBatch): Promise<void> {
    await this.load();
    const segs = await this.segments();
    const last = segs[segs.length - 1];
    let target = last;
    if (last !== undefined) {
      const started = Number(SEGMENT.exec(last)?.[1] ?? 0);
      if (batch.at - started >= this.opts.segmentMaxAgeMs || (await fileSize(join(this.dir, last))) >= this.opts.segmentMaxBytes) target = undefined;
    }
    if (target === undefined) {
      let at = batch.at;
      while (last !== undefined && segmentName(at) <= last) at++; // names stay in order even if the clock went back
      target = segmentName(at);
    }
    await appendDurable(join(this.dir, target), `${JSON.stringify(batch)}\n`);
  }

  /** The oldest batch not yet acknowledged, with the `dropped` count to send with it; undefined when all are. */
  async head(): Promise<{ batch: FlowBatch; dropped: number } | undefined> {
    await this.load();
    for (const seg of await this.segments()) {
      if (this.state.segment !== null && seg < this.state.segment) {
        await removeFile(join(this.dir, seg)); // acknowledged before a crash, not yet deleted
        continue;
      }
      const skip = seg === this.state.segment ? this.state.acked : 0;
      const batches = parseLines(await readText(join(this.dir, seg)));
      const batch = batches[skip];
      if (batch === undefined) {
        if (seg !== (await this.segments()).at(-1)) {
          await removeFile(join(this.dir, seg));
          continue;
        }
        return undefined;
      }
      if (this.state.segment !== seg) {
        this.state.segment = seg;
        this.state.acked = skip;
      }
      if (this.state.head?.batch_id !== batch.batch_id) {
        this.state.head = { batch_id: batch.batch_id, dropped: this.state.dropped };
        this.state.dropped = 0;
        await this.saveState();
      }
      return { batch, dropped: this.state.head.dropped };
    }
    return undefined;
  }

  /** The head batch was taken by the PCE (or refused for good): move past it. */
  async ack(batchId: string): Promise<void> {
    await this.load();
    if (this.state.head?.batch_id !== batchId || this.state.segment === null) return;
    this.state.acked++;
    this.state.head = null;
    await this.saveState();
  }

  /** Counts flows as dropped (a batch the PCE refused for good). */
  async countDropped(n: number): Promise<void> {
    await this.load();
    this.state.dropped += n;
    await this.saveState();
  }

  /** Drops whole segments, oldest first, while the buffer is older than maxAge or bigger than maxBytes (the newest segment always stays). Returns the flows dropped. */
  async trim(now: number): Promise<number> {
    await this.load();
    let segs = await this.segments();
    let dropped = 0;
    for (;;) {
      if (segs.length <= 1) break;
      const sizes = await Promise.all(segs.map((s) => fileSize(join(this.dir, s))));
      const total = sizes.reduce((a, b) => a + b, 0);
      const oldest = segs[0] ?? '';
      const batches = parseLines(await readText(join(this.dir, oldest)));
      const newest = batches.reduce((m, b) => Math.max(m, b.at), 0);
      if (total <= this.opts.maxBytes && now - newest <= this.opts.maxAgeMs) break;
      const skip = oldest === this.state.segment ? this.state.acked : 0;
      const lost = batches.slice(skip).reduce((n, b) => n + b.flows.length, 0);
      // A head already sent with its dropped count: that count is lost with it, so carry it on.
      if (oldest === this.state.segment && this.state.head) this.state.dropped += this.state.head.dropped;
      dropped += lost;
      this.state.dropped += lost;
      this.state.segment = null;
      this.state.acked = 0;
      this.state.head = null;
      await this.saveState();
      await removeFile(join(this.dir, oldest));
      segs = segs.slice(1);
    }
    return dropped;
  }

  /** Removes the buffer and everything in it (unpair). */
  async remove(): Promise<void> {
    await removeTree(this.dir);
    this.state = { segment: null, acked: 0, dropped: 0, head: null };
    this.loaded = false;
  }

  /** Flows dropped and not yet reported (for tests and status). */
  async pendingDropped(): Promise<number> {
    await this.load();
    return this.state.dropped + (this.state.head?.dropped ?? 0);
  }
}
