import { isUtf8 } from 'node:buffer';
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { spoolDecipherAt, spoolStream, type SpoolCipher } from '../security/spool.js';
import { HearthError } from '../contracts/errors.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ColumnBuilder, type BuilderSnapshot } from './column-builder.js';
import type { Frame } from './frame.js';

export interface QuarantinedRow {
  /** 1-based physical line where the record starts (the header is line 1). */
  line: number;
  reason: string;
  /** The record's text, cut to 1,000 characters. */
  raw: string;
}

export interface CsvDialect {
  delimiter: string;
  quote: '"';
  bom: boolean;
  lineEnding: 'LF' | 'CRLF';
}

export interface CsvReadResult {
  frame: Frame;
  /** The file line each row of the frame started on (1-based, the header is line 1). */
  rowLines: Int32Array;
  quarantined: QuarantinedRow[];
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
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const candidateDelimiters = [',', '\t', ';', '|'];
const sniffBytes = 64 * 1024;
const chunkBytes = 4 * 1024 * 1024;
const maxColumns = 4096;

function cut(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** Detects BOM, delimiter and line ending from the first 64 KiB. */
export function sniffDialect(head: Buffer): CsvDialect {
  const bom = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  const text = head.toString('utf8', bom ? 3 : 0);
  const firstLf = text.indexOf('\n');
  const lineEnding = firstLf > 0 && text[firstLf - 1] === '\r' ? 'CRLF' : 'LF';
  const lines: string[] = [];
  let current = '';
  let inQuotes = false;
  for (const ch of text) {
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === '\n' && !inQuotes) {
      lines.push(current);
      current = '';
      if (lines.length >= 30) break;
    } else current += ch;
  }
  if (lines.length === 0) lines.push(current);
  let best = { delimiter: ',', score: -1 };
  for (const d of candidateDelimiters) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    const headerCount = counts[0]!;
    if (headerCount === 0) continue;
    const consistent = counts.filter((c) => c === headerCount).length;
    // Consistency across lines matters most; more columns breaks ties (a "," inside values is rarer than a ";").
    const score = consistent * 1000 + headerCount;
    if (score > best.score) best = { delimiter: d, score };
  }
  return { delimiter: best.delimiter, quote: '"', bom, lineEnding };
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let n = 0;
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === delimiter && !inQuotes) n++;
  }
  return n;
}

function uniqueHeader(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw, i) => {
    let name = raw.trim() === '' ? `column_${i + 1}` : raw.trim();
    if (seen.has(name)) {
      let k = 2;
      while (seen.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    seen.add(name);
    return name;
  });
}

type ParseOutcome = 'ok' | 'incomplete' | 'bad-quote';

/** Where a reader of one byte range of a CSV starts, and what it already knows. */
interface CsvRange {
  start: number;
  /** Exclusive; the file's size for the last range, which alone treats its end as the end of the file. */
  end: number;
  /** The line the range starts on (1-based; lines count every LF, inside quoted fields too). */
  line: number;
  /** The header, when known: every record read is a row. */
  header?: string[];
  /** Builders to continue (the sequential reader's); fresh ones otherwise. */
  builders?: ColumnBuilder[];
  /** The range starts inside an over-long record being skipped to its line end. */
  skipping: boolean;
  /** Stop after the header record. */
  headerOnly?: boolean;
}

interface RangeSetup {
  dialect: CsvDialect;
  maxRecordBytes: number;
  total: number;
  threads?: number;
  parallelMinBytes?: number;
  spool?: SpoolCipher;
  signal?: AbortSignal;
}

export interface RangeResult {
  header: string[] | undefined;
  builders: ColumnBuilder[];
  quarantined: QuarantinedRow[];
  rowLines: number[];
  /** The line after the last record read. */
  line: number;
  /** The byte after the last whole record read: the range's end, unless a record ran past it. */
  stoppedAt: number;
  skipping: boolean;
  /** With headerOnly: the byte after the header record. */
  headerEnd: number;
}

/**
 * Reads the records of one byte range of a delimited file into column builders. Malformed records (wrong field
 * count, broken quoting, invalid UTF-8, over-long records) are quarantined with their line number and reason; the
 * rest load. Reading [a, b) then [b, c) from where the first stopped is exactly reading [a, c).
 */
