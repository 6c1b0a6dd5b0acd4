import type { UnparsableCells } from '../contracts/datasets.js';
import type { ColumnBuilder } from './column-builder.js';

/** The most unparsable cells one report lists (the total counts them all). */
export const unparsableListed = 100;
/** A listed cell's text is cut to this many characters: a hostile file's megabyte cell stays out of every report. */
export const unparsableTextChars = 200;

/** A cell's text as a report quotes it: cut to unparsableTextChars, with an ellipsis and the length it had. */
export function quotedCell(text: string): string {
  return text.length <= unparsableTextChars ? text : `${text.slice(0, unparsableTextChars)}… (${text.length} characters)`;
}

/**
 * The cells the builders read as missing because they did not parse as their numeric or date column's type, in
 * file order (by line, then column), the first unparsableListed of them with their line (`lineOf` a row) and text;
 * undefined when there were none.
 */
export function unparsableCells(
  builders: readonly ColumnBuilder[],
  lineOf: (row: number) => number,
): UnparsableCells | undefined {
  let total = 0;
  const all: { column: string; line: number; order: number; text: string }[] = [];
  builders.forEach((b, order) => {
    total += b.strays.length;
    // Each builder's strays are in row order: its first unparsableListed are all a merged list can need.
    for (const s of b.strays.slice(0, unparsableListed)) all.push({ column: b.name, line: lineOf(s.row), order, text: s.text });
  });
  if (total === 0) return undefined;
  all.sort((a, b) => a.line - b.line || a.order - b.order);
  return {
    total,
    cells: all.slice(0, unparsableListed).map((c) => ({ column: c.column, line: c.line, text: quotedCell(c.text) })),
  };
}
