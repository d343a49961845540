/**
 * FNV-1a 64 in plain JS (the core may not use node:crypto). The 64-bit state is kept in four
 * 16-bit limbs so every intermediate stays a small integer: no BigInt, no allocation per byte.
 * Not a cryptographic hash: it identifies content so unchanged plans can be skipped.
 */

/** A finished 64-bit hash: `hi`/`lo` for feeding into another hash, `hex` for humans. */
export interface Hash64 {
  readonly hi: number;
  readonly lo: number;
  readonly hex: string;
}

/** Hex is built on first read: most hashes only ever feed other hashes. */
class Digest implements Hash64 {
  readonly hi: number;
  readonly lo: number;
  private text: string | undefined;

  constructor(hi: number, lo: number) {
    this.hi = hi;
    this.lo = lo;
  }

  get hex(): string {
    if (this.text === undefined) this.text = (this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0'));
    return this.text;
  }
}

export class Fnv64 {
  // offset basis 0xcbf29ce484222325, low limb first
  private a0 = 0x2325;
  private a1 = 0x8422;
  private a2 = 0x9ce4;
  private a3 = 0xcbf2;

  byte(b: number): this {
    this.step(b & 0xff);
    return this;
  }

  /** h ^= b; h *= 0x100000001b3 (= 2^40 + 0x1b3) mod 2^64, limb by limb. */
  private step(b: number): void {
    const a0 = this.a0 ^ b;
    const a1 = this.a1;
    const t0 = a0 * 0x1b3;
    const t1 = a1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.a2 * 0x1b3 + ((a0 & 0xff) << 8) + (t1 >>> 16);
    const t3 = this.a3 * 0x1b3 + ((a0 >>> 8) | ((a1 & 0xff) << 8)) + (t2 >>> 16);
    this.a0 = t0 & 0xffff;
    this.a1 = t1 & 0xffff;
    this.a2 = t2 & 0xffff;
    this.a3 = t3 & 0xffff;
  }

  /** UTF-8 bytes of `s`, then a 0xff separator (never a UTF-8 byte) so fields cannot run together. */
  str(s: string): this {
    // ASCII runs with the state in locals (the hot path: hrefs, names, addresses)
    let a0 = this.a0;
    let a1 = this.a1;
    let a2 = this.a2;
    let a3 = this.a3;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      a0 ^= c;
      const t0 = a0 * 0x1b3;
      const t1 = a1 * 0x1b3 + (t0 >>> 16);
      const t2 = a2 * 0x1b3 + ((a0 & 0xff) << 8) + (t1 >>> 16);
      const t3 = a3 * 0x1b3 + ((a0 >>> 8) | ((a1 & 0xff) << 8)) + (t2 >>> 16);
      a0 = t0 & 0xffff;
      a1 = t1 & 0xffff;
      a2 = t2 & 0xffff;
      a3 = t3 & 0xffff;
    }
    this.a0 = a0;
    this.a1 = a1;
    this.a2 = a2;
    this.a3 = a3;
    for (; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.step(c);
        continue;
      }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c < 0x800) {
        this.step(0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        this.step(0xe0 | (c >> 12));
        this.step(0x80 | ((c >> 6) & 63));
      } else {
        this.step(0xf0 | (c >> 18));
        this.step(0x80 | ((c >> 12) & 63));
        this.step(0x80 | ((c >> 6) & 63));
      }
      this.step(0x80 | (c & 63));
    }
    this.step(0xff);
    return this;
  }

  /** A 32-bit unsigned integer, little-endian. */
  u32(n: number): this {
    this.step(n & 0xff);
    this.step((n >>> 8) & 0xff);
    this.step((n >>> 16) & 0xff);
    this.step(n >>> 24);
    return this;
  }

  /**
   * Another hash as a child: the Merkle step that lets shared sub-objects be hashed once.
   * The child's two 32-bit halves are taken as two FNV symbols (xor a whole word, then one
   * multiply) rather than as eight bytes: children are already uniformly mixed, and a plan
   * feeds hundreds of them.
   */
  hash(h: Hash64): this {
    this.word(h.lo);
    this.word(h.hi);
    return this;
  }

  /** A 32-bit value as one symbol (see `hash`); for keys, not for canonical content. */
  word(w: number): void {
    const a0 = this.a0 ^ (w & 0xffff);
    const a1 = this.a1 ^ (w >>> 16);
    const t0 = a0 * 0x1b3;
    const t1 = a1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.a2 * 0x1b3 + ((a0 & 0xff) << 8) + (t1 >>> 16);
    const t3 = this.a3 * 0x1b3 + ((a0 >>> 8) | ((a1 & 0xff) << 8)) + (t2 >>> 16);
    this.a0 = t0 & 0xffff;
    this.a1 = t1 & 0xffff;
    this.a2 = t2 & 0xffff;
    this.a3 = t3 & 0xffff;
  }

  /** 53 bits of the state as a number, for map keys (no hex string built). */
  key53(): number {
    return (((this.a3 << 16) | this.a2) >>> 0) * 2097152 + (((this.a1 << 16) | this.a0) & 0x1fffff);
  }

  digest(): Hash64 {
    const hi = ((this.a3 << 16) | this.a2) >>> 0;
    const lo = ((this.a1 << 16) | this.a0) >>> 0;
    return new Digest(hi, lo);
  }
}

export function fnv64(s: string): Hash64 {
  return new Fnv64().str(s).digest();
}

/** FNV-1a 64 of raw bytes given as a string of char codes < 256, for checking against published vectors. */
export function fnv64Bytes(bytes: ArrayLike<number>): string {
  const h = new Fnv64();
  for (let i = 0; i < bytes.length; i++) h.byte(bytes[i] ?? 0);
  return h.digest().hex;
}
