/**
 * When to look for tampering: on every `nft monitor` event (debounced: one `nft flush
 * ruleset` is many lines) and periodically, in case events were missed. What to do is the
 * daemon's call (`onSuspect`): compare with what was applied, restore, report.
 */
import type { Nft } from '../sys/nft.ts';
import type { LineProcess } from '../sys/run-command.ts';

export interface TamperWatchOptions {
  readonly nft: Nft;
  readonly onSuspect: (why: 'event' | 'periodic') => void;
  /** Default 30 s. */
  readonly intervalMs?: number;
  /** Default 200 ms. */
  readonly debounceMs?: number;
}

export class TamperWatch {
  private monitor: LineProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private restart: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: TamperWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.spawnMonitor();
    this.timer = setInterval(() => this.opts.onSuspect('periodic'), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  private spawnMonitor(): void {
    this.monitor = this.opts.nft.monitor(
      (line) => {
        if (line.trim() === '') return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.opts.onSuspect('event'), this.opts.debounceMs ?? 200);
      },
      () => {
        this.monitor = undefined;
        // nft monitor should never end; if it does, the periodic check covers us until it is back.
        if (!this.stopped) this.restart = setTimeout(() => this.spawnMonitor(), 5_000);
      },
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.restart) clearTimeout(this.restart);
    this.monitor?.stop();
  }
}
