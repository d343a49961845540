/**
 * `palisade workloads import FILE` and the CSV shape `workloads export` writes:
 * hostname,name,ip_addresses,os_type,os_version,enforcement_mode,visibility_level,role,app,env,loc
 * (any other column is a label key). Every row is checked against the PCE (existing
 * workloads, labels, label keys) and the rest of the file before anything is written.
 */
import { isIP } from 'node:net';
import { ENFORCEMENT_MODES, OS_TYPES, VISIBILITY_LEVELS } from '@palisade/core/model/common.ts';
import { bool, type CommandContext } from './admin-command.ts';
import type { ApiClient } from './api-client.ts';
import { cell, checkBeforeWrite, finish, readCsvTable, type RowProblem } from './csv-import.ts';
import { formatCsv } from './csv.ts';
import { arr, field, obj } from './output.ts';
import { fetchLabels, labelKeyOf } from './pce-lookup.ts';

export const WORKLOAD_COLUMNS = ['hostname', 'name', 'ip_addresses', 'os_type', 'os_version', 'enforcement_mode', 'visibility_level'] as const;
const BUILTIN_LABEL_COLUMNS = ['role', 'app', 'env', 'loc'];

export function interfacesOf(ips: readonly string[]): { name: string; address: string }[] {
  return ips.map((address, i) => ({ name: `eth${i}`, address }));
}

interface GoodRow {
  readonly row: number;
  readonly body: Record<string, unknown>;
  /** key=value of each label, resolved to an href at write time. */
  readonly labels: readonly string[];
}

function oneOf(v: string, allowed: readonly string[], column: string): string | undefined {
  return v === '' || allowed.includes(v) ? undefined : `${column} "${v}" is not one of ${allowed.join(', ')}`;
}

