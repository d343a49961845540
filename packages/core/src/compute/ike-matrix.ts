/**
 * Which IKE version a SecureConnect pair speaks (DESIGN §4 item 7, from the later edition of
 * the seed's matrix): anything with Windows Server 2008 is IKEv1; Linux and Windows 2012+ in
 * any combination is IKEv2. A Windows host whose release is unknown is taken as 2012+ (2008
 * is out of support; guessing IKEv1 would weaken every pair with it).
 */
import type { OsType } from '../model/common.ts';
import type { ComputeWorkload, IkeVersion } from './types.ts';

export interface OsView {
  readonly os_type: OsType;
  readonly os_version: string;
}

export function isWindows2008(w: OsView): boolean {
  return w.os_type === 'windows' && w.os_version.trim().startsWith('2008');
}

/** Null when either side runs an OS without SecureConnect (AIX, Solaris). */
export function ikeVersion(a: OsView, b: OsView): IkeVersion | null {
  const ok = (w: OsView): boolean => w.os_type === 'linux' || w.os_type === 'windows';
  if (!ok(a) || !ok(b)) return null;
  return isWindows2008(a) || isWindows2008(b) ? 'ikev1' : 'ikev2';
}

/** DESIGN §4 item 5: idle, unmanaged, AIX and Solaris workloads get no SAs. */
export function secureConnectCapable(w: ComputeWorkload): boolean {
  return w.managed && w.enforcement_mode !== 'idle' && (w.os_type === 'linux' || w.os_type === 'windows');
}

/** Why a workload cannot do SecureConnect, for diagnostics. */
export function incapableReason(w: ComputeWorkload): string {
  if (!w.managed) return 'unmanaged';
  if (w.os_type === 'aix') return 'AIX';
  if (w.os_type === 'solaris') return 'Solaris';
  return 'idle';
}
