import { writeFileSync } from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer } from 'hyparquet';
import { spoolStream, type SpoolCipher } from '../security/spool.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { HearthError } from '../contracts/errors.js';
import { ColumnBuilder } from './column-builder.js';
import type { Column, Frame } from './frame.js';

/**
 * Parquet in and out, through hyparquet (reading) and hyparquet-writer (writing), pure JavaScript both. Typed
 * columns are taken at their type: integers, floats, booleans and timestamps go straight into numeric columns with
 * no text in between (Parquet's speed over CSV); string columns go through the same builder as a CSV cell, so a
 * Parquet file reads back as its CSV twin does (the same categorical/text choice, the same inference inside text).
 */

type Cell = unknown;

async function deciphered(path: string, spool: SpoolCipher): Promise<AsyncBuffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of spoolStream(path, spool, 0, 1 << 20)) chunks.push(chunk as Buffer);
  const whole = Buffer.concat(chunks);
  const bytes = whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength);
  return { byteLength: bytes.byteLength, slice: (start, end) => bytes.slice(start, end) };
}

function numericColumn(name: string, type: 'integer' | 'number' | 'boolean' | 'datetime', cells: Cell[]): Column {
  const values = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    values[i] =
      v === null || v === undefined
        ? Number.NaN
        : typeof v === 'bigint'
          ? Number(v)
          : v instanceof Date
            ? v.getTime()
            : typeof v === 'boolean'
              ? v
                ? 1
                : 0
              : Number(v);
  }
  return { kind: 'numeric', name, type, values };
}

function textColumn(name: string, cells: Cell[]): Column {
  const builder = new ColumnBuilder(name);
  for (const v of cells) {
    if (v === null || v === undefined) builder.pushMissing();
    else
      builder.pushText(typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : JSON.stringify(v));
  }
  return builder.finish();
}

export async function readParquet(path: string, spool?: SpoolCipher): Promise<{ frame: Frame; bytes: number }> {
  // Parquet is read from its end (the footer) by ranges; an encrypted upload spool is deciphered whole first.
  const file = spool === undefined ? await asyncBufferFromFile(path) : await deciphered(path, spool);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new HearthError('INVALID_INPUT', `not a Parquet file: ${(error as Error).message}`, { reason: 'not-parquet' });
  }
  const rows = Number(metadata.num_rows);
  const leaves = parquetSchema(metadata).children;
  const nested = leaves.find((c) => c.children.length > 0);
  if (nested !== undefined)
    throw new HearthError(
      'INVALID_INPUT',
      `column "${nested.element.name}" is nested (a struct, list or map): flatten it first`,
      {
        reason: 'nested',
      },
    );
  const cells = new Map<string, Cell[]>(leaves.map((c) => [c.element.name, new Array<Cell>(rows).fill(null)]));
  await parquetRead({
    file,
    metadata,
    onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
      const target = cells.get(columnName);
      if (target === undefined) return;
      for (let r = rowStart; r < rowEnd && r < rows; r++) target[r] = columnData[r - rowStart];
    },
  });
  const columns = leaves.map((leaf): Column => {
    const name = leaf.element.name;
    const data = cells.get(name)!;
    const type = leaf.element.type;
    const logical = leaf.element.logical_type?.type ?? leaf.element.converted_type;
    if (type === 'BOOLEAN') return numericColumn(name, 'boolean', data);
    if (
      logical === 'TIMESTAMP' ||
      logical === 'DATE' ||
      logical === 'TIMESTAMP_MILLIS' ||
      logical === 'TIMESTAMP_MICROS' ||
      type === 'INT96'
    )
      return numericColumn(name, 'datetime', data);
    if (
      (type === 'INT32' || type === 'INT64') &&
      (logical === undefined || logical === 'INTEGER' || logical?.startsWith('INT') || logical?.startsWith('UINT'))
    )
      return numericColumn(name, 'integer', data);
    if (type === 'FLOAT' || type === 'DOUBLE' || logical === 'DECIMAL') return numericColumn(name, 'number', data);
    return textColumn(name, data);
  });
  return { frame: { rowCount: rows, columns }, bytes: file.byteLength };
}

/** Writes a frame as Parquet (Snappy): integers INT64, numbers DOUBLE, booleans BOOLEAN, datetimes TIMESTAMP, strings STRING. */
export function writeParquet(frame: Frame, path: string): number {
  const columnData = frame.columns.map((column) => {
    if (column.kind === 'string') {
      const data = Array.from(column.codes, (code) => (code < 0 ? null : column.dictionary[code]!));
      return { name: column.name, data, type: 'STRING' as const, nullable: true };
    }
    const missing = (v: number) => Number.isNaN(v);
    const v = column.values;
    switch (column.type) {
      case 'integer':
        return {
          name: column.name,
          data: Array.from(v, (x) => (missing(x) ? null : BigInt(Math.trunc(x)))),
          type: 'INT64' as const,
          nullable: true,
        };
      case 'boolean':
        return {
          name: column.name,
          data: Array.from(v, (x) => (missing(x) ? null : x !== 0)),
          type: 'BOOLEAN' as const,
          nullable: true,
        };
      case 'datetime':
        return {
          name: column.name,
          data: Array.from(v, (x) => (missing(x) ? null : new Date(x))),
          type: 'TIMESTAMP' as const,
          nullable: true,
        };
      default:
        return {
          name: column.name,
          data: Array.from(v, (x) => (missing(x) ? null : x)),
          type: 'DOUBLE' as const,
          nullable: true,
        };
    }
  });
  const buffer = new Uint8Array(parquetWriteBuffer({ columnData, createdBy: 'hearth' }));
  writeFileSync(path, buffer);
  return buffer.byteLength;
}
