import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../accel/worker-thread.js';
import { spoolDecipherAt, type SpoolCipher } from '../crypto/spool.js';
import { HearthError } from '../contracts/errors.js';
import { ColumnBuilder } from '../table/column-builder.js';
import { unparsableCells } from '../table/stray-cells.js';
import type { UnparsableCells } from '../contracts/datasets.js';
import {
  parseRange,
  sniffDialect,
  type CsvDialect,
  type CsvRange,
  type QuarantinedRow,
  type RangeMessage,
  type RangeSetup,
} from '../table/csv-parse.js';
import { cellValue, type Frame } from '../table/frame.js';

export type { CsvDialect, QuarantinedRow } from '../table/csv-parse.js';

export interface CsvReadResult {
  frame: Frame;
  /** The file line each row of the frame started on (1-based, the header is line 1). */
  rowLines: Int32Array;
  quarantined: QuarantinedRow[];
  /** Cells of numeric and date columns that did not parse and were read as missing (absent when none). */
  unparsable?: UnparsableCells;
  dialect: CsvDialect;
  bytes: number;
}

export interface CsvReadOptions {
  /** The file is an encrypted upload spool (main/security/spool.ts): read it through its cipher. */
  spool?: SpoolCipher;
  /** Forces a delimiter instead of detecting one. */
  delimiter?: string;
  /** A record longer than this is quarantined (default 1 MiB); a header longer than this rejects the file. */
  maxRecordBytes?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** Readers of a large file, this thread included (default: one per core, up to four; 1 reads it in one pass). */
  threads?: number;
  /** Files smaller than this are read in one pass (default 32 MiB). */
  parallelMinBytes?: number;
  /**
   * A column turns to text at its first unparsable cell instead of holding a few as missing (an append: its rows
   * meet the dataset's schema, which quarantines a row it cannot hold, with why).
   */
  strictTypes?: boolean;
}

const LF = 0x0a;
const sniffBytes = 64 * 1024;

/** Plain files at least this large are read in byte ranges by several threads. */
const parallelMinBytes = 32 * 1024 * 1024;

/** Worker threads reading CSV ranges: started on first use, kept for the process, unreferenced while idle. */
const maxRangeThreads = 4;
const rangeThreads: { worker: Worker; busy: boolean }[] = [];
let nextRangeJob = 1;

function readRangeInThread(path: string, setup: RangeSetup, range: CsvRange): Promise<RangeMessage> {
  let thread = rangeThreads.find((t) => !t.busy);
  // Every thread busy (several large files read at once): this range is read by the caller's thread instead.
  if (thread === undefined && rangeThreads.length >= maxRangeThreads) return Promise.resolve({ id: 0, error: 'busy' });
  if (thread === undefined) {
    const worker = startWorker(new URL('../../workers/csv-range.js', import.meta.url));
    worker.unref();
    thread = { worker, busy: false };
    const self = thread;
    // A thread that dies is dropped; its job's reader falls back to this thread.
    worker.on('error', () => rangeThreads.splice(rangeThreads.indexOf(self), 1));
    rangeThreads.push(thread);
  }
  const id = nextRangeJob++;
  const chosen = thread;
  chosen.busy = true;
  chosen.worker.ref();
  return new Promise((resolve) => {
    const done = (message: RangeMessage) => {
      chosen.busy = false;
      chosen.worker.unref();
      chosen.worker.off('message', onMessage);
      chosen.worker.off('exit', onExit);
      resolve(message);
    };
    const onMessage = (message: RangeMessage) => {
      if (message.id === id) done(message);
    };
    const onExit = () => done({ id, error: 'the reading thread exited' });
    chosen.worker.on('message', onMessage);
    chosen.worker.on('exit', onExit);
    const { spool: _spool, signal: _signal, ...plain } = setup;
    chosen.worker.postMessage({ id, path, setup: plain, range });
  });
}

