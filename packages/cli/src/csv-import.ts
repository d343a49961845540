/**
 * What CSV imports share: read and parse the whole file, check the header, and finish with
 * one report. Rows are validated completely before anything is written; a file with a bad
 * row writes nothing unless --partial, and any bad row makes the exit code non-zero.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalid, PalisadeError } from '@palisade/core/errors.ts';
import { parseCsv, type CsvRecord } from './csv.ts';
import type { CliIo } from './io.ts';

export interface RowProblem {
  readonly row: number;
  readonly reason: string;
}

export interface CsvTable {
  /** Lower-cased, trimmed header names. */
  readonly header: readonly string[];
  readonly rows: readonly CsvRecord[];
  readonly problems: RowProblem[];
}

export async function readCsvTable(io: CliIo, file: string, required: readonly string[]): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch {
    throw invalid('csv_unreadable', `cannot read ${file}`);
  }
  const { records, errors } = parseCsv(text);
  const problems: RowProblem[] = errors.map((e) => ({ row: e.row, reason: e.reason }));
  const [head, ...rows] = records;
  if (!head || head.row !== 1) throw invalid('csv_header_missing', `${file}: the first row must be a header (${required.join(',')})`);
  const header = head.fields.map((h) => h.trim().toLowerCase());
  const missing = required.filter((r) => !header.includes(r));
  const dup = header.filter((h, i) => header.indexOf(h) !== i);
  if (missing.length > 0 || dup.length > 0 || header.some((h) => h === '')) {
    throw invalid(
      'csv_header_invalid',
      `${file}: header ${missing.length > 0 ? `lacks ${missing.join(', ')}` : dup.length > 0 ? `repeats ${dup.join(', ')}` : 'has an empty column name'}; expected ${required.join(',')}`,
    );
  }
  for (const r of rows) if (r.fields.length !== header.length) problems.push({ row: r.row, reason: `has ${r.fields.length} fields, the header has ${header.length}` });
  return { header, rows: rows.filter((r) => r.fields.length === header.length), problems };
}

/** Whether to go on and write: no problems, or --partial. Throws the report otherwise. */
export function checkBeforeWrite(io: CliIo, problems: readonly RowProblem[], partial: boolean, what: string): void {
  if (problems.length === 0 || partial) return;
  throw report(problems, `nothing imported: fix the rows above and import again, or pass --partial to import the ${what} that are valid`);
}

export function report(problems: readonly RowProblem[], closing: string): PalisadeError {
  const sorted = [...problems].sort((a, b) => a.row - b.row);
  return new PalisadeError('invalid', [...sorted.map((p) => ({ token: 'csv_row_invalid', message: `row ${p.row}: ${p.reason}` })), { token: 'csv_import_incomplete', message: closing }]);
}

export function finish(problems: readonly RowProblem[], imported: number, what: string): void {
  if (problems.length > 0) throw report(problems, `${imported} ${what} imported; ${new Set(problems.map((p) => p.row)).size} rows skipped`);
}

export function cell(header: readonly string[], rec: CsvRecord, name: string): string {
  const i = header.indexOf(name);
  return i < 0 ? '' : (rec.fields[i] ?? '').trim();
}
