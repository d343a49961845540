/** The running PCE's parts, built once by main and handed to the API and services. */
import type { ApiKeyAuth } from './auth/api-key-auth.ts';
import type { RateLimiter } from './auth/rate-limiter.ts';
import type { RouteRegistry } from './api/route-registry.ts';
import type { PceEnv } from './env.ts';
import type { Metrics } from './metrics.ts';
import type { Store } from './store/store.ts';
import type { ListCache } from './services/list-cache.ts';
import type { ComputeService } from './compute/compute-service.ts';
import type { AgentHub } from './agents/agent-hub.ts';
import type { VenStateWriter } from './agents/ven-state-writer.ts';
import type { PskCache } from './agents/psk-cache.ts';
import type { FlowIngest } from './flows/flow-ingest.ts';

export interface Pce {
  readonly version: string;
  /** SHA-256 of the PCE's TLS certificate (what agents pin), null when TLS is off. */
  readonly tlsFingerprint: string | null;
  readonly store: Store;
  readonly env: PceEnv;
  readonly auth: ApiKeyAuth;
  readonly limiter: RateLimiter;
  readonly registry: RouteRegistry;
  readonly metrics: Metrics;
  /** Rendered workload lists; invalidated by workload and label writes. */
  readonly workloadLists: ListCache;
  /** Per-org policy engines: plans, policy check, what a change affects. */
  readonly compute: ComputeService;
  /** Connected agents (policy push). */
  readonly agents: AgentHub;
  /** Group-committed VEN state updates (deliveries, acks, heartbeats). */
  readonly venState: VenStateWriter;
  /** The org PSKs as delivered to agents. */
  readonly psk: PskCache;
  /** Flow ingest from agents (attribution, policy decisions). */
  readonly flows: FlowIngest;
}
