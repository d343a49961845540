/**
 * A small RFC 4180 reader and writer: quoted fields, doubled quotes, CRLF or LF, an optional
 * UTF-8 BOM. Records are numbered from 1 (the header) so messages match a spreadsheet's rows.
 */

export interface CsvRecord {
  /** 1-based record number; the header is record 1. */
  readonly row: number;
  readonly fields: readonly string[];
}

export interface CsvParseResult {
  readonly records: readonly CsvRecord[];
  /** Syntax errors as `row N: reason`; a record with a syntax error is left out of `records`. */
  readonly errors: readonly { row: number; reason: string }[];
}

export function parseCsv(text: string): CsvParseResult {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const errors: { row: number; reason: string }[] = [];
  let row = 1;
  let fields: string[] = [];
  let field = '';
  let bad: string | undefined;
  let i = 0;
  const endRecord = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '';
    if (bad !== undefined) errors.push({ row, reason: bad });
    else if (!blank) records.push({ row, fields });
    if (!blank || bad !== undefined) row++;
    fields = [];
    field = '';
    bad = undefined;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '"' && field === '') {
      // a quoted field: runs to the next quote not doubled
      i++;
      let closed = false;
      while (i < src.length) {
        const d = src[i];
        if (d === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        field += d;
        i++;
      }
      if (!closed) {
        bad ??= 'a quoted field is not closed (missing ")';
        break;
      }
      const next = src[i];
      if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
        bad ??= 'characters after a closing quote (write "" for a quote inside a quoted field)';
        while (i < src.length && src[i] !== ',' && src[i] !== '\n' && src[i] !== '\r') i++;
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      endRecord();
    } else {
      if (c === '"') bad ??= 'a quote inside an unquoted field (quote the whole field and double the quote)';
      field += c;
      i++;
    }
  }
  if (field !== '' || fields.length > 0 || bad !== undefined) endRecord();
  return { records, errors };
}

function quote(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v;
}

export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => r.map(quote).join(',') + '\r\n').join('');
}
