/**
 * Make-before-break PSK rotation (packages/render/README.md, "PSK rotation"): nobody can
 * authenticate with a key its peer does not hold yet, so agents move through three steps,
 * each acknowledged by every agent before the next:
 *   1. {current: OLD, previous: NEW} — everyone accepts NEW, still authenticates with OLD;
 *   2. {current: NEW, previous: OLD} — everyone authenticates with NEW, still accepts OLD;
 *   3. {current: NEW}                — after `complete`.
 * The generation delivered to agents is a step number (3G when steady at key generation G;
 * 3G−2 and 3G−1 for steps 1 and 2 of the rotation to G); agents echo it back. Step 2 begins
 * by itself once every paired VEN has acknowledged step 1.
 */
import type { OrgRow, StoreTx } from '../store/store.ts';
import type { VenRecord } from './ven-record.ts';

export interface PskDelivery {
  readonly current: string;
  readonly previous: string | null;
  /** The step number agents echo back as `psk_generation`. */
  readonly generation: number;
}

/** VENs that use SecureConnect (reported a PSK step) and are still paired. */
export async function pskVens(tx: StoreTx, org: number): Promise<VenRecord[]> {
  return (await tx.listDocs(org, 'vens')).map((d) => JSON.parse(d.data) as VenRecord).filter((v) => v.status !== 'unpaired' && v.psk_generation !== undefined);
}

export function rotating(o: OrgRow): boolean {
  return o.psk_previous !== null;
}

/** The step every VEN must reach before the rotation may complete (or the steady step). */
export function readyStep(o: OrgRow): number {
  return rotating(o) ? 3 * o.psk_generation - 1 : 3 * o.psk_generation;
}

/** What agents receive now, given how far the VENs have got. */
export function pskDelivery(o: OrgRow, vens: readonly VenRecord[]): PskDelivery {
  const g = o.psk_generation;
  if (!rotating(o) || o.psk_previous === null) return { current: o.psk, previous: null, generation: 3 * g };
  const allAccept = vens.every((v) => (v.psk_generation ?? 0) >= 3 * g - 2);
  return allAccept ? { current: o.psk, previous: o.psk_previous, generation: 3 * g - 1 } : { current: o.psk_previous, previous: o.psk, generation: 3 * g - 2 };
}
