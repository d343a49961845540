/** `palisade labels import FILE`: key,value rows, validated against the PCE before writing. */
import { bool } from './admin-command.ts';
import type { CommandContext } from './admin-command.ts';
import { cell, checkBeforeWrite, finish, readCsvTable, type RowProblem } from './csv-import.ts';
import { arr, field } from './output.ts';
import { fetchLabels, labelKeyOf } from './pce-lookup.ts';

const KEY_RE = /^[a-z][a-z0-9_]{0,31}$/;

export async function importLabelsCsv(ctx: CommandContext): Promise<void> {
  const { io, flags, args } = ctx;
  const file = args[0] ?? '';
  const t = await readCsvTable(io, file, ['key', 'value']);
  const problems: RowProblem[] = [...t.problems];
  const api = await ctx.api();
  const existing = new Set((await fetchLabels(api)).map((l) => labelKeyOf(l.key, l.value)));
  const dims = new Set(arr((await api.list(api.orgPath('/label_dimensions'))).items).map((d) => field(d, 'key')));
  const seen = new Map<string, number>();
  const good: { row: number; key: string; value: string }[] = [];
  for (const r of t.rows) {
    const key = cell(t.header, r, 'key');
    const value = cell(t.header, r, 'value');
    const id = labelKeyOf(key, value);
    let reason: string | undefined;
    if (!KEY_RE.test(key)) reason = `key "${key}" is not a label key (1–32 lowercase letters, digits or _, starting with a letter)`;
    else if (!dims.has(key)) reason = `there is no label key "${key}" on the PCE (keys: ${[...dims].join(', ')})`;
    else if (value === '') reason = 'value is empty';
    else if (value.length > 255) reason = 'value is longer than 255 characters';
    else if (seen.has(id)) reason = `${id} repeats row ${seen.get(id) ?? 0}`;
    else if (existing.has(id)) reason = `label ${id} already exists on the PCE`;
    if (reason !== undefined) problems.push({ row: r.row, reason });
    else good.push({ row: r.row, key, value });
    if (!seen.has(id)) seen.set(id, r.row);
  }
  checkBeforeWrite(io, problems, bool(flags, 'partial'), 'labels');
  const created: unknown[] = [];
  for (const g of good) {
    try {
      created.push(await api.post(api.orgPath('/labels'), { key: g.key, value: g.value }));
    } catch (err) {
      problems.push({ row: g.row, reason: `the PCE refused it: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  if (ctx.json) io.out(JSON.stringify(created, null, 2));
  else io.out(`imported ${created.length} labels from ${file}`);
  finish(problems, created.length, 'labels');
}