export async function importWorkloadsCsv(ctx: CommandContext): Promise<void> {
  const { io, flags, args } = ctx;
  const file = args[0] ?? '';
  const createLabels = flags['createLabels'] !== false;
  const t = await readCsvTable(io, file, ['hostname']);
  const problems: RowProblem[] = [...t.problems];
  const labelColumns = t.header.filter((h) => !(WORKLOAD_COLUMNS as readonly string[]).includes(h));
  const api = await ctx.api();
  const dims = new Set(arr((await api.list(api.orgPath('/label_dimensions'))).items).map((d) => field(d, 'key')));
  const unknownKeys = labelColumns.filter((k) => !dims.has(k));
  if (unknownKeys.length > 0) problems.push({ row: 1, reason: `column${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.join(', ')}: not a workload field nor a label key on the PCE (label keys: ${[...dims].join(', ')})` });
  const labels = new Map((await fetchLabels(api)).map((l) => [labelKeyOf(l.key, l.value), l.href]));
  const { items: workloads } = await api.list(api.orgPath('/workloads'));
  const existing = new Map(workloads.map((w) => [field(w, 'hostname').toLowerCase(), field(w, 'href')]));
  const seen = new Map<string, number>();
  const good: GoodRow[] = [];
  const missingLabels = new Set<string>();

  for (const r of t.rows) {
    const get = (c: string): string => cell(t.header, r, c);
    const reasons: string[] = [];
    const hostname = get('hostname');
    const name = get('name');
    if (hostname === '' && name === '') reasons.push('hostname and name are both empty');
    if (hostname.length > 255) reasons.push('hostname is longer than 255 characters');
    const ips = get('ip_addresses').split(';').map((s) => s.trim()).filter((s) => s !== '');
    for (const ip of ips) if (isIP(ip) === 0) reasons.push(`"${ip}" is not an IP address`);
    for (const [col, allowed] of [['os_type', OS_TYPES], ['enforcement_mode', ENFORCEMENT_MODES], ['visibility_level', VISIBILITY_LEVELS]] as const) {
      const bad = oneOf(get(col), allowed, col);
      if (bad) reasons.push(bad);
    }
    const rowLabels: string[] = [];
    for (const k of labelColumns) {
      const v = get(k);
      if (v === '' || !dims.has(k)) continue;
      const id = labelKeyOf(k, v);
      rowLabels.push(id);
      if (!labels.has(id)) {
        if (createLabels) missingLabels.add(id);
        else reasons.push(`label ${id} does not exist (create it, or import without --no-create-labels)`);
      }
    }
    const ident = (hostname || name).toLowerCase();
    if (hostname !== '' && existing.has(hostname.toLowerCase())) reasons.push(`a workload with hostname ${hostname} already exists (${existing.get(hostname.toLowerCase()) ?? ''})`);
    const first = seen.get(ident);
    if (first !== undefined) reasons.push(`${hostname ? 'hostname' : 'name'} ${hostname || name} repeats row ${first}`);
    else seen.set(ident, r.row);
    if (reasons.length > 0) {
      problems.push({ row: r.row, reason: reasons.join('; ') });
      continue;
    }
    const body: Record<string, unknown> = {
      ...(hostname ? { hostname } : {}),
      ...(name ? { name } : {}),
      ...(ips.length > 0 ? { interfaces: interfacesOf(ips) } : {}),
      ...(get('os_type') ? { os_type: get('os_type') } : {}),
      ...(get('os_version') ? { os_version: get('os_version') } : {}),
      ...(get('enforcement_mode') ? { enforcement_mode: get('enforcement_mode') } : {}),
      ...(get('visibility_level') ? { visibility_level: get('visibility_level') } : {}),
    };
    good.push({ row: r.row, body, labels: rowLabels });
  }
  checkBeforeWrite(io, problems, bool(flags, 'partial'), 'workloads');

  // Only create the labels the rows being written need.
  const needed = [...missingLabels].filter((id) => good.some((g) => g.labels.includes(id)));
  for (const id of needed) {
    const i = id.indexOf('=');
    const created = await api.post(api.orgPath('/labels'), { key: id.slice(0, i), value: id.slice(i + 1) });
    labels.set(id, field(created, 'href'));
  }
  if (needed.length > 0) io.err(`created ${needed.length} label${needed.length > 1 ? 's' : ''}: ${needed.join(', ')}`);
  const created: unknown[] = [];
  for (const g of good) {
    const hrefs = g.labels.flatMap((id) => {
      const h = labels.get(id);
      return h ? [{ href: h }] : [];
    });
    try {
      created.push(await api.post(api.orgPath('/workloads'), { ...g.body, labels: hrefs }));
    } catch (err) {
      problems.push({ row: g.row, reason: `the PCE refused it: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  if (ctx.json) io.out(JSON.stringify(created, null, 2));
  else io.out(`imported ${created.length} workloads from ${file}`);
  finish(problems, created.length, 'workloads');
}

export async function exportWorkloadsCsv(api: ApiClient): Promise<{ text: string; count: number }> {
  const { items } = await api.list(api.orgPath('/workloads'));
  const extraKeys = [...new Set(items.flatMap((w) => arr(obj(w)['labels']).map((l) => field(l, 'key'))))].filter((k) => !BUILTIN_LABEL_COLUMNS.includes(k)).sort();
  const keys = [...BUILTIN_LABEL_COLUMNS, ...extraKeys];
  const rows = items.map((w) => {
    const ls = arr(obj(w)['labels']);
    const ips = arr(obj(w)['interfaces']).map((i) => field(i, 'address'));
    return [
      field(w, 'hostname'),
      field(w, 'name'),
      ips.join(';'),
      field(w, 'os_type'),
      field(w, 'os_version'),
      field(w, 'enforcement_mode'),
      field(w, 'visibility_level'),
      ...keys.map((k) => field(ls.find((l) => field(l, 'key') === k), 'value')),
    ];
  });
  return { text: formatCsv([...WORKLOAD_COLUMNS, ...keys], rows), count: items.length };
}
