/**
 * The VEN's own charon (LAB.md "strongSwan"): everything under `<data-dir>/ipsec/` — its
 * strongswan.conf (see render/strongswan/strongswan-conf.ts), its vici socket, its file log,
 * and the swanctl directory the VEN renders into.
 */
import { join } from 'node:path';
import { renderStrongswanConf } from '@palisade/render/strongswan/strongswan-conf.ts';

export interface CharonPaths {
  readonly dir: string;
  readonly conf: string;
  readonly vici: string;
  readonly viciUri: string;
  readonly log: string;
  readonly pidFile: string;
  readonly swanctlDir: string;
  readonly swanctlConf: string;
  readonly secrets: string;
}

export function charonPaths(dataDir: string): CharonPaths {
  const dir = join(dataDir, 'ipsec');
  const vici = join(dir, 'charon.vici');
  const swanctlDir = join(dir, 'swanctl');
  return {
    dir,
    conf: join(dir, 'strongswan.conf'),
    vici,
    viciUri: `unix://${vici}`,
    log: join(dir, 'charon.log'),
    pidFile: join(dir, 'charon.pid'),
    swanctlDir,
    swanctlConf: join(swanctlDir, 'swanctl.conf'),
    secrets: join(swanctlDir, 'palisade-secrets.conf'),
  };
}

/** The VEN's strongswan.conf (rendered by @palisade/render). */
export function strongswanConf(p: CharonPaths): string {
  return renderStrongswanConf({ log: p.log, vici: p.viciUri });
}

export function charonEnv(p: CharonPaths): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', STRONGSWAN_CONF: p.conf, SWANCTL_DIR: p.swanctlDir };
}
