/**
 * The tamper watch against a real `nft monitor` in a throwaway network namespace: which
 * events ask for a deep check (set members of our table) and which for a shallow one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Nft } from '../src/sys/nft.ts';
import { TamperWatch } from '../src/tamper/tamper-watch.ts';
import { createNetns, deleteNetns, inNs, netnsUnavailable } from './support/netns.ts';

const skip = netnsUnavailable();

describe('tamper watch (real nft monitor in a netns)', { skip }, () => {
  let ns = '';
  let watch: TamperWatch | undefined;
  const seen: { why: string; deep: boolean }[] = [];

  before(async () => {
    ns = createNetns('ventamper');
    inNs(ns, 'nft', ['-f', '-'], 'table inet palisade {\n\tset s_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\ntable inet other {\n\tset o {\n\t\ttype ipv4_addr\n\t}\n}\n');
    watch = new TamperWatch({ nft: new Nft({ command: ['ip', 'netns', 'exec', ns, 'nft'] }), debounceMs: 50, intervalMs: 60_000, onSuspect: (why, deep) => seen.push({ why, deep }) });
    watch.start();
    await new Promise((r) => setTimeout(r, 300)); // nft monitor subscribes
  });
  after(() => {
    watch?.stop();
    deleteNetns(ns);
  });

  const next = async (change: () => void): Promise<{ why: string; deep: boolean }> => {
    const n = seen.length;
    change();
    for (let i = 0; i < 100 && seen.length === n; i++) await new Promise((r) => setTimeout(r, 20));
    const got = seen[n];
    assert.ok(got, 'no check was triggered');
    return got;
  };

  it('a rule added to our table asks for a shallow check', async () => {
    assert.deepEqual(await next(() => inNs(ns, 'nft', ['add', 'rule', 'inet', 'palisade', 'input', 'tcp', 'dport', '4444', 'accept'])), { why: 'event', deep: false });
  });

  it('an element added to or removed from our sets asks for a deep check', async () => {
    assert.deepEqual(await next(() => inNs(ns, 'nft', ['add', 'element', 'inet', 'palisade', 's_v4', '{ 203.0.113.7 }'])), { why: 'event', deep: true });
    assert.deepEqual(await next(() => inNs(ns, 'nft', ['flush', 'set', 'inet', 'palisade', 's_v4'])), { why: 'event', deep: true });
  });

  it('elements of another table ask for a shallow check only', async () => {
    assert.deepEqual(await next(() => inNs(ns, 'nft', ['add', 'element', 'inet', 'other', 'o', '{ 203.0.113.8 }'])), { why: 'event', deep: false });
  });
});
