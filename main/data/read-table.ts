import { readCsv, type CsvReadOptions, type QuarantinedRow } from './csv.js';
import type { Frame } from '../table/frame.js';
import type { UnparsableCells } from '../contracts/datasets.js';
import { jsonFormatOf, readJsonRows, type JsonFormat } from './json-rows.js';
import { readParquet } from './parquet.js';

/** The formats a table file may be read in. */
export type TableFormat = 'csv' | 'parquet' | JsonFormat;

/** The format a file is read in: `format` when given, else the file name's extension (.parquet, .json, .ndjson, .jsonl), else CSV. */
export function tableFormatOf(fileName: string, format?: TableFormat): TableFormat {
  return format ?? (/\.(parquet|pq)$/i.test(fileName) ? 'parquet' : null) ?? jsonFormatOf(fileName) ?? 'csv';
}

/** Reads a table file by its format (see tableFormatOf). */
export async function readTable(
  path: string,
  fileName: string,
  options: CsvReadOptions & { format?: TableFormat },
): Promise<{
  frame: Frame;
  rowLines?: Int32Array;
  quarantined: QuarantinedRow[];
  /** Cells of numeric and date columns read as missing because they did not parse (absent when none). */
  unparsable?: UnparsableCells;
  bytes: number;
  delimiter: string;
  lineEnding: string;
}> {
  const format = tableFormatOf(fileName, options.format);
  if (format === 'parquet') {
    const parquet = await readParquet(path, options.spool);
    return { frame: parquet.frame, quarantined: [], bytes: parquet.bytes, delimiter: '', lineEnding: '' };
  }
  if (format === 'csv') {
    const csv = await readCsv(path, options);
    return { ...csv, delimiter: csv.dialect.delimiter, lineEnding: csv.dialect.lineEnding };
  }
  const json = await readJsonRows(path, format, { spool: options.spool, strictTypes: options.strictTypes });
  return { ...json, delimiter: '', lineEnding: format === 'ndjson' ? 'LF' : '' };
}
