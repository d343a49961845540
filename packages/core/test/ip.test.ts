/**
 * IPv4 parsing: the one-pass parser agrees with the dotted-quad grammar (written here as
 * the regex it replaced) on edge cases and on random strings near that grammar.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, parseCidr, parseIPv4, parseIp } from '../src/ip.ts';

const GRAMMAR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function reference(s: string): bigint | undefined {
  if (!GRAMMAR.test(s)) return undefined;
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

describe('parseIPv4', () => {
  it('takes dotted quads and refuses everything else', () => {
    assert.equal(parseIPv4('0.0.0.0'), 0n);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffffn);
    assert.equal(parseIPv4('192.0.2.1'), 0xc0000201n);
    assert.equal(parseIPv4('10.1.134.158'), (10n << 24n) | (1n << 16n) | (134n << 8n) | 158n);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '00.0.0.0', '256.0.0.0', '1.2.3.256', '1.2.3.999', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', '1.2.3.+4', '١.2.3.4', '1.2.3.4/32', '::1', '1.2.3.0x1', '1000.2.3.4']) {
      assert.equal(parseIPv4(bad), undefined, JSON.stringify(bad));
    }
  });

  it('agrees with the grammar on 200,000 random near-addresses', () => {
    // A fixed linear congruential generator: the same strings every run.
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = '0123456789....x /:';
    for (let i = 0; i < 200_000; i++) {
      let s: string;
      if (next(2) === 0) {
        s = Array.from({ length: 4 }, () => String(next(300))).join('.');
        if (next(4) === 0) s = s.replace(/\d/, (d) => `${next(2) === 0 ? '0' : ''}${d}`);
      } else s = Array.from({ length: 1 + next(17) }, () => alphabet[next(alphabet.length)]).join('');
      assert.equal(parseIPv4(s), reference(s), JSON.stringify(s));
    }
  });

  it('round-trips through formatIp, and parseIp and parseCidr use it', () => {
    for (const a of ['0.0.0.0', '10.0.0.1', '172.16.254.3', '255.255.255.255']) {
      const v = parseIPv4(a);
      assert.ok(v !== undefined);
      assert.equal(formatIp(4, v), a);
      assert.deepEqual(parseIp(a), { family: 4, value: v });
    }
    assert.deepEqual(parseCidr('10.0.0.0/8'), { family: 4, from: 10n << 24n, to: (11n << 24n) - 1n });
    assert.equal(parseCidr('10.0.0.1/8'), undefined);
  });
});
