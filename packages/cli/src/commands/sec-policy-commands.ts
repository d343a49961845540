/** `palisade provision`, `pending`, `revert`, `versions list|diff`. */
import { invalid } from '@palisade/core/errors.ts';
import { list, need, type AdminCommand } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import { arr, field, json, obj, table } from '../output.ts';

const POLICY_TYPES = ['rule_sets', 'ip_lists', 'services', 'label_groups', 'virtual_services', 'firewall_settings'];
const ONLY = { flags: '--only <objects>', description: 'only these changes: TYPE/ID,… e.g. rule_sets/3,ip_lists/2 (or draft hrefs)', repeat: true } as const;

/** `rule_sets/3` or a draft href → the change_subset the API takes. */
export function changeSubset(api: ApiClient, specs: readonly string[]): Record<string, { href: string }[]> {
  const out: Record<string, { href: string }[]> = {};
  for (const s of specs) {
    const m = /^(?:\/orgs\/\d+\/sec_policy\/draft\/)?([a-z_]+)\/([A-Za-z0-9-]+)$/.exec(s);
    const type = m?.[1];
    const id = m?.[2];
    if (!type || !id || !POLICY_TYPES.includes(type)) throw invalid('invalid_flag', `--only "${s}" must be TYPE/ID with TYPE one of ${POLICY_TYPES.join(', ')} (see "palisade pending")`);
    (out[type] ??= []).push({ href: api.orgPath(`/sec_policy/draft/${type}/${id}`) });
  }
  return out;
}

function versionArg(raw: string | undefined, name: string): string {
  if (!raw || !/^\d+$/.test(raw)) throw invalid('invalid_argument', `${name} must be a policy version number (see "palisade versions list")`);
  return raw;
}

export const SEC_POLICY_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'provision',
    summary: 'provision the draft (or --only some changes) as a new active policy version',
    options: [{ flags: '--description <text>', description: 'what this version changes (required)' }, ONLY],
    run: async ({ io, json: asJson, flags, api }) => {
      const description = need(flags, 'description', '--description');
      const a = await api();
      const only = list(flags, 'only');
      const v = await a.post(a.orgPath('/sec_policy'), { update_description: description, ...(only.length > 0 ? { change_subset: changeSubset(a, only) } : {}) });
      if (asJson) return json(io, v);
      io.out(`provisioned version ${field(v, 'version')} (${field(v, 'workloads_affected') || '0'} workloads affected)`);
    },
  },
  {
    noun: 'pending',
    summary: 'list draft changes not yet provisioned',
    run: async ({ io, json: asJson, api }) => {
      const a = await api();
      const p = obj(await a.get(a.orgPath('/sec_policy/pending')));
      if (asJson) return json(io, p);
      const rows = Object.entries(p).flatMap(([type, items]) => arr(items).map((i) => [type, field(i, 'change_type'), field(i, 'name'), field(i, 'href')]));
      if (rows.length === 0) return io.out('no pending changes');
      table(io, ['TYPE', 'CHANGE', 'NAME', 'HREF'], rows);
    },
  },
  {
    noun: 'revert',
    summary: 'drop pending draft changes (all, or --only some) back to the active policy',
    options: [ONLY],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const only = list(flags, 'only');
      await a.put(a.orgPath('/sec_policy/delete_pending'), only.length > 0 ? { change_subset: changeSubset(a, only) } : {});
      if (asJson) return json(io, { reverted: true });
      io.out(only.length > 0 ? `reverted ${only.length} pending changes` : 'reverted all pending changes');
    },
  },
  {
    noun: 'versions',
    verb: 'list',
    summary: 'list policy versions, newest first',
    run: async ({ io, json: asJson, api }) => {
      const a = await api();
      const { items } = await a.list(a.orgPath('/sec_policy'));
      if (asJson) return json(io, items);
      table(
        io,
        ['VERSION', 'CREATED', 'WORKLOADS', 'CHANGES', 'DESCRIPTION'],
        items.map((v) => [field(v, 'version'), field(v, 'created_at'), field(v, 'workloads_affected'), Object.entries(obj(obj(v)['object_counts'])).map(([k, n]) => `${k}:${String(n)}`).join(','), field(v, 'commit_message')]),
      );
    },
  },
  {
    noun: 'versions',
    verb: 'diff',
    summary: 'objects changed from version A to version B',
    args: ['<a>', '<b>'],
    run: async ({ io, json: asJson, args, api }) => {
      const from = versionArg(args[0], 'A');
      const to = versionArg(args[1], 'B');
      const a = await api();
      const diff = arr(await a.get(a.orgPath(`/sec_policy/${to}/modified_objects`), { compare_to: from }));
      if (asJson) return json(io, diff);
      if (diff.length === 0) return io.out(`no changes between version ${from} and ${to}`);
      table(io, ['CHANGE', 'TYPE', 'NAME', 'HREF'], diff.map((d) => [field(d, 'change_type') || field(d, 'change'), field(d, 'type') || field(d, 'object_type'), field(d, 'name'), field(d, 'href')]));
    },
  },
];
