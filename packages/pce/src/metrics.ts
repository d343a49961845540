/** Prometheus metrics at /metrics (prom-client, one registry per PCE instance). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly #registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #latency: Histogram<'method' | 'route'>;
  readonly provisions: Counter;
  /** Answers sent straight from memory by the hot path (api/hot-lists.ts). */
  readonly hotAnswers: Counter;

  constructor(collectDefaults = true) {
    if (collectDefaults) collectDefaultMetrics({ register: this.#registry, prefix: 'palisade_' });
    this.#requests = new Counter({ name: 'palisade_http_requests_total', help: 'API requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.#registry] });
    this.#latency = new Histogram({
      name: 'palisade_http_request_duration_seconds',
      help: 'API request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.#registry],
    });
    this.provisions = new Counter({ name: 'palisade_policy_provisions_total', help: 'Policy versions provisioned', registers: [this.#registry] });
    this.hotAnswers = new Counter({ name: 'palisade_http_hot_answers_total', help: 'API answers sent from memory (cached lists, verified keys) without the full request pipeline', registers: [this.#registry] });
  }

  /**
   * Label children per route and status, made once: a request then builds no label objects
   * and looks up no child. (prom-client still hashes the labels inside each `inc` and
   * `observe`; together they are about 2 µs of a hot-path answer's ~50 µs on this machine.)
   */
  readonly #children = new Map<string, { readonly requests: { inc(): void }; readonly latency: { observe(v: number): void } }>();

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const k = `${method} ${status} ${route}`;
    let c = this.#children.get(k);
    if (!c) {
      c = { requests: this.#requests.labels({ method, route, status: String(status) }), latency: this.#latency.labels({ method, route }) };
      this.#children.set(k, c);
    }
    c.requests.inc();
    c.latency.observe(seconds);
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  render(): Promise<string> {
    return this.#registry.metrics();
  }
}
