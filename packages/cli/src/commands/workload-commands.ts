/** `palisade workloads list|create|update|delete|import|export`. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { invalid } from '@palisade/core/errors.ts';
import { list, str, type AdminCommand, type Flags, type OptionSpec } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import { arr, field, json, obj, table } from '../output.ts';
import { fetchLabels, labelHref, labelsText, workloadHref } from '../pce-lookup.ts';
import { exportWorkloadsCsv, importWorkloadsCsv, interfacesOf } from '../workload-import.ts';

const FIELD_OPTIONS: readonly OptionSpec[] = [
  { flags: '--hostname <hostname>', description: 'hostname' },
  { flags: '--name <name>', description: 'display name' },
  { flags: '--ip <addresses>', description: 'IP addresses (comma separated or repeated)', repeat: true },
  { flags: '--label <key=value>', description: 'labels (comma separated or repeated), e.g. role=web,env=prod', repeat: true },
  { flags: '--os-type <type>', description: 'linux, windows, aix or solaris' },
  { flags: '--os-version <version>', description: 'OS version' },
  { flags: '--enforcement-mode <mode>', description: 'idle, visibility_only, selective or full' },
  { flags: '--visibility-level <level>', description: 'flow_off, flow_drops, flow_summary or enhanced_data_collection' },
];

async function bodyOf(api: ApiClient, flags: Flags): Promise<Record<string, unknown>> {
  const ips = list(flags, 'ip');
  for (const ip of ips) if (isIP(ip) === 0) throw invalid('invalid_flag', `--ip "${ip}" is not an IP address`);
  const labels = list(flags, 'label');
  const cache = labels.length > 0 ? await fetchLabels(api) : [];
  const hrefs: { href: string }[] = [];
  for (const l of labels) hrefs.push({ href: await labelHref(api, l, cache) });
  const s = (name: string): string | undefined => str(flags, name);
  const hostname = s('hostname');
  const name = s('name');
  const osType = s('osType');
  const osVersion = s('osVersion');
  const mode = s('enforcementMode');
  const vis = s('visibilityLevel');
  return {
    ...(hostname !== undefined ? { hostname } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(ips.length > 0 ? { interfaces: interfacesOf(ips) } : {}),
    ...(labels.length > 0 ? { labels: hrefs } : {}),
    ...(osType !== undefined ? { os_type: osType } : {}),
    ...(osVersion !== undefined ? { os_version: osVersion } : {}),
    ...(mode !== undefined ? { enforcement_mode: mode } : {}),
    ...(vis !== undefined ? { visibility_level: vis } : {}),
  };
}

export const WORKLOAD_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'workloads',
    verb: 'list',
    summary: 'list workloads',
    options: [{ flags: '--hostname <hostname>', description: 'only workloads whose hostname contains this' }],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const { items } = await a.list(a.orgPath('/workloads'), { hostname: str(flags, 'hostname') });
      if (asJson) return json(io, items);
      table(
        io,
        ['HREF', 'HOSTNAME', 'NAME', 'IPS', 'MODE', 'LABELS'],
        items.map((w) => [field(w, 'href'), field(w, 'hostname'), field(w, 'name'), arr(obj(w)['interfaces']).map((i) => field(i, 'address')).join(','), field(w, 'enforcement_mode'), labelsText(w)]),
      );
    },
  },
  {
    noun: 'workloads',
    verb: 'create',
    summary: 'create an unmanaged workload: workloads create --hostname db1 --ip 10.0.0.5 --label role=db',
    options: FIELD_OPTIONS,
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const created = await a.post(a.orgPath('/workloads'), await bodyOf(a, flags));
      if (asJson) return json(io, created);
      io.out(`created workload ${field(created, 'hostname') || field(created, 'name')} ${field(created, 'href')}`);
    },
  },
  {
    noun: 'workloads',
    verb: 'update',
    summary: 'update a workload (by hostname, name, id or href); --label replaces all labels',
    args: ['<workload>'],
    options: FIELD_OPTIONS,
    run: async ({ io, json: asJson, flags, args, api }) => {
      const a = await api();
      const href = await workloadHref(a, args[0] ?? '');
      const body = await bodyOf(a, flags);
      if (Object.keys(body).length === 0) throw invalid('nothing_to_update', 'nothing to update: pass at least one of --hostname, --name, --ip, --label, --os-type, --enforcement-mode, …');
      await a.put(href, body);
      if (asJson) return json(io, await a.get(href));
      io.out(`updated workload ${href}`);
    },
  },
  {
    noun: 'workloads',
    verb: 'delete',
    summary: 'delete an unmanaged workload (by hostname, name, id or href)',
    args: ['<workload>'],
    run: async ({ io, json: asJson, args, api }) => {
      const a = await api();
      const href = await workloadHref(a, args[0] ?? '');
      await a.delete(href);
      if (asJson) return json(io, { href, deleted: true });
      io.out(`deleted workload ${href}`);
    },
  },
  {
    noun: 'workloads',
    verb: 'export',
    summary: 'export workloads as CSV (hostname,name,ip_addresses,os_type,os_version,enforcement_mode,visibility_level,role,app,env,loc,…)',
    options: [{ flags: '-o, --output <file>', description: 'write to FILE instead of stdout' }],
    run: async ({ io, flags, api }) => {
      const { text, count } = await exportWorkloadsCsv(await api());
      const out = str(flags, 'output');
      if (out === undefined) io.out(text.trimEnd());
      else {
        await writeFile(resolve(io.cwd, out), text);
        io.err(`exported ${count} workloads to ${out}`);
      }
    },
  },
  {
    noun: 'workloads',
    verb: 'import',
    summary: 'import workloads from CSV; a bad file imports nothing unless --partial; missing labels are created',
    args: ['<file>'],
    options: [
      { flags: '--partial', description: 'import the good rows even if some are bad (exit code still non-zero)' },
      { flags: '--no-create-labels', description: 'treat labels that do not exist as errors instead of creating them' },
    ],
    run: (ctx) => importWorkloadsCsv(ctx),
  },
];
