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

/** 0: Linux or Windows 2012+; 1: Windows 2008; 2: no IPsec at all (AIX, Solaris). */
export type IkeClass = 0 | 1 | 2;

export function ikeClass(w: OsView): IkeClass {
  if (w.os_type !== 'linux' && w.os_type !== 'windows') return 2;
  return isWindows2008(w) ? 1 : 0;
}

export function ikeVersionOf(a: IkeClass, b: IkeClass): IkeVersion | null {
  if (a === 2 || b === 2) return null;
  return a === 1 || b === 1 ? 'ikev1' : 'ikev2';
}

/** Null when either side runs an OS without SecureConnect (AIX, Solaris). */
export function ikeVersion(a: OsView, b: OsView): IkeVersion | null {
  return ikeVersionOf(ikeClass(a), ikeClass(b));
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