/** The offset just after the first LF at or after `from`, or -1 when none comes before `end`. */
function nextLineStart(fd: number, from: number, end: number): number {
  const buf = Buffer.alloc(64 * 1024);
  for (let at = from; at < end; at += buf.length) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
    const lf = buf.subarray(0, n).indexOf(LF);
    if (lf >= 0) return at + lf + 1;
    if (n === 0) break;
  }
  return -1;
}

/**
 * Reads a file's records after its header. A large plain file is cut at line starts into one range per core (up to
 * four); the ranges after the first are read by worker threads from a fresh start while this thread reads the
 * first, then their columns are appended in order. Where a fresh start cannot give what a reader reading on would
 * (a quoted field spans the cut, an over-long record is being skipped across it, or a column's inferred type would
 * differ: see ColumnBuilder.canAppend), this thread reads that range itself, from where the previous reader
 * stopped. Either way the result is exactly what one reader would produce, at about half the time on two cores.
 */
async function readRanges(
  path: string,
  setup: RangeSetup,
  header: string[],
  bodyStart: number,
  bodyLine: number,
  onBytes: (bytes: number) => void,
): Promise<{ builders: ColumnBuilder[]; quarantined: QuarantinedRow[]; rowLines: number[] }> {
  const threads =
    setup.spool === undefined && setup.total - bodyStart >= (setup.parallelMinBytes ?? parallelMinBytes)
      ? (setup.threads ?? Math.min(4, availableParallelism()))
      : 1;
  const bounds = [bodyStart];
  if (threads > 1) {
    const fd = openSync(path, 'r');
    try {
      for (let k = 1; k < threads; k++) {
        const cut = nextLineStart(fd, bodyStart + Math.floor(((setup.total - bodyStart) * k) / threads), setup.total);
        if (cut > bounds.at(-1)! && cut < setup.total) bounds.push(cut);
      }
    } finally {
      closeSync(fd);
    }
  }
  bounds.push(setup.total);
  const parts = bounds
    .slice(1, -1)
    .map((start, i) => readRangeInThread(path, setup, { start, end: bounds[i + 2]!, line: 1, header, skipping: false }));
  const builders = header.map((n) => new ColumnBuilder(n, setup.strictTypes !== true));
  const quarantined: QuarantinedRow[] = [];
  const rowLines: number[] = [];
  let pos = bodyStart;
  let line = bodyLine;
  let skipping = false;
  try {
    for (let i = 0; i + 1 < bounds.length; i++) {
      const [a, b] = [bounds[i]!, bounds[i + 1]!];
      if (pos >= b) continue;
      if (i > 0 && pos === a && !skipping) {
        const part = await parts[i - 1]!;
        if (part.error === undefined && part.builders!.every((snapshot, f) => builders[f]!.canAppend(snapshot))) {
          part.builders!.forEach((snapshot, f) => builders[f]!.append(snapshot));
          const offset = line - 1;
          for (const q of part.quarantined!) quarantined.push({ ...q, line: q.line + offset });
          for (const l of part.rowLines!) rowLines.push(l + offset);
          line = part.line! + offset;
          pos = part.stoppedAt!;
          skipping = part.skipping!;
          onBytes(b - a);
          continue;
        }
      }
      setup.signal?.throwIfAborted();
      const read = await parseRange(path, setup, { start: pos, end: b, line, header, builders, skipping }, onBytes);
      quarantined.push(...read.quarantined);
      for (const l of read.rowLines) rowLines.push(l);
      line = read.line;
      pos = read.stoppedAt;
      skipping = read.skipping;
    }
  } finally {
    // A failed read leaves no thread busy for long: the others finish their range and go idle.
    await Promise.allSettled(parts);
  }
  return { builders, quarantined, rowLines };
}

