/**
 * Hashing of secrets. API-key and agent secrets are 256 random bits, so sha256 is enough
 * (no dictionary to attack); passwords, which people choose, get scrypt.
 */
import { hash, scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';

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

export function verifyPassword(password: string, stored: string): boolean {
  const [alg, n, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !salt || !hash) return false;
  const got = scryptSync(password, Buffer.from(salt, 'hex'), 32, { N: Number(n) });
  return safeEqualHex(got.toString('hex'), hash);
}
