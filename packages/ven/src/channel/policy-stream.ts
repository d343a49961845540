/**
 * The long-lived policy stream: connect, parse Server-Sent Events, hand `policy` events to
 * the daemon; reconnect with backoff and jitter whenever the stream ends, fails, or stays
 * silent for longer than three pings. A PCE that says this VEN is unpaired ends the loop.
 *
 * The stream asks for deltas: after the first delivery of a connection, the PCE sends each
 * one as a delta of the one before it. `delivery(e)` decodes a `policy` event against the
 * connection's previous one; the handler must call it for every `policy` event, in order.
 */
import { isPalisadeError } from '@palisade/core/errors.ts';
import type { AgentClient } from './agent-client.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { DeliveryDecoder, type PolicyDelivery } from './delivery.ts';
import { SseParser, type SseEvent } from './sse-parser.ts';

export interface PolicyStreamHandlers {
  readonly onEvent: (e: SseEvent) => void;
  readonly onConnected: (connected: boolean, error?: unknown) => void;
  readonly onUnpaired: () => void;
}

export interface PolicyStreamOptions {
  readonly backoff?: BackoffOptions;
  /** Reconnect when nothing arrived for this long (the PCE pings every 15 s); default 45 s. */
  readonly idleMs?: number;
}

export class PolicyStream {
  private readonly backoff: Backoff;
  private readonly idleMs: number;
  private stopped = false;
  private immediate = false;
  private current: { destroy: () => void } | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly decoder = new DeliveryDecoder();

  constructor(
    private readonly client: AgentClient,
    private readonly handlers: PolicyStreamHandlers,
    opts: PolicyStreamOptions = {},
  ) {
    this.backoff = new Backoff(opts.backoff);
    this.idleMs = opts.idleMs ?? 45_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.destroy();
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /**
   * Drops the current connection and dials again at once. The daemon calls this after it
   * loaded a table onto a host that had none: a connection opened before conntrack ran in
   * the namespace is not tracked, and a stream only the PCE writes to would then look like
   * new inbound traffic to a default-deny input chain.
   */
  reconnect(): void {
    this.immediate = true;
    this.current?.destroy();
  }

  /**
   * The delivery of a `policy` event (throws an `invalid` error when it is not valid). A delta
   * of a delivery this connection did not read — which the PCE never sends — also drops the
   * connection: the next one starts with a full delivery.
   */
  delivery(e: SseEvent): PolicyDelivery {
    try {
      return this.decoder.decode(e.data);
    } catch (err) {
      // Not `reconnect()` (at once): a PCE that kept sending such deltas would be redialled in a tight loop; this waits the backoff.
      if (isPalisadeError(err) && err.token === 'delivery_base_unknown') this.current?.destroy();
      throw err;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.once();
        this.handlers.onConnected(false);
      } catch (err) {
        if (isPalisadeError(err) && err.token === 'agent_unpaired') {
          this.handlers.onConnected(false, err);
          this.handlers.onUnpaired();
          return;
        }
        this.handlers.onConnected(false, err);
      }
      if (this.stopped) return;
      if (this.immediate) this.immediate = false;
      else await this.sleep(this.backoff.next());
    }
  }

  /** One connection, until it ends. Resolves on a clean end, rejects on an error. */
  private async once(): Promise<void> {
    const res = await this.client.openPolicyStream({ deltas: true });
    if (this.stopped) {
      res.destroy();
      return;
    }
    this.decoder.reset();
    this.handlers.onConnected(true);
    const parser = new SseParser();
    res.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const arm = (): void => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => res.destroy(new Error(`no data from the PCE for ${this.idleMs} ms`)), this.idleMs);
      };
      this.current = { destroy: () => res.destroy() };
      arm();
      res.on('data', (chunk: string) => {
        arm();
        let events: SseEvent[];
        try {
          events = parser.feed(chunk);
        } catch (err) {
          res.destroy(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        for (const e of events) {
          if (e.event === 'unpaired') {
            this.stopped = true;
            this.handlers.onUnpaired();
            res.destroy();
            return;
          }
          // A stream that delivered something is healthy: the next drop starts from the shortest delay.
          this.backoff.reset();
          this.handlers.onEvent(e);
        }
      });
      const done = (err?: Error): void => {
        if (idle) clearTimeout(idle);
        this.current = undefined;
        if (err && !this.stopped) reject(err);
        else resolve();
      };
      res.once('end', () => done());
      res.once('close', () => done());
      res.once('error', (e) => done(e));
    });
  }
}
