import { isUtf8 } from 'node:buffer';
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { spoolDecipherAt, spoolStream, type SpoolCipher } from '../security/spool.js';
import { HearthError } from '../contracts/errors.js';
import { ColumnBuilder } from './column-builder.js';
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

/**
 * Streams a delimited text file into typed columns. Malformed records (wrong field count, broken quoting,
 * invalid UTF-8, over-long records) are quarantined with their line number and reason; the rest load.
 * A file that cannot be read as a table at all is rejected with INVALID_INPUT.
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
  const delimiter = dialect.delimiter.charCodeAt(0);

  const quarantined: QuarantinedRow[] = [];
  const rowLines: number[] = [];
  let header: string[] | undefined;
  let builders: ColumnBuilder[] = [];
  let ncols = 0;
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
  let resumeAt = dialect.bom ? 3 : 0;
  let line = 1;
  let bytesRead = 0;
  let finished = false;
  while (!finished) {
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = resumeAt;
    let skipping = false;
    let restart: { offset: number; line: number } | undefined;
    const stream =
      options.spool === undefined
        ? createReadStream(path, { start: resumeAt, highWaterMark: chunkBytes })
        : spoolStream(path, options.spool, resumeAt, chunkBytes);
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
      }
      carry = pos < end ? buf.subarray(pos) : Buffer.alloc(0);
      carryOffset = bufOffset + pos;
    };

    for await (const chunk of stream) {
      if (options.signal?.aborted) {
        stream.destroy();
        throw new HearthError('CANCELLED', 'ingest was cancelled');
      }
      const data = chunk as Buffer;
      bytesRead += data.length;
      const buf = carry.length > 0 ? Buffer.concat([carry, data]) : data;
      consume(buf, carryOffset, false);
      options.onProgress?.(Math.min(bytesRead + resumeAt, total), total);
      if (restart !== undefined) {
        stream.destroy();
        break;
      }
    }
    if (restart === undefined && carry.length > 0) consume(carry, carryOffset, true);
    if (restart !== undefined) {
      resumeAt = restart.offset;
      line = restart.line;
      bytesRead = 0;
    } else finished = true;
  }

  if (header === undefined) throw new HearthError('INVALID_INPUT', 'the file has no header', { reason: 'no-header' });
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
