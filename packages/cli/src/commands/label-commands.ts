/** `palisade labels list|create|delete|import|export`. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { notFound } from '@palisade/core/errors.ts';
import type { AdminCommand } from '../admin-command.ts';
import { str } from '../admin-command.ts';
import { formatCsv } from '../csv.ts';
import { importLabelsCsv } from '../label-import.ts';
import { field, json, table } from '../output.ts';
import { fetchLabels, orgObjectHref, splitLabel } from '../pce-lookup.ts';

export const LABEL_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'labels',
    verb: 'list',
    summary: 'list labels',
    options: [{ flags: '--key <key>', description: 'only labels of this key' }],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const key = str(flags, 'key');
      const { items } = await a.list(a.orgPath('/labels'), { key });
      if (asJson) return json(io, items);
      table(io, ['HREF', 'KEY', 'VALUE'], items.map((l) => [field(l, 'href'), field(l, 'key'), field(l, 'value')]));
    },
  },
  {
    noun: 'labels',
    verb: 'create',
    summary: 'create a label: labels create role web (or role=web)',
    args: ['<key>', '[value]'],
    run: async ({ io, json: asJson, args, api }) => {
      const [k = '', v] = args;
      const { key, value } = v === undefined || v === '' ? splitLabel(k) : { key: k, value: v };
      const a = await api();
      const created = await a.post(a.orgPath('/labels'), { key, value });
      if (asJson) return json(io, created);
      io.out(`created label ${key}=${value} ${field(created, 'href')}`);
    },
  },
  {
    noun: 'labels',
    verb: 'delete',
    summary: 'delete a label by id, href or KEY=VALUE',
    args: ['<label>'],
    run: async ({ io, json: asJson, args, api }) => {
      const target = args[0] ?? '';
      const a = await api();
      let href: string;
      if (target.includes('=')) {
        const { key, value } = splitLabel(target);
        const hit = (await fetchLabels(a)).find((l) => l.key === key && l.value === value);
        if (!hit) throw notFound('label_not_found', `no label ${key}=${value} (list them with "palisade labels list")`);
        href = hit.href;
      } else {
        href = orgObjectHref(a, 'labels', target);
      }
      await a.delete(href);
      if (asJson) return json(io, { href, deleted: true });
      io.out(`deleted label ${href}`);
    },
  },
  {
    noun: 'labels',
    verb: 'export',
    summary: 'export labels as CSV (key,value)',
    options: [{ flags: '-o, --output <file>', description: 'write to FILE instead of stdout' }],
    run: async ({ io, flags, api }) => {
      const labels = await fetchLabels(await api());
      const text = formatCsv(['key', 'value'], labels.map((l) => [l.key, l.value]));
      const out = str(flags, 'output');
      if (out === undefined) io.out(text.trimEnd());
      else {
        await writeFile(resolve(io.cwd, out), text);
        io.err(`exported ${labels.length} labels to ${out}`);
      }
    },
  },
  {
    noun: 'labels',
    verb: 'import',
    summary: 'import labels from CSV (header key,value); a bad file imports nothing unless --partial',
    args: ['<file>'],
    options: [{ flags: '--partial', description: 'import the good rows even if some are bad (exit code still non-zero)' }],
    run: (ctx) => importLabelsCsv(ctx),
  },
];
