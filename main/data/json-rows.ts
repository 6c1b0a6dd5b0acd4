import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { HearthError } from '../contracts/errors.js';
import { spoolStream, type SpoolCipher } from '../crypto/spool.js';
import { ColumnBuilder } from '../table/column-builder.js';
import { unparsableCells } from '../table/stray-cells.js';
import type { UnparsableCells } from '../contracts/datasets.js';
import type { QuarantinedRow } from './csv.js';
import type { Frame } from '../table/frame.js';
import { maxNesting, nestedDeeperThan } from './nesting.js';

export type JsonFormat = 'json' | 'ndjson';

const LF = 0x0a;
const CR = 0x0d;

/** The format a file's name implies, if it is a JSON one. */
export function jsonFormatOf(fileName: string): JsonFormat | null {
  if (/\.(ndjson|jsonl)$/i.test(fileName)) return 'ndjson';
  if (/\.json$/i.test(fileName)) return 'json';
  return null;
}

/**
 * Columns built as rows stream by: a column first seen at row r starts with r missing cells, and a row that lacks a
 * column gives it a missing cell. Every value goes through the builder as a CSV cell would (numbers without the
 * detour through text), so a JSON file and its CSV twin make the same columns.
 */
class JsonColumns {
  readonly builders = new Map<string, ColumnBuilder>();
  rows = 0;
  /** Each row's line (NDJSON) or item number (a JSON array), from 1: where an unparsable cell is reported. */
  readonly lines: number[] = [];

  constructor(private readonly strictTypes: boolean) {}

  private builder(name: string): ColumnBuilder {
    let builder = this.builders.get(name);
    if (builder === undefined) {
      builder = new ColumnBuilder(name, !this.strictTypes);
      for (let r = 0; r < this.rows; r++) builder.pushMissing();
      this.builders.set(name, builder);
    }
    return builder;
  }

  /** Nested objects become dotted column names ({"a": {"b": 1}} → a.b); arrays stay whole, as JSON text. */
  private flatten(value: Record<string, unknown>, prefix: string): void {
    for (const key in value) {
      const v = value[key];
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        this.flatten(v as Record<string, unknown>, name);
        continue;
      }
      const builder = this.builder(name);
      // A name met twice in one row ("a.b" beside {"a": {"b": …}}): the first value stands.
      if (builder.rowCount > this.rows) continue;
      if (typeof v === 'number') builder.pushNumberValue(v);
      else builder.pushText(v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
    }
  }

  add(value: Record<string, unknown>): void {
    this.flatten(value, '');
    this.rows++;
    for (const builder of this.builders.values()) if (builder.rowCount < this.rows) builder.pushMissing();
  }
}

/**
 * Reads JSON (an array of objects) or NDJSON (one object per line) into typed columns, with the same type inference
 * as CSV. A line (or array element) that is not an object is quarantined with its number; a file with no good row
 * is refused.
 */
export async function readJsonRows(
  path: string,
  format: JsonFormat,
  options: { spool?: SpoolCipher | undefined; strictTypes?: boolean | undefined } = {},
): Promise<{ frame: Frame; quarantined: QuarantinedRow[]; unparsable?: UnparsableCells; bytes: number }> {
  const bytes = statSync(path).size;
  if (bytes === 0) throw new HearthError('INVALID_INPUT', 'the file is empty', { reason: 'empty' });
  const open = (): Readable =>
    options.spool === undefined
      ? createReadStream(path, { highWaterMark: 1 << 22 })
      : spoolStream(path, options.spool, 0, 1 << 20);
  const columns = new JsonColumns(options.strictTypes === true);
  const quarantined: QuarantinedRow[] = [];
  const accept = (value: unknown, line: number, raw: () => string): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      quarantined.push({ line, reason: 'not a JSON object', raw: raw().slice(0, 1000) });
      return;
    }
    // Flattening recurses: a row nested past any real record's depth is set aside before it can overflow the stack.
    if (nestedDeeperThan(value)) {
      quarantined.push({ line, reason: `nested deeper than ${maxNesting} levels`, raw: raw().slice(0, 1000) });
      return;
    }
    columns.add(value as Record<string, unknown>);
    columns.lines.push(line);
  };
  if (format === 'ndjson') {
    // Lines split on the bytes (a line feed never occurs inside a UTF-8 character), each parsed on its own.
    let line = 0;
    let carry: Buffer = Buffer.alloc(0);
    const take = (text: string): void => {
      line++;
      if (text.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        quarantined.push({ line, reason: `not JSON: ${parseProblem(error)}`, raw: text.slice(0, 1000) });
        return;
      }
      accept(value, line, () => text);
    };
    for await (const chunk of open()) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let lf = buf.indexOf(LF, start); lf !== -1; lf = buf.indexOf(LF, start)) {
        take(buf.toString('utf8', start, lf > start && buf[lf - 1] === CR ? lf - 1 : lf));
        start = lf + 1;
      }
      carry = buf.subarray(start);
    }
    if (carry.length > 0) take(carry.toString('utf8'));
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of open()) chunks.push(chunk as Buffer);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      throw new HearthError('INVALID_INPUT', `the file is not JSON: ${(error as Error).message}`, { reason: 'not-json' });
    }
    const items = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown } | null)?.rows;
    if (!Array.isArray(items))
      throw new HearthError('INVALID_INPUT', 'a JSON file holds an array of objects (or {"rows": [...]})', {
        reason: 'not-rows',
      });
    // JSON.stringify recurses too: a deep item's raw text is left out rather than overflow the stack.
    items.forEach((item, i) =>
      accept(item, i + 1, () => (nestedDeeperThan(item) ? '(too deeply nested to show)' : (JSON.stringify(item) ?? ''))),
    );
  }
  if (columns.rows === 0)
    throw new HearthError('INVALID_INPUT', 'no row of the file is a JSON object', { reason: 'all-quarantined' });
  const built = [...columns.builders.values()];
  const frame = { rowCount: columns.rows, columns: built.map((b) => b.finish()) };
  const unparsable = unparsableCells(built, (r) => columns.lines[r] ?? r + 1);
  return { frame, quarantined, ...(unparsable === undefined ? {} : { unparsable }), bytes };
}

/**
 * JSON.parse's message without the snippet of the text V8 quotes ('Unexpected token 'z', "zelda.json"... is not
 * valid JSON'): the reason is shown and stored beside a raw text that PII policies may have to withhold.
 */
function parseProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, ".*"(\.\.\.)? is not valid JSON$/s, ' (not valid JSON)');
}
