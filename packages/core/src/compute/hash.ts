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

const HEX = '0123456789abcdef';

function hex16(n: number): string {
  return HEX.charAt((n >>> 12) & 15) + HEX.charAt((n >>> 8) & 15) + HEX.charAt((n >>> 4) & 15) + HEX.charAt(n & 15);
}

export class Fnv64 {
  // offset basis 0xcbf29ce484222325, low limb first
  private a0 = 0x2325;
  private a1 = 0x8422;
  private a2 = 0x9ce4;
  private a3 = 0xcbf2;

  byte(b: number): this {
    // h ^= b; h *= 0x100000001b3  (= 2^40 + 0x1b3), mod 2^64
    const a0 = this.a0 ^ (b & 0xff);
    const a1 = this.a1;
    let t0 = a0 * 0x1b3;
    let t1 = a1 * 0x1b3;
    let t2 = this.a2 * 0x1b3 + ((a0 & 0xff) << 8);
    let t3 = this.a3 * 0x1b3 + ((a0 >>> 8) | ((a1 & 0xff) << 8));
    t1 += t0 >>> 16;
    t0 &= 0xffff;
    t2 += t1 >>> 16;
    t1 &= 0xffff;
    t3 += t2 >>> 16;
    t2 &= 0xffff;
    this.a0 = t0;
    this.a1 = t1;
    this.a2 = t2;
    this.a3 = t3 & 0xffff;
    return this;
  }

  /** UTF-8 bytes of `s`, then a 0xff separator (never a UTF-8 byte) so fields cannot run together. */
  str(s: string): this {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
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
        this.byte(0xc0 | (c >> 6)).byte(0x80 | (c & 63));
      } else if (c < 0x10000) {
        this.byte(0xe0 | (c >> 12)).byte(0x80 | ((c >> 6) & 63)).byte(0x80 | (c & 63));
      } else {
        this.byte(0xf0 | (c >> 18)).byte(0x80 | ((c >> 12) & 63)).byte(0x80 | ((c >> 6) & 63)).byte(0x80 | (c & 63));
      }
    }
    return this.byte(0xff);
  }

  /** A 32-bit unsigned integer, little-endian. */
  u32(n: number): this {
    return this.byte(n).byte(n >>> 8).byte(n >>> 16).byte(n >>> 24);
  }

  /** Another hash as a child: the Merkle step that lets shared sub-objects be hashed once. */
  hash(h: Hash64): this {
    return this.u32(h.lo).u32(h.hi);
  }

  digest(): Hash64 {
    const hi = ((this.a3 << 16) | this.a2) >>> 0;
    const lo = ((this.a1 << 16) | this.a0) >>> 0;
    return { hi, lo, hex: hex16(this.a3) + hex16(this.a2) + hex16(this.a1) + hex16(this.a0) };
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
