/**
 * Hashing of secrets. API-key and agent secrets are 256 random bits, so sha256 is enough
 * (no dictionary to attack); passwords, which people choose, get scrypt.
 */
import { hash, scrypt, scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';

export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex');
}

/** The digest as bytes: what a per-request comparison needs (no hex round trip). */
export function sha256(s: string): Buffer {
  return hash('sha256', s, 'buffer');
}

export function safeEqualBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export function safeEqualHex(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && ba.length > 0 && timingSafeEqual(ba, bb);
}

const N = 16384;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N });
  return `scrypt$${N}$${salt.toString('hex')}$${hash.toString('hex')}`;
}

interface StoredPassword {
  readonly n: number;
  readonly salt: Buffer;
  readonly hash: string;
}

function parseStored(stored: string): StoredPassword | undefined {
  const [alg, n, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !salt || !hash) return undefined;
  return { n: Number(n), salt: Buffer.from(salt, 'hex'), hash };
}

/** For rare administrative checks; sign-in uses `verifyPasswordAsync`. */
export function verifyPassword(password: string, stored: string): boolean {
  const s = parseStored(stored);
  return s !== undefined && safeEqualHex(scryptSync(password, s.salt, 32, { N: s.n }).toString('hex'), s.hash);
}

/**
 * scrypt on libuv's thread pool: a sign-in (tens of milliseconds of CPU by design) must not
 * hold up every other API request, nor let a burst of sign-in attempts stall the PCE.
 */
export async function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const s = parseStored(stored);
  if (!s) return false;
  const got = await new Promise<Buffer>((ok, fail) => scrypt(password, s.salt, 32, { N: s.n }, (err, key) => (err ? fail(err) : ok(key))));
  return safeEqualHex(got.toString('hex'), s.hash);
}
