import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DataType, makeVector, tableFromIPC, util, type Data, type Table } from 'apache-arrow';
import type * as ParquetWasmModule from 'parquet-wasm/node';
import { spoolStream, type SpoolCipher } from '../crypto/spool.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { HearthError } from '../contracts/errors.js';
import { ColumnBuilder } from '../table/column-builder.js';
import type { Column, Frame } from '../table/frame.js';

/**
 * Parquet in and out, through parquet-wasm (reading) and hyparquet-writer (writing). Typed
 * columns are taken at their type: integers, floats, booleans and timestamps go straight into numeric columns with
 * no text in between (Parquet's speed over CSV); string columns go through the same builder as a CSV cell, so a
 * Parquet file reads back as its CSV twin does (the same categorical/text choice, the same inference inside text).
 */

type Cell = unknown;

async function deciphered(path: string, spool: SpoolCipher): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of spoolStream(path, spool, 0, 1 << 20)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const require = createRequire(import.meta.url);
type ParquetWasm = typeof ParquetWasmModule;
let wasm: ParquetWasm | undefined;
/** parquet-wasm's Node build is CommonJS that instantiates its WebAssembly on load: loaded on first use. */
function parquetWasm(): ParquetWasm {
  wasm ??= require('parquet-wasm/node') as ParquetWasm;
  return wasm;
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

/**
 * Reads a Parquet file: decoded by parquet-wasm (Rust's parquet crate, compiled to WebAssembly: about twice as fast
 * as a JavaScript decoder on wide numeric tables) into Arrow, then each Arrow column into a frame column.
 */
export async function readParquet(path: string, spool?: SpoolCipher): Promise<{ frame: Frame; bytes: number }> {
  const bytes = spool === undefined ? readFileSync(path) : await deciphered(path, spool);
  let table: Table;
  try {
    // Batches of 64Ki rows: parquet-wasm's default of 1,024 spends thirteen times as long on the 1M-row benchmark table
    // (3.6 s against 0.28 s), in per-batch overhead.
    table = tableFromIPC(parquetWasm().readParquet(bytes, { batchSize: 65_536 }).intoIPCStream());
  } catch (error) {
    throw new HearthError('INVALID_INPUT', `not a Parquet file Hearth can read: ${String(error).split('\n')[0]}`, {
      reason: 'not-parquet',
    });
  }
  const rows = table.numRows;
  const columns = table.schema.fields.map((field, index): Column => {
    const chunks = table.getChildAt(index)!.data as Data<DataType>[];
    if (DataType.isStruct(field.type) || DataType.isList(field.type) || DataType.isMap(field.type))
      throw new HearthError('INVALID_INPUT', `column "${field.name}" is nested (a struct, list or map): flatten it first`, {
        reason: 'nested',
      });
    const numeric = (
      type: 'integer' | 'number' | 'boolean' | 'datetime',
      scale: ((v: number | bigint) => number) | null,
    ): Column => {
      const values = new Float64Array(rows);
      let offset = 0;
      for (const chunk of chunks) {
        const data = chunk.values as ArrayLike<number | bigint> & { subarray?: unknown };
        if (scale === null && data instanceof Float64Array) values.set(data.subarray(0, chunk.length), offset);
        else for (let i = 0; i < chunk.length; i++) values[offset + i] = scale === null ? Number(data[i]!) : scale(data[i]!);
        if (chunk.nullCount > 0) {
          // The validity bitmap, read directly: bit (chunk.offset + i) clear means missing.
          const bitmap = chunk.nullBitmap;
          for (let i = 0; i < chunk.length; i++) {
            const bit = chunk.offset + i;
            if ((bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) values[offset + i] = Number.NaN;
          }
        }
        offset += chunk.length;
      }
      return { kind: 'numeric', name: field.name, type, values };
    };
    if (DataType.isBool(field.type)) {
      const values = new Float64Array(rows);
      let offset = 0;
      for (const chunk of chunks) {
        const vector = makeVector(chunk);
        for (let i = 0; i < chunk.length; i++) {
          const v = vector.get(i) as boolean | null;
          values[offset + i] = v === null ? Number.NaN : v ? 1 : 0;
        }
        offset += chunk.length;
      }
      return { kind: 'numeric', name: field.name, type: 'boolean', values };
    }
    if (DataType.isInt(field.type)) return numeric('integer', null);
    if (DataType.isFloat(field.type)) return numeric('number', null);
    if (DataType.isDate(field.type)) {
      // Date32 counts days, Date64 milliseconds.
      const days = (field.type as { unit: number }).unit === 0;
      return numeric('datetime', (v) => (days ? Number(v) * 86_400_000 : Number(v)));
    }
    if (DataType.isTimestamp(field.type)) {
      const unit = (field.type as { unit: number }).unit; // 0 s, 1 ms, 2 µs, 3 ns
      const toMs = [1000, 1, 1e-3, 1e-6][unit]!;
      return numeric('datetime', (v) => Number(v) * toMs);
    }
    if (DataType.isDecimal(field.type)) {
      // Decimals arrive as scaled big integers: Arrow's own helper divides by 10^scale.
      const scale = (field.type as { scale: number }).scale;
      const vector = table.getChildAt(index)!;
      const values = Float64Array.from({ length: rows }, (_, r) => {
        const v: unknown = vector.get(r);
        return v === null || v === undefined
          ? Number.NaN
          : util.bigNumToNumber(v as Parameters<typeof util.bigNumToNumber>[0], scale);
      });
      return { kind: 'numeric', name: field.name, type: 'number', values };
    }
    if (DataType.isUtf8(field.type)) {
      // UTF-8 bytes straight from Arrow's buffers into the builder a CSV cell goes through: no string per cell.
      const builder = new ColumnBuilder(field.name);
      for (const chunk of chunks) {
        const offsets = chunk.valueOffsets as Int32Array;
        const data = chunk.values as Uint8Array;
        const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
        for (let i = 0; i < chunk.length; i++) {
          const bit = chunk.offset + i;
          if (bitmap !== null && (bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) builder.pushMissing();
          else builder.push(buf, offsets[i]!, offsets[i + 1]!);
        }
      }
      return builder.finish();
    }
    // Dictionary-encoded strings and anything else: through the same builder, a value at a time.
    const cells: Cell[] = new Array<Cell>(rows);
    let offset = 0;
    for (const chunk of chunks) {
      const vector = makeVector(chunk);
      for (let i = 0; i < chunk.length; i++) cells[offset + i] = vector.get(i) as Cell;
      offset += chunk.length;
    }
    return textColumn(field.name, cells);
  });
  return { frame: { rowCount: rows, columns }, bytes: bytes.byteLength };
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
