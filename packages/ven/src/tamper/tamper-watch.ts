/**
 * When to look for tampering, and how deep: on every `nft monitor` event (debounced: one
 * `nft flush ruleset` is many lines) and periodically, in case events were missed. A check
 * is shallow (structure only: cheap whatever the sets hold) unless set members of our table
 * may have changed: an element event of our table, or nft saying it lost events. Our own
 * applies produce element events too; the deep check that follows is the member read-back
 * the apply itself leaves out. Every `deepEvery`-th periodic check is deep as well. What to
 * do is the daemon's call (`onSuspect`): compare with what was applied, restore, report.
 */
import type { Nft } from '../sys/nft.ts';
import type { LineProcess } from '../sys/run-command.ts';

export interface TamperWatchOptions {
  readonly nft: Nft;
  /** `deep`: the set members need reading back too. */
  readonly onSuspect: (why: 'event' | 'periodic', deep: boolean) => void;
  /** Palisade's table (family inet); default `palisade`. */
  readonly table?: string;
  /** Default 30 s. */
  readonly intervalMs?: number;
  /** Every how many periodic checks one is deep; default 10 (every 5 min at the default interval). */
  readonly deepEvery?: number;
  /** Default 200 ms. */
  readonly debounceMs?: number;
}

export class TamperWatch {
  private monitor: LineProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private restart: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticks = 0;
  private eventDeep = false;
  private readonly memberEvent: RegExp;

  constructor(private readonly opts: TamperWatchOptions) {
    this.memberEvent = new RegExp(`^(add|delete) element inet ${opts.table ?? 'palisade'} `);
  }

  start(): void {
    this.stopped = false;
    this.spawnMonitor();
    const every = Math.max(1, this.opts.deepEvery ?? 10);
    this.timer = setInterval(() => this.opts.onSuspect('periodic', ++this.ticks % every === 0), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  private spawnMonitor(): void {
    this.monitor = this.opts.nft.monitor(
      (line) => {
        if (line.trim() === '') return;
        // `# ERROR: We lost some` when the netlink buffer overflowed (a 50k-element load does that).
        if (!this.eventDeep && (line.startsWith('# ERROR') || this.memberEvent.test(line))) this.eventDeep = true;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          const deep = this.eventDeep;
          this.eventDeep = false;
          this.opts.onSuspect('event', deep);
        }, this.opts.debounceMs ?? 200);
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