/**
 * Streams a delimited text file into typed columns. Malformed records (wrong field count, broken quoting,
 * invalid UTF-8, over-long records) are quarantined with their line number and reason; the rest load.
 * A file that cannot be read as a table at all is rejected with INVALID_INPUT. A large plain file is read in byte
 * ranges by several threads (see readRanges); the result is exactly what one reader would produce.
 */
export async function readCsv(path: string, options: CsvReadOptions = {}): Promise<CsvReadResult> {
  const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
  let total: number;
  try {
    total = statSync(path).size;
  } catch {
    throw new HearthError('NOT_FOUND', `cannot read ${path}: no such file`);
  }
  if (total === 0) throw new HearthError('INVALID_INPUT', 'the file is empty', { reason: 'empty' });

  let head = Buffer.alloc(Math.min(sniffBytes, total));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (options.spool !== undefined) head = spoolDecipherAt(options.spool, 0).update(head);
  if (head.includes(0)) {
    throw new HearthError('INVALID_INPUT', 'the file contains NUL bytes: it is binary, not delimited text', {
      reason: 'binary',
    });
  }
  const sniffed = sniffDialect(head);
  const dialect: CsvDialect = options.delimiter === undefined ? sniffed : { ...sniffed, delimiter: options.delimiter };

  const setup: RangeSetup = {
    dialect,
    maxRecordBytes,
    total,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.parallelMinBytes === undefined ? {} : { parallelMinBytes: options.parallelMinBytes }),
    ...(options.strictTypes === true ? { strictTypes: true } : {}),
    ...(options.spool === undefined ? {} : { spool: options.spool }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  let bytesRead = 0;
  const onBytes = (n: number) => {
    bytesRead += n;
    options.onProgress?.(Math.min(bytesRead, total), total);
  };
  const start = dialect.bom ? 3 : 0;
  const first = await parseRange(path, setup, { start, end: total, line: 1, skipping: false, headerOnly: true });
  if (first.header === undefined) throw new HearthError('INVALID_INPUT', 'the file has no header', { reason: 'no-header' });
  const bodyStart = first.headerEnd < 0 ? total : first.headerEnd;
  onBytes(bodyStart);
  const { builders, quarantined, rowLines } = await readRanges(path, setup, first.header, bodyStart, first.line, onBytes);
  quarantined.unshift(...first.quarantined);
  const columns = builders.map((b) => b.finish());
  const rowCount = columns.length === 0 ? 0 : builders[0]!.rowCount;
  if (rowCount === 0) {
    throw new HearthError(
      'INVALID_INPUT',
      quarantined.length > 0
        ? `no row could be read: all ${quarantined.length} were quarantined (first: line ${quarantined[0]!.line}, ${quarantined[0]!.reason})`
        : 'the file has a header but no rows',
      { reason: quarantined.length > 0 ? 'all-quarantined' : 'header-only', quarantined: quarantined.slice(0, 20) },
    );
  }
  const unparsable = unparsableCells(builders, (r) => rowLines[r] ?? r + 2);
  return {
    frame: { rowCount, columns },
    rowLines: Int32Array.from(rowLines),
    quarantined,
    ...(unparsable === undefined ? {} : { unparsable }),
    dialect,
    bytes: total,
  };
}

/** One CSV cell: quoted when it holds a quote, the delimiter or a line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A frame as CSV text, header first; PAYLOAD_TOO_LARGE once the text would pass `limit` characters. */
export function frameCsv(frame: Frame, limit: number): string {
  const lines = [frame.columns.map((c) => csvCell(c.name)).join(',')];
  let size = lines[0]!.length + 1;
  for (let r = 0; r < frame.rowCount; r++) {
    const line = frame.columns.map((c) => csvCell(cellValue(c, r))).join(',');
    size += line.length + 1;
    if (size > limit)
      throw new HearthError(
        'PAYLOAD_TOO_LARGE',
        `the export passes ${limit} characters at row ${r + 1}; filter it with a pipeline first`,
      );
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
