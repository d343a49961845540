/**
 * `palisade ven activate|run|status|suspend|unsuspend|unpair [--data-dir DIR]`: the agent on
 * this host. The VEN package is loaded only when a `ven` command runs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { invalid } from '@palisade/core/errors.ts';
import type { VenStatus } from '@palisade/ven/main.ts';
import type { CliIo } from '../io.ts';
import { json } from '../output.ts';

const DEFAULT_DATA_DIR = '/var/lib/palisade';

interface DataDirFlags {
  readonly dataDir: string;
  readonly json?: boolean;
}

interface ActivateFlags extends DataDirFlags {
  readonly pce?: string;
  readonly activationCode?: string;
  readonly fingerprint?: string;
  readonly force?: boolean;
}

function requireRootIfDefault(dir: string): void {
  if (dir === DEFAULT_DATA_DIR && process.getuid?.() !== 0) throw invalid('ven_needs_root', `the VEN manages the host firewall and ${DEFAULT_DATA_DIR}: run it as root (sudo)`);
}

function dataDir(io: CliIo, flags: DataDirFlags): string {
  const dir = resolve(io.cwd, flags.dataDir);
  requireRootIfDefault(dir);
  return dir;
}

type ScStatus = NonNullable<VenStatus['secure_connect']>;

/** One line per SecureConnect peer: SA state (established / connecting / down / error), IKE version, addresses, why. */
function printSecureConnect(io: CliIo, sc: ScStatus): void {
  io.out(`${'secureconnect'.padEnd(17)} ${sc.peers.length} peer${sc.peers.length === 1 ? '' : 's'}, charon ${sc.charon_pid === null ? 'not running' : `pid ${sc.charon_pid}`}`);
  for (const p of sc.peers) {
    const sa = p.ike_sa ? ` ${p.ike_sa.conn}#${p.ike_sa.unique_id}` : '';
    io.out(`  ${p.sa.padEnd(12)} ${(p.ike_version ?? '-').padEnd(6)} ${p.name} (${p.addresses.join(', ')})${sa}${p.reason ? ` — ${p.reason}` : ''}`);
  }
}

export function registerVenCommands(program: Command, io: CliIo, run: (fn: () => Promise<unknown>) => Promise<void>): void {
  const ven = program.command('ven').description('the agent (VEN) on this host: pair it, run it, suspend it');
  const withDir = (c: Command): Command => c.option('--data-dir <dir>', 'VEN data directory (identity, last plan; root only)', DEFAULT_DATA_DIR);

  withDir(ven.command('activate'))
    .description('pair this host with a PCE using a pairing profile activation code')
    .option('--pce <url>', 'PCE URL, e.g. https://pce.example:8443')
    .option('--activation-code <code>', 'activation code (CODE or CODE@FINGERPRINT)')
    .option('--fingerprint <sha256>', "the PCE certificate's SHA-256 fingerprint (printed by \"palisade pce start\")")
    .option('--force', 'replace an existing pairing of this host')
    .option('--json', 'print JSON')
    .action((flags: ActivateFlags) =>
      run(async () => {
        if (!flags.pce) throw invalid('pce_url_missing', 'which PCE? pass --pce URL (e.g. https://pce.example:8443)');
        if (!flags.activationCode) throw invalid('activation_code_missing', 'pass --activation-code CODE (from POST /orgs/{org}/pairing_profiles/{id}/pairing_key)');
        const { activateVen } = await import('@palisade/ven/main.ts');
        const id = await activateVen({ pceUrl: flags.pce, activationCode: flags.activationCode, fingerprint: flags.fingerprint, dataDir: dataDir(io, flags), force: flags.force === true });
        if (flags.json) json(io, { agent_id: id.agent_id, ven: { href: id.ven_href }, workload: { href: id.workload_href }, pce_url: id.pce_url, fingerprint: id.fingerprint });
        else {
          io.out(`Paired with ${id.pce_url} as ${id.hostname}: VEN ${id.ven_href}, workload ${id.workload_href}`);
          io.out(`Identity stored in ${resolve(io.cwd, flags.dataDir)}/identity.json (mode 0600). Start the agent: palisade ven run`);
        }
      }),
    );

  withDir(ven.command('run'))
    .description('run the agent daemon: receive policy, enforce it with nftables, keep it applied')
    .action((flags: DataDirFlags) =>
      run(async () => {
        const dir = dataDir(io, flags);
        const { runVen } = await import('@palisade/ven/main.ts');
        const log = pino({ level: io.env['PALISADE_LOG_LEVEL'] ?? 'info', base: { component: 'ven' } });
        const daemon = await runVen({ dataDir: dir, log });
        await daemon.done;
      }),
    );

  withDir(ven.command('status'))
    .description("this host's pairing, the applied policy, and whether the daemon runs")
    .option('--json', 'print JSON')
    .action((flags: DataDirFlags) =>
      run(async () => {
        const { venStatus } = await import('@palisade/ven/main.ts');
        const s = await venStatus(dataDir(io, flags));
        if (flags.json) {
          json(io, s);
          return;
        }
        const rows: [string, string][] = [
          ['daemon', s.daemon ? 'running' : 'not running'],
          ['pce', s.pce_url],
          ['connected', s.connected === null ? '-' : String(s.connected)],
          ['ven', s.ven_href],
          ['workload', s.workload_href],
          ['suspended', String(s.suspended)],
          ['mode', s.enforcement_mode ?? '-'],
          ['visibility', s.visibility_level ?? '-'],
          ['policy version', s.policy_version === null ? '-' : String(s.policy_version)],
          ['applied delivery', s.applied_delivery === null ? '-' : String(s.applied_delivery)],
          ['sync', s.sync_state + (s.message ? `: ${s.message}` : '')],
        ];
        for (const [k, v] of rows) io.out(`${k.padEnd(17)} ${v}`);
        if (s.secure_connect) printSecureConnect(io, s.secure_connect);
      }),
    );

  withDir(ven.command('suspend'))
    .description('remove the firewall rules (SecureConnect stays); the daemon keeps receiving policy')
    .action((flags: DataDirFlags) =>
      run(async () => {
        const { suspendVen } = await import('@palisade/ven/main.ts');
        const r = await suspendVen(dataDir(io, flags));
        io.out(`Suspended: table inet palisade removed${r.daemon ? '' : ' (no daemon running; it stays suspended when started)'}`);
      }),
    );

  withDir(ven.command('unsuspend'))
    .description('re-apply the last policy')
    .action((flags: DataDirFlags) =>
      run(async () => {
        const { unsuspendVen } = await import('@palisade/ven/main.ts');
        const r = await unsuspendVen(dataDir(io, flags));
        io.out(`Unsuspended: last policy re-applied${r.daemon ? '' : ' (no daemon running)'}`);
      }),
    );

  withDir(ven.command('unpair'))
    .description('tell the PCE, remove everything Palisade installed on this host, stop the daemon')
    .action((flags: DataDirFlags) =>
      run(async () => {
        const { unpairVen } = await import('@palisade/ven/main.ts');
        const r = await unpairVen(dataDir(io, flags));
        io.out(`Unpaired: table inet palisade and the VEN's files removed${r.daemon ? ', daemon stopped' : ''}`);
        if (!r.pce_told) io.err('warning: the PCE could not be reached; unpair this VEN there too (PUT /orgs/{org}/vens/unpair)');
      }),
    );
}
