import { useMemo, useState } from 'react';

/*
 * Search, sort and filter for the console's lists (datasets, models, runs). Done in the page: the lists hold at most
 * a few hundred entries (runs.list returns the newest 100), so a round trip per keystroke would buy nothing.
 */

/** A sortable column: how to read the value it sorts by (numbers numerically, text by locale, nulls last). */
export interface SortColumn<T> {
  key: string;
  value: (row: T) => string | number | null;
}

export interface SortState {
  key: string;
  direction: 'ascending' | 'descending';
}

/** Rows filtered by every word of the query (case-insensitive, in any of `text`'s fields) and by `keep`, then sorted. */
export function viewRows<T>(
  rows: readonly T[],
  query: string,
  text: (row: T) => string,
  columns: readonly SortColumn<T>[],
  sort: SortState | null,
  keep: (row: T) => boolean = () => true,
): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = rows.filter((r) => {
    if (!keep(r)) return false;
    const haystack = text(r).toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
  const column = sort === null ? undefined : columns.find((c) => c.key === sort.key);
  if (column === undefined || sort === null) return kept;
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return kept
    .map((row, index) => ({ row, index, value: column.value(row) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? a.index - b.index : a.value === null ? 1 : -1;
      const order =
        typeof a.value === 'number' && typeof b.value === 'number'
          ? a.value - b.value
          : String(a.value).localeCompare(String(b.value), undefined, { numeric: true });
      // Stable: equal values keep the list's own order.
      return order === 0 ? a.index - b.index : sign * order;
    })
    .map((e) => e.row);
}

/** The state of a list's search box and sort headers, and the rows they leave. */
export function useListView<T>(
  rows: readonly T[],
  text: (row: T) => string,
  columns: readonly SortColumn<T>[],
  keep?: (row: T) => boolean,
) {
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortState | null>(null);
  const shown = useMemo(() => viewRows(rows, query, text, columns, sort, keep), [rows, query, text, columns, sort, keep]);
  /** A header clicked: sort by it ascending, again descending, a third time back to the list's own order. */
  const toggle = (key: string): void =>
    setSort((s) =>
      s?.key !== key ? { key, direction: 'ascending' } : s.direction === 'ascending' ? { key, direction: 'descending' } : null,
    );
  return { query, setQuery, sort, toggle, shown };
}

/** A column header that sorts: a button inside the th, and aria-sort saying how the list is sorted now. */
export function SortHeader({
  label,
  column,
  sort,
  onSort,
  testId,
}: {
  label: string;
  column: string;
  sort: SortState | null;
  onSort: (key: string) => void;
  testId: string;
}) {
  const active = sort?.key === column;
  return (
    <th aria-sort={active ? sort.direction : 'none'} data-testid={`${testId}-sort-${column}`}>
      <button type="button" className="sort" onClick={() => onSort(column)}>
        {label}
        <span aria-hidden="true">{active ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

/** The search box over a list, with how many entries it leaves. */
export function SearchBox({
  value,
  onChange,
  testId,
  label,
  shown,
  total,
}: {
  value: string;
  onChange: (value: string) => void;
  testId: string;
  label: string;
  shown: number;
  total: number;
}) {
  return (
    <label className="search">
      <input
        type="search"
        data-testid={`${testId}-search`}
        aria-label={label}
        placeholder={label}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />{' '}
      <span className="muted" data-testid={`${testId}-count`}>
        {shown === total ? `${total}` : `${shown} of ${total}`}
      </span>
    </label>
  );
}

/** A filter select over one field's values in the list ("" = all). */
export function FilterSelect({
  label,
  value,
  options,
  onChange,
  testId,
}: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  testId: string;
}) {
  return (
    <label>
      {label}{' '}
      <select data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">all</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