export async function parseRange(
  path: string,
  setup: RangeSetup,
  range: CsvRange,
  onBytes?: (bytes: number) => void,
): Promise<RangeResult> {
  const { dialect, maxRecordBytes, total } = setup;
  const delimiter = dialect.delimiter.charCodeAt(0);
  const quarantined: QuarantinedRow[] = [];
  const rowLines: number[] = [];
  let header: string[] | undefined = range.header;
  let builders: ColumnBuilder[] = range.builders ?? (header ?? []).map((n) => new ColumnBuilder(n));
  let ncols = header?.length ?? 0;
  let headerEnd = -1;
  // Per-record field boundaries, reused for every record.
  let starts = new Int32Array(64);
  let ends = new Int32Array(64);
  let escaped = new Uint8Array(64);

  const quarantine = (line: number, reason: string, raw: string): void => {
    quarantined.push({ line, reason, raw: cut(raw) });
  };

  const acceptRecord = (buf: Buffer, nFields: number, line: number, recStart: number, recEnd: number): void => {
    if (header === undefined) {
      const names: string[] = [];
      for (let f = 0; f < nFields; f++) names.push(fieldText(buf, f));
      if (names.length > maxColumns) {
        throw new HearthError('INVALID_INPUT', `the header has ${names.length} columns; at most ${maxColumns}`, {
          reason: 'too-many-columns',
        });
      }
      header = uniqueHeader(names);
      ncols = header.length;
      builders = header.map((n) => new ColumnBuilder(n));
      return;
    }
    if (nFields !== ncols) {
      // A trailing blank line (one empty field) is not a record.
      if (nFields === 1 && starts[0] === ends[0]) return;
      quarantine(line, `expected ${ncols} fields, found ${nFields}`, buf.toString('utf8', recStart, recEnd));
      return;
    }
    for (let f = 0; f < ncols; f++) {
      if (escaped[f] === 1) builders[f]!.pushText(fieldText(buf, f));
      else builders[f]!.push(buf, starts[f]!, ends[f]!);
    }
    rowLines.push(line);
  };

  const fieldText = (buf: Buffer, f: number): string => {
    const text = buf.toString('utf8', starts[f], ends[f]);
    return escaped[f] === 1 ? text.replaceAll('""', '"') : text;
  };

  /**
   * Parses one record starting at `pos`. Returns the outcome and the position after the record's line end.
   * Fields are left in starts/ends/escaped; `fields` holds their count.
   */
  let fields = 0;
  let newlinesInRecord = 0;
  let afterQuoteError = false;
  const parseRecord = (buf: Buffer, pos: number, end: number, atEof: boolean): { outcome: ParseOutcome; next: number } => {
    fields = 0;
    newlinesInRecord = 0;
    afterQuoteError = false;
    for (;;) {
      if (fields === starts.length) {
        const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
          const g = new Int32Array(a.length * 2);
          g.set(a);
          return g;
        };
        starts = grow(starts);
        ends = grow(ends);
        const e = new Uint8Array(escaped.length * 2);
        e.set(escaped);
        escaped = e;
      }
      escaped[fields] = 0;
      if (pos < end && buf[pos] === QUOTE) {
        // Quoted field: runs to the next lone quote; "" is an escaped quote.
        let p = pos + 1;
        const fieldStart = p;
        for (;;) {
          const q = buf.indexOf(QUOTE, p);
          if (q === -1 || q >= end) {
            return { outcome: atEof ? 'bad-quote' : 'incomplete', next: pos };
          }
          if (q + 1 < end && buf[q + 1] === QUOTE) {
            escaped[fields] = 1;
            p = q + 2;
            continue;
          }
          if (q + 1 >= end && !atEof) return { outcome: 'incomplete', next: pos };
          for (let k = fieldStart; k < q; k++) if (buf[k] === LF) newlinesInRecord++;
          starts[fields] = fieldStart;
          ends[fields] = q;
          fields++;
          p = q + 1;
          break;
        }
        if (p >= end) return { outcome: 'ok', next: p };
        const c = buf[p]!;
        if (c === delimiter) {
          pos = p + 1;
          continue;
        }
        if (c === LF) return { outcome: 'ok', next: p + 1 };
        if (c === CR && p + 1 < end && buf[p + 1] === LF) return { outcome: 'ok', next: p + 2 };
        if (c === CR && p + 1 >= end && !atEof) return { outcome: 'incomplete', next: pos };
        // Something after the closing quote: the record is malformed; skip to the end of its line.
        afterQuoteError = true;
        const lf = buf.indexOf(LF, p);
        if (lf === -1 || lf >= end) return atEof ? { outcome: 'ok', next: end } : { outcome: 'incomplete', next: pos };
        return { outcome: 'ok', next: lf + 1 };
      }
      // Unquoted field: runs to the delimiter or the line end. A stray quote inside is kept literally.
      let p = pos;
      while (p < end) {
        const c = buf[p]!;
        if (c === delimiter || c === LF) break;
        p++;
      }
      if (p >= end && !atEof) return { outcome: 'incomplete', next: pos };
      starts[fields] = pos;
      ends[fields] = p > pos && buf[p - 1] === CR && (p >= end || buf[p] === LF) ? p - 1 : p;
      fields++;
      if (p >= end) return { outcome: 'ok', next: p };
      if (buf[p] === delimiter) {
        pos = p + 1;
        continue;
      }
      return { outcome: 'ok', next: p + 1 };
    }
  };

  // Parse from a byte offset; on an unterminated quote the record's first line is quarantined and parsing
  // resumes on the next line, so one stray quote cannot swallow the rest of the file.
  let resumeAt = range.start;
  let line = range.line;
  let finished = false;
  // With headerOnly: set once the header record is read, which ends the read.
  let headerRead = false;
  // Where parsing stopped: after the last whole record (or the range's end), and whether it was skipping a record.
  let stoppedAt = range.end;
  let skipping = range.skipping;
  const lastRange = range.end >= total;
  while (!finished) {
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = resumeAt;
    let restart: { offset: number; line: number } | undefined;
    const stream =
      setup.spool === undefined
        ? createReadStream(path, { start: resumeAt, end: range.end - 1, highWaterMark: chunkBytes })
        : spoolStream(path, setup.spool, resumeAt, chunkBytes);
    const consume = (buf: Buffer, bufOffset: number, atEof: boolean): void => {
      let pos = 0;
      const end = buf.length;
      let lastLf = buf.lastIndexOf(LF);
      if (atEof) lastLf = end - 1;
      const validUtf8 = lastLf < 0 || isUtf8(buf.subarray(0, lastLf + 1));
      while (pos < end) {
        if (skipping) {
          const lf = buf.indexOf(LF, pos);
          if (lf === -1) {
            pos = end;
            break;
          }
          skipping = false;
          line++;
          pos = lf + 1;
          continue;
        }
        const { outcome, next } = parseRecord(buf, pos, end, atEof);
        if (outcome === 'incomplete') {
          if (end - pos > maxRecordBytes) {
            if (header === undefined) {
              throw new HearthError('INVALID_INPUT', `the header line is longer than ${maxRecordBytes} bytes`, {
                reason: 'header-too-long',
              });
            }
            const lf = buf.indexOf(LF, pos);
            quarantine(line, `record longer than ${maxRecordBytes} bytes`, buf.toString('utf8', pos, pos + 1000));
            if (lf === -1) {
              skipping = true;
              pos = end;
            } else {
              line++;
              pos = lf + 1;
            }
            continue;
          }
          break;
        }
        if (outcome === 'bad-quote') {
          const lf = buf.indexOf(LF, pos);
          const lineEnd = lf === -1 ? end : lf + 1;
          if (header === undefined) {
            throw new HearthError('INVALID_INPUT', 'the header has an unterminated quoted field', {
              reason: 'bad-header',
            });
          }
          quarantine(line, 'unterminated quoted field', buf.toString('utf8', pos, lineEnd));
          if (lf !== -1) restart = { offset: bufOffset + lineEnd, line: line + 1 };
          pos = end;
          break;
        }
        if (afterQuoteError && newlinesInRecord > 0 && header !== undefined) {
          // A quote that opened on this line only "closed" lines later, inside other rows: the opening quote was
          // the mistake. Quarantine this line alone and read on from the next one.
          const lf = buf.indexOf(LF, pos);
          quarantine(line, 'unterminated quoted field', buf.toString('utf8', pos, lf + 1));
          line++;
          pos = lf + 1;
          continue;
        }
        const recordLine = line;
        line += 1 + newlinesInRecord;
        if (!validUtf8 && !isUtf8(buf.subarray(pos, next))) {
          if (header === undefined) {
            throw new HearthError('INVALID_INPUT', 'the header is not valid UTF-8', { reason: 'encoding' });
          }
          quarantine(recordLine, 'invalid UTF-8', buf.toString('utf8', pos, next));
        } else if (afterQuoteError) {
          quarantine(recordLine, 'unexpected character after a closing quote', buf.toString('utf8', pos, next));
        } else {
          acceptRecord(buf, fields, recordLine, pos, next);
        }
        pos = next;
        if (range.headerOnly === true && header !== undefined) {
          headerEnd = bufOffset + next;
          headerRead = true;
          break;
        }
      }
      carry = pos < end ? buf.subarray(pos) : Buffer.alloc(0);
      carryOffset = bufOffset + pos;
    };

    for await (const chunk of stream) {
      if (setup.signal?.aborted) {
        stream.destroy();
        throw new HearthError('CANCELLED', 'ingest was cancelled');
      }
      let data = chunk as Buffer;
      // A spooled upload streams to its end: the range stops where it says.
      if (carryOffset + carry.length + data.length > range.end)
        data = data.subarray(0, Math.max(0, range.end - carryOffset - carry.length));
      const buf = carry.length > 0 ? Buffer.concat([carry, data]) : data;
      consume(buf, carryOffset, false);
      onBytes?.(data.length);
      if (headerRead || restart !== undefined || carryOffset + carry.length >= range.end) {
        stream.destroy();
        break;
      }
    }
    if (headerRead) break;
    // Only the file's last range reaches its end: a record cut by a middle range's end is left for the next reader.
    if (restart === undefined && carry.length > 0 && lastRange) consume(carry, carryOffset, true);
    if (restart !== undefined) {
      resumeAt = restart.offset;
      line = restart.line;
      if (resumeAt >= range.end) {
        stoppedAt = resumeAt;
        finished = true;
      }
    } else {
      stoppedAt = lastRange ? range.end : carryOffset;
      finished = true;
    }
  }
  return { header, builders, quarantined, rowLines, line, stoppedAt, skipping, headerEnd };
}

