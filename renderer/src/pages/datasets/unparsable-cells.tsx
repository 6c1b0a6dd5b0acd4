import type { UnparsableCells } from '../../../../main/contracts/api.js';

/** Cells read as missing because they did not parse as their column's type: line, column and the text as written. */
export function UnparsableCellsTable({ unparsable }: { unparsable: UnparsableCells }) {
  return (
    <>
      <h4>
        Unparsable cells ({unparsable.total}
        {unparsable.total > unparsable.cells.length ? `, the first ${unparsable.cells.length} shown` : ''})
      </h4>
      <p className="muted">These cells did not parse as their column&apos;s type and were read as missing.</p>
      <table data-testid="unparsable-table">
        <thead>
          <tr>
            <th>Line</th>
            <th>Column</th>
            <th>As written</th>
          </tr>
        </thead>
        <tbody>
          {unparsable.cells.map((c) => (
            <tr key={`${c.line}:${c.column}`}>
              <td>{c.line}</td>
              <td>{c.column}</td>
              <td>
                <code>{c.text}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
