/**
 * Why IKE with a peer does not come up, read from the VEN's own charon log. charon keeps no
 * failed IKE SA to list (it is destroyed), so the log is where the reason is: the rendered
 * strongswan.conf names the IKE SA on every line (`ike_name = yes`: `<conn-x-v4|3>`), and the
 * last outcome per connection wins: an establishment clears a failure seen before it.
 * Messages are charon's level-1 lines (strongSwan 5.9): authentication failures (a certificate
 * from another CA, a wrong PSK) make the peer `error` (it cannot come up without an operator);
 * an unanswered attempt or a refused proposal leaves it `down`.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';

export interface IkeFailure {
  /** charon's message, without the log prefix. */
  readonly message: string;
  /** An authentication failure (needs an operator), not a transient one. */
  readonly auth: boolean;
}

const AUTH_FAILURES = [
  /received AUTHENTICATION_FAILED notify error/,
  /constraint check failed: .*/,
  /no trusted \S+ public key found for '.*'/,
  /tried \d+ public keys? for '.*' and none succeeded/,
  /tried \d+ shared keys? for '.*', but MAC mismatched/,
  /no shared key found for '.*'/,
  /no private key found for '.*'/,
  /certificate status is not available/,
  /peer authentication failed/,
];
const OTHER_FAILURES = [/received NO_PROPOSAL_CHOSEN notify error/, /giving up after \d+ retransmits/, /establishing IKE_SA failed, peer not responding/];
const ESTABLISHED = /IKE_SA \S+\[\d+\] established between/;

/** `… 12[IKE] <conn-x-v4|3> message` → conn, IKE SA unique id and message. */
const LINE = /\[[A-Z]{3}\] <([A-Za-z0-9._-]+)\|(\d+)> (.*)$/;
/** What the side that rejected us (or gave up on the peer) says last; a specific reason logged before it in the same IKE SA is kept. */
const GENERIC = /AUTHENTICATION_FAILED|peer authentication failed/;

/** The last failure per connection name that no later establishment cleared. */
export function ikeFailures(log: string): Map<string, IkeFailure> {
  const out = new Map<string, IkeFailure & { readonly sa: string }>();
  for (const line of log.split('\n')) {
    const m = LINE.exec(line);
    const [, conn, sa, text] = m ?? [];
    if (conn === undefined || sa === undefined || text === undefined) continue;
    if (ESTABLISHED.test(text)) {
      out.delete(conn);
      continue;
    }
    const auth = AUTH_FAILURES.find((re) => re.test(text));
    const hit = (auth ?? OTHER_FAILURES.find((re) => re.test(text)))?.exec(text)?.[0];
    if (hit === undefined) continue;
    const prev = out.get(conn);
    if (prev?.sa === sa && prev.auth && GENERIC.test(hit)) continue;
    out.set(conn, { message: hit.slice(0, 300), auth: auth !== undefined, sa });
  }
  return new Map([...out].map(([conn, f]) => [conn, { message: f.message, auth: f.auth }]));
}

/** The size of charon's log now (0 when there is none). */
export async function logSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** charon's log from offset `from`, at most its last `bytes` (from a line start); '' when there is none. */
export async function logTail(path: string, from = 0, bytes = 256 * 1024): Promise<string> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    // A log shorter than the mark was started anew: read it whole.
    const start = Math.max(from > size ? 0 : from, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start === 0 || start === from ? text : text.slice(text.indexOf('\n') + 1);
  } catch {
    return '';
  } finally {
    await fh?.close();
  }
}
