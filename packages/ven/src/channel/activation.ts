/**
 * `palisade ven activate`: pair this host with a pairing profile's activation code, pin the
 * PCE's certificate, and store the VEN's identity and secret root-only.
 */
import { invalid } from '@palisade/core/errors.ts';
import { hostFacts, type HostFacts } from '../host/host-facts.ts';
import { VenStateStore, type VenIdentity } from '../state/ven-state-store.ts';
import { normalizeFingerprint } from './pinned-agent.ts';
import { PceTransport } from './pce-transport.ts';

export const AGENT_VERSION = '0.1.0';

export interface ActivateOptions {
  readonly pceUrl: string;
  /** `CODE` or `CODE@FINGERPRINT` (the fingerprint travelling with the code). */
  readonly activationCode: string;
  readonly fingerprint?: string | undefined;
  readonly dataDir: string;
  /** Host facts to report; read from this host when absent. */
  readonly facts?: HostFacts;
  /** Replace an existing identity (default: refuse, the old pairing would be orphaned). */
  readonly force?: boolean;
  readonly now?: () => Date;
}

/** Splits `CODE@FINGERPRINT`; a fingerprint in both places must agree. */
export function splitActivationCode(raw: string, flag: string | undefined): { code: string; fingerprint: string | null } {
  const at = raw.lastIndexOf('@');
  const code = (at === -1 ? raw : raw.slice(0, at)).trim();
  if (code === '') throw invalid('invalid_activation_code', 'the activation code is empty; get one with POST /orgs/{org}/pairing_profiles/{id}/pairing_key');
  const fromCode = at === -1 ? undefined : raw.slice(at + 1);
  const parsed = [fromCode, flag].map((f) => {
    if (f === undefined) return undefined;
    const n = normalizeFingerprint(f);
    if (!n) throw invalid('invalid_fingerprint', `"${f}" is not a SHA-256 fingerprint (64 hex digits, AB:CD:… as "palisade pce start" prints it)`);
    return n;
  });
  const [a, b] = parsed;
  if (a && b && a !== b) throw invalid('fingerprint_conflict', 'the fingerprint in the activation code and --fingerprint differ; check which one the PCE prints');
  return { code, fingerprint: a ?? b ?? null };
}

export async function activate(opts: ActivateOptions): Promise<VenIdentity> {
  const store = new VenStateStore(opts.dataDir);
  if (!opts.force && (await store.readIdentity())) {
    throw invalid('ven_already_activated', `this host is already paired (${store.identityPath}); run "palisade ven unpair" first`);
  }
  const { code, fingerprint } = splitActivationCode(opts.activationCode, opts.fingerprint);
  const transport = new PceTransport({ url: opts.pceUrl, fingerprint });
  const facts = opts.facts ?? (await hostFacts());
  try {
    const res = await transport.json('POST', '/api/v2/agent/activate', {
      activation_code: code,
      hostname: facts.hostname,
      os_type: facts.os_type,
      os_version: facts.os_version,
      interfaces: facts.interfaces,
      agent_version: AGENT_VERSION,
    });
    const b = res.body as Record<string, unknown> | undefined;
    const ven = b?.['ven'] as { href?: unknown } | undefined;
    const wl = b?.['workload'] as { href?: unknown } | undefined;
    if (typeof b?.['org_id'] !== 'number' || typeof b['agent_id'] !== 'string' || typeof b['secret'] !== 'string' || typeof ven?.href !== 'string' || typeof wl?.href !== 'string') {
      throw invalid('invalid_activation_answer', 'the PCE answered the activation without org_id, agent_id, secret, ven and workload');
    }
    const identity: VenIdentity = {
      org_id: b['org_id'],
      agent_id: b['agent_id'],
      secret: b['secret'],
      pce_url: transport.url.origin,
      fingerprint,
      ven_href: ven.href,
      workload_href: wl.href,
      hostname: facts.hostname,
      activated_at: (opts.now ?? (() => new Date()))().toISOString(),
    };
    if (opts.force) await store.removeAll();
    await store.writeIdentity(identity);
    await store.writeLocal({ suspended: false });
    return identity;
  } finally {
    transport.close();
  }
}
