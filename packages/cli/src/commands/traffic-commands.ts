/**
 * `palisade traffic query`: an async traffic query (issue 6) from the command line. Starts
 * the query, polls it until completed, downloads the flows and prints them (a table, the
 * API's JSON with --json, or CSV into a file with --csv).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalid, unavailable } from '@palisade/core/errors.ts';
import { str, type AdminCommand, type Flags } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import { arr, field, json, obj, table } from '../output.ts';
import { fetchLabels, labelHref, policyObjectHref, workloadHref, type LabelRef } from '../pce-lookup.ts';

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
const DECISIONS = ['allowed', 'potentially_blocked', 'blocked', 'unknown'];
/** An IP address or a CIDR (the PCE validates it). */
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(\/\d{1,3})?$/;
const POLL_MS = 200;
const POLL_LIMIT_MS = 10 * 60_000;

function raw(flags: Flags, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

/** `tcp/443`, `udp/53`, `icmp`, `6/22`, `443` (any protocol). */
export function parsePort(text: string): { proto?: number; port?: number } {
  const m = /^(?:(tcp|udp|sctp|icmp|icmpv6|\d{1,3})(?:\/(\d{1,5}))?|(\d{1,5}))$/i.exec(text.trim());
  if (!m) throw invalid('invalid_flag', `--port "${text}" is not PROTO/PORT, PROTO or PORT, e.g. tcp/443, udp/53, icmp, 8080`);
  const protoText = m[1]?.toLowerCase();
  const proto = protoText === undefined ? undefined : (PROTOCOLS[protoText] ?? Number(protoText));
  const portText = m[2] ?? m[3];
  const port = portText === undefined ? undefined : Number(portText);
  if ((proto !== undefined && proto > 255) || (port !== undefined && port > 65535)) throw invalid('invalid_flag', `--port "${text}": the protocol is 0–255 and the port 0–65535`);
  return { ...(proto !== undefined ? { proto } : {}), ...(port !== undefined ? { port } : {}) };
}

function isoFlag(flags: Flags, name: string): string | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  if (Number.isNaN(Date.parse(v))) throw invalid('invalid_flag', `--${name} "${v}" is not an ISO 8601 time, e.g. 2026-01-31T00:00:00Z`);
  return new Date(v).toISOString();
}

/** One `--src`/`--dst` value: comma-separated terms that must all hold (KEY=VALUE, ip_list:NAME, label_group:NAME, IP or CIDR, hostname). */
async function actors(api: ApiClient, text: string, labels: () => Promise<LabelRef[]>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const term of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const policy = /^(ip_list|label_group):(.+)$/.exec(term);
    if (policy) {
      const kind = policy[1] === 'ip_list' ? 'ip_list' : 'label_group';
      out.push({ [kind]: { href: await policyObjectHref(api, kind === 'ip_list' ? 'ip_lists' : 'label_groups', policy[2] ?? '') } });
    } else if (term.includes('=')) out.push({ label: { href: await labelHref(api, term, await labels()) } });
    else if (IP.test(term)) out.push({ ip_address: term });
    else out.push({ workload: { href: await workloadHref(api, term) } });
  }
  return out;
}

function endpointText(e: unknown): string {
  const o = obj(e);
  const w = obj(o['workload']);
  const name = field(w, 'hostname') || field(w, 'name');
  return name ? `${name} (${field(o, 'ip')})` : field(o, 'ip');
}

function serviceText(s: unknown): string {
  const o = obj(s);
  const proto = Number(o['proto']);
  const name = Object.entries(PROTOCOLS).find(([, n]) => n === proto)?.[0] ?? String(proto);
  return o['port'] === undefined ? name : `${name}/${String(o['port'])}`;
}

async function waitForQuery(api: ApiClient, href: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const q = obj(await api.get(href));
    if (q['status'] === 'completed') return q;
    if (q['status'] === 'failed') throw unavailable('traffic_query_failed', `the traffic query failed on the PCE: ${field(q, 'message') || 'no reason given'}`);
    if (Date.now() > deadline) throw unavailable('traffic_query_timeout', `the traffic query ${href} did not complete in ${POLL_LIMIT_MS / 60_000} minutes; poll it later with the API`);
    await new Promise((ok) => setTimeout(ok, POLL_MS));
  }
}

