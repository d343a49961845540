/**
 * The console's table: columns as data, click-to-sort headers (keyboard too), an empty state,
 * optional row click (opens the row) and optional row selection for bulk actions.
 */
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';

export interface Column<T> {
  readonly key: string;
  readonly header: string;
  readonly render: (row: T) => ComponentChildren;
  /** Makes the column sortable (in the rows given; server paging sorts per page). */
  readonly sortValue?: (row: T) => string | number;
  readonly class?: string;
}

export interface DataTableProps<T> {
  readonly columns: readonly Column<T>[];
  readonly rows: readonly T[];
  readonly rowKey: (row: T) => string;
  readonly empty?: ComponentChildren;
  readonly onRowClick?: (row: T) => void;
  /** Keys of the selected rows; with onSelectionChange it adds a checkbox column. */
  readonly selected?: ReadonlySet<string>;
  readonly onSelectionChange?: (keys: Set<string>) => void;
  readonly initialSort?: { key: string; dir: 'asc' | 'desc' };
  readonly testid?: string;
  readonly caption?: string;
}

export function sortRows<T>(rows: readonly T[], value: ((row: T) => string | number) | undefined, dir: 'asc' | 'desc'): T[] {
  if (!value) return [...rows];
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return c * sign;
  });
}

export function DataTable<T>(props: DataTableProps<T>) {
  const [sort, setSort] = useState(props.initialSort);
  const col = props.columns.find((c) => c.key === sort?.key);
  const rows = useMemo(() => sortRows(props.rows, col?.sortValue, sort?.dir ?? 'asc'), [props.rows, col, sort]);
  if (props.rows.length === 0 && props.empty !== undefined) return <>{props.empty}</>;
  const selectable = props.selected !== undefined && props.onSelectionChange !== undefined;
  const selected = props.selected ?? new Set<string>();
  const allKeys = rows.map(props.rowKey);
  const allOn = allKeys.length > 0 && allKeys.every((k) => selected.has(k));
  const toggle = (key: string): void => {
    const next = new Set(selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    props.onSelectionChange?.(next);
  };
  const clickSort = (key: string): void => setSort((s) => ({ key, dir: s?.key === key && s.dir === 'asc' ? 'desc' : 'asc' }));
  return (
    <div class="table-wrap">
      <table class="data-table" data-testid={props.testid}>
        {props.caption !== undefined && <caption class="visually-hidden">{props.caption}</caption>}
        <thead>
          <tr>
            {selectable && (
              <th class="col-select">
                <input type="checkbox" aria-label="Select all rows" checked={allOn} data-testid="select-all" onChange={() => props.onSelectionChange?.(allOn ? new Set() : new Set(allKeys))} />
              </th>
            )}
            {props.columns.map((c) => {
              const active = sort?.key === c.key;
              const aria = active ? (sort?.dir === 'asc' ? 'ascending' : 'descending') : undefined;
              return (
                <th key={c.key} class={c.class} aria-sort={aria} scope="col">
                  {c.sortValue ? (
                    <button type="button" class="sort-button" onClick={() => clickSort(c.key)}>
                      {c.header}
                      <span aria-hidden="true" class="sort-mark">
                        {active ? (sort?.dir === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const key = props.rowKey(row);
            const click = props.onRowClick;
            return (
              <tr
                key={key}
                data-key={key}
                class={`${click ? 'row-clickable' : ''}${selected.has(key) ? ' row-selected' : ''}`}
                tabIndex={click ? 0 : undefined}
                onClick={click ? (e) => !(e.target as HTMLElement).closest('input, button, a, select') && click(row) : undefined}
                onKeyDown={click ? (e) => e.key === 'Enter' && e.target === e.currentTarget && click(row) : undefined}
              >
                {selectable && (
                  <td class="col-select">
                    <input type="checkbox" aria-label={`Select row ${key}`} checked={selected.has(key)} data-testid={`select-${key}`} onChange={() => toggle(key)} />
                  </td>
                )}
                {props.columns.map((c) => (
                  <td key={c.key} class={c.class}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
