/**
 * The NFLOG contract between the nftables renderer and the flow collector (a later issue):
 * every logged packet carries a prefix `palisade-<reason>-<in|out> ` and goes to one of two
 * groups, so the collector needs only these two groups and this parser.
 *
 * | reason  | group | decision              | where                                                      |
 * | ------- | ----- | --------------------- | ---------------------------------------------------------- |
 * | `drop`  | 5     | `blocked`             | `full`: end of chain, default deny (rate limited 10/s)      |
 * | `deny`  | 5     | `blocked`             | `selective`, `full`: a deny rule dropped it                 |
 * | `pdeny` | 6     | `potentially_blocked` | `visibility_only`: a deny rule matched, the packet passed   |
 * | `pblk`  | 6     | `potentially_blocked` | `visibility_only`, `selective`: no allow rule matched, passed |
 * | `clear` | 5     | `blocked`             | every enforcing mode: plaintext with a SecureConnect peer (rate limited 10/s) |
 */

export const NFLOG_GROUP_BLOCKED = 5;
export const NFLOG_GROUP_POTENTIALLY_BLOCKED = 6;

/** `clear`: plaintext with a SecureConnect peer, dropped in every enforcing mode (DESIGN §4 item 6). */
export type LogReason = 'drop' | 'deny' | 'pdeny' | 'pblk' | 'clear';
export type LogDirection = 'in' | 'out';
export type LoggedDecision = 'blocked' | 'potentially_blocked';

const GROUP: Readonly<Record<LogReason, number>> = { drop: NFLOG_GROUP_BLOCKED, deny: NFLOG_GROUP_BLOCKED, clear: NFLOG_GROUP_BLOCKED, pdeny: NFLOG_GROUP_POTENTIALLY_BLOCKED, pblk: NFLOG_GROUP_POTENTIALLY_BLOCKED };

/** The prefix as nft writes it into the packet (the trailing space separates it from nothing, but keeps `nflog` dumps readable). */
export function logPrefix(reason: LogReason, direction: LogDirection): string {
  return `palisade-${reason}-${direction} `;
}

export function logGroup(reason: LogReason): number {
  return GROUP[reason];
}

/** The nft statement: `log group 5 prefix "palisade-drop-in "`. */
export function logStatement(reason: LogReason, direction: LogDirection): string {
  return `log group ${logGroup(reason)} prefix "${logPrefix(reason, direction)}"`;
}

export interface ParsedLogPrefix {
  readonly reason: LogReason;
  readonly direction: LogDirection;
  readonly decision: LoggedDecision;
}

const PREFIX = /^palisade-(drop|deny|pdeny|pblk|clear)-(in|out) ?$/;

/** For the flow collector: what an NFLOG prefix means; undefined for a prefix that is not ours. */
export function parseLogPrefix(prefix: string): ParsedLogPrefix | undefined {
  const m = PREFIX.exec(prefix);
  if (!m) return undefined;
  const reason = m[1] as LogReason;
  const direction = m[2] as LogDirection;
  return { reason, direction, decision: reason === 'drop' || reason === 'deny' || reason === 'clear' ? 'blocked' : 'potentially_blocked' };
}
