/**
 * Flow accounting in the rendered table (issue 6): present unless flow_off, after Palisade's
 * chains, untouched by set deltas; and for real (network namespace, real nft): accepted
 * connections become one element per connection with counters, blocked ones never do.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { renderNftables, renderSetDelta } from '../src/index.ts';
import type { NftRenderContext } from '../src/index.ts';
import { FLOW_SETS } from '../src/nftables/nft-flow-accounting.ts';

const ctx: NftRenderContext = { pce: { addresses: ['203.0.113.254'], port: 8443 } };
const RULE = '/orgs/1/sec_policy/active/rule_sets/1/sec_rules/1';

function plan(over: Partial<WorkloadPlan> = {}): WorkloadPlan {
  return {
    workload: { id: 'wl-1', href: '/orgs/1/workloads/wl-1', name: 'one', os_type: 'linux', os_version: '', addresses: ['203.0.113.1'] },
    enforcement_mode: 'full',
    visibility_level: 'flow_summary',
    address_sets: [{ name: 'ps_a', ipv4: ['203.0.113.2'], ipv6: [], fqdns: [] }],
    inbound: [{ peers: 'ps_a', services: [{ proto: 6, port: 8080 }], rule: RULE, sec_connect: false }],
    outbound: [],
    deny_inbound: [],
    deny_outbound: [],
    secure_connect: { peers: [] },
    diagnostics: [],
    hash: 'aaaa',
    ...over,
  };
}

describe('flow accounting (render)', () => {
  it('four dynamic sets and two chains at filter + 10 at every level but flow_off', () => {
    for (const level of ['flow_drops', 'flow_summary', 'enhanced_data_collection'] as const) {
      const s = renderNftables(plan({ visibility_level: level }), ctx);
      for (const f of FLOW_SETS) assert.match(s, new RegExp(`\\tset ${f.name} \\{\\n\\t\\ttype ip(v4|v6)_addr \\. ip(v4|v6)_addr \\. inet_proto \\. inet_service \\. inet_service\\n\\t\\tflags dynamic,timeout\\n\\t\\ttimeout 10m\\n\\t\\tsize 65535\\n\\t\\tcounter\\n`));
      assert.match(s, /chain flows_in \{\n\t\ttype filter hook input priority filter \+ 10; policy accept;/);
      assert.match(s, /chain flows_out \{\n\t\ttype filter hook output priority filter \+ 10; policy accept;/);
    }
    const off = renderNftables(plan({ visibility_level: 'flow_off' }), ctx);
    assert.doesNotMatch(off, /flows_/);
  });

  it('a set delta never touches the flow sets; a change of visibility level is a full replace', () => {
    const a = plan();
    const b = plan({ address_sets: [{ name: 'ps_a', ipv4: ['203.0.113.3'], ipv6: [], fqdns: [] }] });
    const delta = renderSetDelta(a, b, ctx);
    assert.ok(delta);
    assert.doesNotMatch(delta, /flows_/);
    assert.equal(renderSetDelta(a, plan({ visibility_level: 'flow_off' }), ctx), null);
    assert.equal(renderSetDelta(a, plan({ visibility_level: 'enhanced_data_collection' }), ctx), '', 'summary ↔ enhanced: the same table');
  });

  it('an address set whose nft name would be a flow set is refused', () => {
    assert.throws(() => renderNftables(plan({ address_sets: [{ name: 'flows_in', ipv4: [], ipv6: [], fqdns: [] }], inbound: [] }), ctx), /flow-accounting/);
  });
});

const skip = process.getuid?.() !== 0 ? 'needs root for network namespaces' : false;

describe('flow accounting in a real nft (network namespaces)', { skip }, () => {
  const id = randomBytes(2).toString('hex');
  const host = `pal-fa-h-${id}`;
  const peer = `pal-fa-p-${id}`;
  const nsNode = (ns: string, code: string): string => execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { encoding: 'utf8', timeout: 10_000 });
  const nft = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', host, 'nft', ...args], { encoding: 'utf8' });

  before(() => {
    for (const ns of [host, peer]) {
      execFileSync('ip', ['netns', 'add', ns]);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    execFileSync('ip', ['link', 'add', `pfa${id}`, 'netns', host, 'type', 'veth', 'peer', 'name', `pfb${id}`, 'netns', peer]);
    execFileSync('ip', ['-n', host, 'addr', 'add', '203.0.113.1/24', 'dev', `pfa${id}`]);
    execFileSync('ip', ['-n', peer, 'addr', 'add', '203.0.113.2/24', 'dev', `pfb${id}`]);
    execFileSync('ip', ['-n', host, 'link', 'set', `pfa${id}`, 'up']);
    execFileSync('ip', ['-n', peer, 'link', 'set', `pfb${id}`, 'up']);
  });
  after(() => {
    for (const ns of [host, peer]) spawnSync('ip', ['netns', 'delete', ns]);
  });

  it('an accepted connection is one element per hook with the bytes of that direction; a dropped one none', () => {
    execFileSync('ip', ['netns', 'exec', host, 'nft', '-f', '-'], { input: renderNftables(plan(), ctx) });
    const server = `const net=require('net');const a=net.createServer(s=>s.end('x'.repeat(1000))).listen(8080);const b=net.createServer(s=>s.end('no')).listen(9090);setTimeout(()=>process.exit(0),4000)`;
    const srv = spawn('ip', ['netns', 'exec', host, process.execPath, '-e', server], { stdio: 'ignore' });
    try {
      execFileSync('sleep', ['0.5']);
      const got = nsNode(peer, `const net=require('net');let n=0;const s=net.connect(8080,'203.0.113.1');s.on('data',(d)=>{n+=d.length});s.on('end',()=>{const t=net.connect(9090,'203.0.113.1');t.on('error',()=>{});setTimeout(()=>{console.log(n);process.exit(0)},600)})`);
      assert.equal(got.trim(), '1000');
      const set = (name: string): { val: { concat: unknown[] }; counter: { packets: number; bytes: number } }[] =>
        ((JSON.parse(nft('-j', 'list', 'set', 'inet', 'palisade', name)) as { nftables: { set?: { elem?: { elem: never }[] } }[] }).nftables.find((x) => x.set)?.set?.elem ?? []).map((e) => e.elem);
      const inbound = set('flows_in_v4');
      const outbound = set('flows_out_v4');
      assert.equal(inbound.length, 1, JSON.stringify(inbound));
      assert.equal(outbound.length, 1);
      const [e] = inbound;
      assert.deepEqual(e?.val.concat.slice(0, 3), ['203.0.113.2', '203.0.113.1', 'tcp']);
      assert.equal(e?.val.concat[4], 8080, 'the 9090 attempt was dropped before the accounting chain');
      assert.ok((outbound[0]?.counter.bytes ?? 0) > 1000, 'out: what the host sent (the 1000 bytes)');
      assert.ok((e?.counter.bytes ?? 0) < 1000, 'in: what it received (headers and ACKs)');
    } finally {
      srv.kill('SIGKILL');
    }
  });

  it('ICMP echo: one element per echo id (type 8 << 8 | code 0 where the port would be), request in, reply out', (t) => {
    if (spawnSync('python3', ['--version']).status !== 0) return t.skip('python3 (raw socket) not installed');
    execFileSync('ip', ['netns', 'exec', host, 'nft', '-f', '-'], { input: renderNftables(plan({ enforcement_mode: 'visibility_only' }), ctx) });
    const py = [
      'import socket,struct',
      'def cs(b):',
      '  s=sum(struct.unpack("!%dH"%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return (~s)&0xffff',
      'for seq in (1,2,3):',
      '  h=struct.pack("!BBHHH",8,0,0,0x1234,seq)+b"abcdefgh"',
      '  s=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_ICMP); s.sendto(struct.pack("!BBHHH",8,0,cs(h),0x1234,seq)+b"abcdefgh",("203.0.113.1",0))',
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', peer, 'python3', '-c', py]);
    execFileSync('sleep', ['0.3']);
    const elems = (name: string): { val: { concat: unknown[] }; counter: { packets: number } }[] =>
      ((JSON.parse(nft('-j', 'list', 'set', 'inet', 'palisade', name)) as { nftables: { set?: { elem?: { elem: never }[] } }[] }).nftables.find((x) => x.set)?.set?.elem ?? []).map((e) => e.elem);
    const icmpIn = elems('flows_in_v4').filter((e) => e.val.concat[2] === 'icmp');
    const icmpOut = elems('flows_out_v4').filter((e) => e.val.concat[2] === 'icmp');
    assert.deepEqual(icmpIn.map((e) => [e.val.concat, e.counter.packets]), [[['203.0.113.2', '203.0.113.1', 'icmp', 0x1234, 8 << 8], 3]]);
    assert.deepEqual(icmpOut.map((e) => e.counter.packets), [3], 'the three echo replies');
  });
});
