/** The SSE parser against the spec's framing rules, fed in awkward chunks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../src/channel/sse-parser.ts';
import { Backoff } from '../src/channel/backoff.ts';

function feedAll(chunks: readonly string[]): { event: string; data: string }[] {
  const p = new SseParser();
  return chunks.flatMap((c) => p.feed(c)).map(({ event, data }) => ({ event, data }));
}

describe('SSE parser', () => {
  it('parses named events, joins data lines, skips comments and data-less blocks', () => {
    const text = ': hello\n\nevent: policy\ndata: {"a":1,\ndata: "b":2}\n\nevent: ping\ndata: {}\n\nevent: nothing\n\n';
    assert.deepEqual(feedAll([text]), [
      { event: 'policy', data: '{"a":1,\n"b":2}' },
      { event: 'ping', data: '{}' },
    ]);
  });

  it('gives the same events whatever the chunking, CRLF and CR line ends included', () => {
    const text = 'event: policy\r\ndata: x\r\n\r\nevent: ping\rdata: y\r\rdata:z\n\n';
    const whole = feedAll([text]);
    assert.deepEqual(whole, [
      { event: 'policy', data: 'x' },
      { event: 'ping', data: 'y' },
      { event: 'message', data: 'z' },
    ]);
    for (let size = 1; size < text.length; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      assert.deepEqual(feedAll(chunks), whole, `chunks of ${size}`);
    }
  });

  it('handles a multi-megabyte event in small chunks in linear time', () => {
    const big = JSON.stringify({ peers: Array.from({ length: 200_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`) });
    const text = `event: policy\ndata: ${big}\n\n`;
    const p = new SseParser();
    const t0 = performance.now();
    const out = [];
    for (let i = 0; i < text.length; i += 16_384) out.push(...p.feed(text.slice(i, i + 16_384)));
    assert.equal(out.length, 1);
    assert.equal(out[0]?.data, big);
    assert.ok(performance.now() - t0 < 2_000);
  });

  it('refuses an event beyond its size limit', () => {
    const p = new SseParser(10);
    assert.throws(() => p.feed('data: 0123456789abcdef'));
  });
});

describe('reconnect backoff', () => {
  it('doubles from 1 s to 60 s with half of each delay random, and resets', () => {
    const lo = new Backoff({ random: () => 0 });
    const hi = new Backoff({ random: () => 0.999999 });
    const los = Array.from({ length: 9 }, () => lo.next());
    const his = Array.from({ length: 9 }, () => hi.next());
    assert.deepEqual(los, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.deepEqual(his, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    lo.reset();
    assert.equal(lo.next(), 500);
  });
});
