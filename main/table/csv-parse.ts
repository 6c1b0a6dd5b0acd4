import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { spoolStream, type SpoolCipher } from '../crypto/spool.js';
import { HearthError } from '../contracts/errors.js';
import { ColumnBuilder, type BuilderSnapshot } from './column-builder.js';

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

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const candidateDelimiters = [',', '\t', ';', '|'];
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
export interface CsvRange {
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

export interface RangeSetup {
  dialect: CsvDialect;
  maxRecordBytes: number;
  total: number;
  threads?: number;
  parallelMinBytes?: number;
  spool?: SpoolCipher;
  signal?: AbortSignal;
  /** Columns turn to text at their first unparsable cell (see ColumnBuilder's `tolerant`). */
  strictTypes?: boolean;
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
  let builders: ColumnBuilder[] = range.builders ?? (header ?? []).map((n) => new ColumnBuilder(n, setup.strictTypes !== true));
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
      builders = header.map((n) => new ColumnBuilder(n, setup.strictTypes !== true));
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
