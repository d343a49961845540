/**
 * What the VEN keeps in its data directory (default /var/lib/palisade, mode 0700):
 *   identity.json   who this VEN is and how to reach its PCE, with the agent secret (0600)
 *   last-plan.json  the last delivery applied: re-applied at start before the PCE is reached (0600)
 *   local.json      local switches (`suspended`) that outlive a restart (0600)
 *   control.sock    the running daemon's control socket (0600; see control/)
 * Every file is written atomically through sys/files.ts and validated when read.
 */
import { join } from 'node:path';
import type { PalisadeError} from '@palisade/core/errors.ts';
import { invalid } from '@palisade/core/errors.ts';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { ensurePrivateDir, readFileIfExists, removeFile, writeFileAtomic } from '../sys/files.ts';
import { parseWorkloadPlan } from './plan-parser.ts';

export interface VenIdentity {
  readonly org_id: number;
  readonly agent_id: string;
  readonly secret: string;
  readonly pce_url: string;
  /** SHA-256 fingerprint of the PCE certificate (`AB:CD:…`); null for an http:// PCE. */
  readonly fingerprint: string | null;
  readonly ven_href: string;
  readonly workload_href: string;
  readonly hostname: string;
  readonly activated_at: string;
}

export interface PceEndpoint {
  readonly addresses: readonly string[];
  readonly port: number;
}

export interface StoredPlan {
  readonly delivery: number;
  readonly policy_version: number | null;
  readonly plan: WorkloadPlan;
  readonly pce: PceEndpoint;
  readonly applied_at: string;
}

export interface LocalSwitches {
  readonly suspended: boolean;
}

function corrupt(path: string, what: string): PalisadeError {
  return invalid('ven_state_corrupt', `${path}: ${what}. Re-pair the host ("palisade ven unpair", then "palisade ven activate") or restore the file.`);
}

function parseJson(path: string, text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw corrupt(path, 'not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt(path, 'not a JSON object');
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string, path: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw corrupt(path, `"${k}" must be a non-empty string`);
  return v;
}

export function parsePceEndpoint(v: unknown, where: string): PceEndpoint {
  if (typeof v !== 'object' || v === null) throw invalid('invalid_pce_endpoint', `${where} must be {"addresses": [...], "port": N}`);
  const o = v as Record<string, unknown>;
  const addresses = o['addresses'];
  const port = o['port'];
  if (!Array.isArray(addresses) || !addresses.every((a): a is string => typeof a === 'string')) throw invalid('invalid_pce_endpoint', `${where}.addresses must be an array of strings`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid('invalid_pce_endpoint', `${where}.port must be a port number`);
  return { addresses, port };
}

export class VenStateStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = dataDir;
  }

  get identityPath(): string {
    return join(this.dir, 'identity.json');
  }
  get planPath(): string {
    return join(this.dir, 'last-plan.json');
  }
  get localPath(): string {
    return join(this.dir, 'local.json');
  }
  get socketPath(): string {
    return join(this.dir, 'control.sock');
  }

  async init(): Promise<void> {
    await ensurePrivateDir(this.dir);
  }

  async readIdentity(): Promise<VenIdentity | undefined> {
    const p = this.identityPath;
    const text = await readFileIfExists(p);
    if (text === undefined) return undefined;
    const o = parseJson(p, text);
    const org = o['org_id'];
    if (typeof org !== 'number' || !Number.isInteger(org)) throw corrupt(p, '"org_id" must be an integer');
    const fp = o['fingerprint'];
    if (fp !== null && typeof fp !== 'string') throw corrupt(p, '"fingerprint" must be a string or null');
    return {
      org_id: org,
      agent_id: str(o, 'agent_id', p),
      secret: str(o, 'secret', p),
      pce_url: str(o, 'pce_url', p),
      fingerprint: fp,
      ven_href: str(o, 'ven_href', p),
      workload_href: str(o, 'workload_href', p),
      hostname: str(o, 'hostname', p),
      activated_at: str(o, 'activated_at', p),
    };
  }

  async requireIdentity(): Promise<VenIdentity> {
    const id = await this.readIdentity();
    if (!id) throw invalid('ven_not_activated', `this host is not paired (no ${this.identityPath}); run "palisade ven activate --pce URL --activation-code CODE${this.dir === '/var/lib/palisade' ? '' : ` --data-dir ${this.dir}`}" first`);
    return id;
  }

  async writeIdentity(id: VenIdentity): Promise<void> {
    await this.init();
    await writeFileAtomic(this.identityPath, JSON.stringify(id, null, 2) + '\n', 0o600);
  }

  async readPlan(): Promise<StoredPlan | undefined> {
    const p = this.planPath;
    const text = await readFileIfExists(p);
    if (text === undefined) return undefined;
    const o = parseJson(p, text);
    const delivery = o['delivery'];
    const version = o['policy_version'];
    if (typeof delivery !== 'number' || !Number.isInteger(delivery)) throw corrupt(p, '"delivery" must be an integer');
    if (version !== null && typeof version !== 'number') throw corrupt(p, '"policy_version" must be a number or null');
    return { delivery, policy_version: version, plan: parseWorkloadPlan(o['plan'], 'plan'), pce: parsePceEndpoint(o['pce'], 'pce'), applied_at: str(o, 'applied_at', p) };
  }

  async writePlan(plan: StoredPlan): Promise<void> {
    await writeFileAtomic(this.planPath, JSON.stringify(plan) + '\n', 0o600);
  }

  async readLocal(): Promise<LocalSwitches> {
    const text = await readFileIfExists(this.localPath);
    if (text === undefined) return { suspended: false };
    const o = parseJson(this.localPath, text);
    return { suspended: o['suspended'] === true };
  }

  async writeLocal(s: LocalSwitches): Promise<void> {
    await this.init();
    await writeFileAtomic(this.localPath, JSON.stringify(s) + '\n', 0o600);
  }

  /** Unpair: everything Palisade wrote here goes (the directory itself stays). */
  async removeAll(): Promise<void> {
    for (const p of [this.identityPath, this.planPath, this.localPath, this.socketPath]) await removeFile(p);
  }
}