export const TRAFFIC_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'traffic',
    verb: 'query',
    summary: 'query stored flows: traffic query --src role=web --dst db1 --port tcp/5432 --decision blocked,potentially_blocked',
    options: [
      { flags: '--src <endpoint>', description: 'source: KEY=VALUE label, label_group:NAME, ip_list:NAME, IP or CIDR, workload hostname; commas AND terms, repeat to OR', repeat: true },
      { flags: '--dst <endpoint>', description: 'destination, as --src', repeat: true },
      { flags: '--not-src <endpoint>', description: 'leave out flows from this source (one term, as --src); repeat for more', repeat: true },
      { flags: '--not-dst <endpoint>', description: 'leave out flows to this destination (one term, as --src); repeat for more', repeat: true },
      { flags: '--either', description: 'a flow matches when its source matches --src OR its destination matches --dst (default: both)' },
      { flags: '--port <proto/port>', description: 'tcp/443, udp/53, icmp, 8080; repeat to OR', repeat: true },
      { flags: '--decision <list>', description: 'policy decisions: allowed, potentially_blocked, blocked, unknown (comma-separated)' },
      { flags: '--since <iso>', description: 'flows seen at or after this time' },
      { flags: '--until <iso>', description: 'flows seen at or before this time' },
      { flags: '--max <n>', description: 'at most this many flows, newest first (default 10,000; at most 100,000)', default: '10000' },
      { flags: '--csv <file>', description: 'write the flows as CSV to this file' },
    ],
    run: async ({ io, json: asJson, flags, api }) => {
      const max = str(flags, 'max') ?? '10000';
      if (!/^\d+$/.test(max) || Number(max) > 100_000) throw invalid('invalid_flag', `--max "${max}" must be an integer from 0 to 100000`);
      const decisions = (str(flags, 'decision') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const bad = decisions.find((d) => !DECISIONS.includes(d));
      if (bad !== undefined) throw invalid('invalid_flag', `--decision "${bad}" is not one of ${DECISIONS.join(', ')}`);
      const services = raw(flags, 'port').map(parsePort);
      const since = isoFlag(flags, 'since');
      const until = isoFlag(flags, 'until');
      const a = await api();
      let labelCache: LabelRef[] | undefined;
      const labels = async (): Promise<LabelRef[]> => (labelCache ??= await fetchLabels(a));
      const include = async (name: string): Promise<unknown[][]> => Promise.all(raw(flags, name).map((t) => actors(a, t, labels)));
      const exclude = async (name: string): Promise<unknown[]> => (await include(name)).flat();
      const body = {
        query_name: 'palisade traffic query',
        sources: { include: await include('src'), exclude: await exclude('notSrc') },
        destinations: { include: await include('dst'), exclude: await exclude('notDst') },
        sources_destinations_query_op: flags['either'] === true ? 'or' : 'and',
        services: { include: services, exclude: [] },
        policy_decisions: decisions,
        ...(since !== undefined ? { start_date: since } : {}),
        ...(until !== undefined ? { end_date: until } : {}),
        max_results: Number(max),
      };
      const started = obj(await a.post(a.orgPath('/traffic_flows/async_queries'), body));
      const done = await waitForQuery(a, field(started, 'href'));
      const result = field(done, 'result');
      const csvFile = str(flags, 'csv');
      if (csvFile !== undefined) {
        const csv = (await a.send('GET', result, undefined, { format: 'csv' })).body;
        await writeFile(resolve(io.cwd, csvFile), typeof csv === 'string' ? csv : '');
        if (!asJson) io.out(`${field(done, 'flows_count')} flows written to ${csvFile}`);
        if (!asJson) return;
      }
      const flows = arr(await a.get(result));
      if (asJson) return json(io, flows);
      table(
        io,
        ['SOURCE', 'DESTINATION', 'SERVICE', 'CONNS', 'DECISION', 'DRAFT', 'STATE', 'LAST SEEN'],
        flows.map((f) => {
          const o = obj(f);
          return [endpointText(o['src']), endpointText(o['dst']), serviceText(o['service']), field(o, 'num_connections'), field(o, 'policy_decision'), field(o, 'draft_policy_decision'), field(o, 'state'), field(obj(o['timestamp_range']), 'last_detected')];
        }),
      );
      io.out(`${flows.length} flows`);
    },
  },
];