/** Plain files at least this large are read in byte ranges by several threads. */
const parallelMinBytes = 32 * 1024 * 1024;

/** What a range reader in another thread sends back (workers/csv-range.ts). */
export interface RangeMessage {
  id: number;
  error?: string;
  builders?: BuilderSnapshot[];
  quarantined?: QuarantinedRow[];
  rowLines?: Int32Array;
  line?: number;
  stoppedAt?: number;
  skipping?: boolean;
}

/** Worker threads reading CSV ranges: started on first use, kept for the process, unreferenced while idle. */
const maxRangeThreads = 4;
const rangeThreads: { worker: Worker; busy: boolean }[] = [];
let nextRangeJob = 1;

function readRangeInThread(path: string, setup: RangeSetup, range: CsvRange): Promise<RangeMessage> {
  let thread = rangeThreads.find((t) => !t.busy);
  // Every thread busy (several large files read at once): this range is read by the caller's thread instead.
  if (thread === undefined && rangeThreads.length >= maxRangeThreads) return Promise.resolve({ id: 0, error: 'busy' });
  if (thread === undefined) {
    const worker = new Worker(new URL('../../workers/csv-range.js', import.meta.url));
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
  const builders = header.map((n) => new ColumnBuilder(n));
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
  return { frame: { rowCount, columns }, rowLines: Int32Array.from(rowLines), quarantined, dialect, bytes: total };
}

/** One CSV cell: quoted when it holds a quote, the delimiter or a line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
