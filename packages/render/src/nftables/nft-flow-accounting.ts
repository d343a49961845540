/**
 * Flow accounting (issue 6; LAB.md "Flow accounting without native addons"): dynamic sets with
 * per-element counters that the kernel fills from the packet path, read by the VEN's flow
 * collector (`nft -j list set inet palisade flows_in_v4`, deltas computed there: nft 1.0.6
 * cannot `reset set`).
 *
 * - Four sets, `flows_<in|out>_<v4|v6>`, keyed on the conntrack **original** tuple
 *   `saddr . daddr . l4proto . sport . dport`: one element per connection (the source port
 *   makes connections countable), the same key from both hooks, so `flows_in_*` holds the
 *   bytes the host received on that connection and `flows_out_*` the bytes it sent. A sixth
 *   key component (`ct direction` in one set per family) crashes nft 1.0.6 for IPv6
 *   (`netlink_gen_expr: Assertion dreg < ctx->reg_low`); a set per hook needs none.
 * - Updated from two extra base chains, `flows_in` / `flows_out`, at priority `filter + 10`:
 *   after Palisade's own `input`/`output` chains, so only packets those accepted (and no
 *   other table dropped first) are counted; blocked packets never get there, they go to NFLOG
 *   groups 5/6 through the log rules. Loopback is not accounted.
 * - TCP, UDP and ICMP (`ct original proto-dst` needs the protocol context that `meta l4proto`
 *   gives; see `updateRules`); `typeof` is avoided (it crashes nft 1.0.6 with `ct original
 *   proto-dst`), types are spelled out.
 * - Present in every enforcing table unless the workload's visibility level is `flow_off`.
 *   The sets carry no elements in the script, so a set delta never touches them; a full
 *   replace starts them empty (the collector sees counters restart).
 */
import { invalid } from '@palisade/core';
import type { Family } from '@palisade/core';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import type { LogDirection } from './log-prefixes.ts';
import type { NftChain, NftTable } from './nft-table.ts';

/** What the collector reads: set name → which hook fills it and for which family. */
export interface FlowSet {
  readonly name: string;
  readonly direction: LogDirection;
  readonly family: Family;
}

export const FLOW_SET_TIMEOUT = '10m';
export const FLOW_SET_SIZE = 65535;

export function flowSetName(direction: LogDirection, family: Family): string {
  return `flows_${direction}_v${family}`;
}

export const FLOW_SETS: readonly FlowSet[] = (['in', 'out'] as const).flatMap((direction) => ([4, 6] as const).map((family) => ({ name: flowSetName(direction, family), direction, family })));

export function flowAccountingEnabled(plan: WorkloadPlan): boolean {
  return plan.visibility_level !== 'flow_off';
}

/**
 * TCP and UDP, and ICMP echo and the like (conntrack's ICMP tuple holds the echo id where a
 * source port would be and type << 8 | code where the destination port would be: one element
 * per ping run). ICMP that is `related` (an error about another connection, carrying that
 * connection's tuple) and untracked ICMPv6 (neighbour discovery) are left out.
 */
function updateRules(direction: LogDirection, family: Family): string[] {
  const ip = family === 4 ? 'ip' : 'ip6';
  const key = [`ct original ${ip} saddr`, `ct original ${ip} daddr`, 'meta l4proto', 'ct original proto-src', 'ct original proto-dst'].join(' . ');
  const update = `update @${flowSetName(direction, family)} { ${key} }`;
  return [`meta nfproto ipv${family} meta l4proto { tcp, udp } ${update}`, `meta nfproto ipv${family} meta l4proto ${family === 4 ? 'icmp' : 'ipv6-icmp'} ct state new,established ${update}`];
}

function flowChain(direction: LogDirection): NftChain {
  const hook = direction === 'in' ? 'input' : 'output';
  return {
    name: direction === 'in' ? 'flows_in' : 'flows_out',
    hook,
    priority: 'filter + 10',
    policy: 'accept',
    sections: [
      { title: 'flow accounting: what the chains before accepted (loopback not counted)', rules: [direction === 'in' ? 'iif "lo" accept' : 'oif "lo" accept', ...updateRules(direction, 4), ...updateRules(direction, 6)] },
    ],
  };
}

/** The table with flow accounting added (its sets and chains), or as it is at `flow_off`. */
export function withFlowAccounting(plan: WorkloadPlan, table: NftTable): NftTable {
  if (!flowAccountingEnabled(plan)) return table;
  for (const set of table.sets) {
    if (FLOW_SETS.some((f) => f.name === set.name)) throw invalid('address_set_name_clash', `An address set maps to the flow-accounting set name ${set.name}.`, 'address_sets');
  }
  return { ...table, flowSets: FLOW_SETS, chains: [...table.chains, flowChain('in'), flowChain('out')] };
}

/** Appends the declarations of the table's flow sets (no elements: the kernel fills them). */
export function writeFlowSets(out: string[], table: NftTable): void {
  for (const set of table.flowSets ?? []) {
    const addr = set.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
    out.push(
      `\tset ${set.name} {`,
      `\t\ttype ${addr} . ${addr} . inet_proto . inet_service . inet_service`,
      '\t\tflags dynamic,timeout',
      `\t\ttimeout ${FLOW_SET_TIMEOUT}`,
      `\t\tsize ${FLOW_SET_SIZE}`,
      '\t\tcounter',
      '\t}',
    );
  }
}
