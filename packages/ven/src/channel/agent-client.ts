/** The agent's calls to its PCE once paired (docs/agent-channel.md), one method per endpoint. */
import type { IncomingMessage } from 'node:http';
import type { VenIdentity } from '../state/ven-state-store.ts';
import { PceTransport } from './pce-transport.ts';

export type SyncState = 'synced' | 'applying' | 'error';

export interface HostInterface {
  readonly name: string;
  readonly address: string;
  readonly cidr_block?: number;
}

export interface Heartbeat {
  readonly applied_delivery?: number;
  readonly sync_state: SyncState;
  readonly message?: string;
  readonly interfaces?: readonly HostInterface[];
  readonly suspended: boolean;
  /** The SecureConnect PSK generation in use (PSK rotation). */
  readonly psk_generation?: number;
}

/** `POST /agent/secure_connect`: SA state per SecureConnect peer, MTU warnings. */
export interface SecureConnectStateReport {
  readonly peers: readonly { readonly workload: { readonly href: string }; readonly state: 'up' | 'down' | 'error'; readonly reason?: string; readonly ike_version?: 'ikev1' | 'ikev2' }[];
  readonly mtu_warnings?: readonly { readonly interface: string; readonly mtu: number }[];
}

export interface AgentEvent {
  readonly type: string;
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const BASE = '/api/v2/agent';

export class AgentClient {
  readonly transport: PceTransport;

  constructor(identity: Pick<VenIdentity, 'pce_url' | 'fingerprint' | 'agent_id' | 'secret'>, maxSockets?: number) {
    this.transport = new PceTransport({
      url: identity.pce_url,
      fingerprint: identity.fingerprint,
      credentials: { agentId: identity.agent_id, secret: identity.secret },
      ...(maxSockets === undefined ? {} : { maxSockets }),
    });
  }

  /** `deltas`: the PCE may send each delivery as a delta of the one before (decode with a `DeliveryDecoder`). */
  openPolicyStream(opts: { readonly deltas?: boolean } = {}): Promise<IncomingMessage> {
    return this.transport.stream(`${BASE}/policy/stream${opts.deltas ? '?deltas=1' : ''}`);
  }

  async ack(delivery: number, hash: string, status: 'applied' | 'error', message?: string, pskGeneration?: number): Promise<void> {
    await this.transport.json('POST', `${BASE}/ack`, { delivery, hash, status, ...(message === undefined ? {} : { message: message.slice(0, 4096) }), ...(pskGeneration === undefined ? {} : { psk_generation: pskGeneration }) });
  }

  async secureConnect(report: SecureConnectStateReport): Promise<void> {
    await this.transport.json('POST', `${BASE}/secure_connect`, report);
  }

  async heartbeat(h: Heartbeat): Promise<void> {
    await this.transport.json('POST', `${BASE}/heartbeat`, { ...h, ...(h.message === undefined ? {} : { message: h.message.slice(0, 4096) }) });
  }

  async events(events: readonly AgentEvent[]): Promise<void> {
    await this.transport.json('POST', `${BASE}/events`, { events });
  }

  async deactivate(): Promise<void> {
    await this.transport.json('POST', `${BASE}/deactivate`, {});
  }

  close(): void {
    this.transport.close();
  }
}
