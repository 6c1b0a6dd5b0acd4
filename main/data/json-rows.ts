import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { HearthError } from '../contracts/errors.js';
import { spoolStream, type SpoolCipher } from '../security/spool.js';
import { ColumnBuilder } from './column-builder.js';
import type { QuarantinedRow } from './csv.js';
import type { Frame } from './frame.js';

export type JsonFormat = 'json' | 'ndjson';

/** The format a file's name implies, if it is a JSON one. */
export function jsonFormatOf(fileName: string): JsonFormat | null {
  if (/\.(ndjson|jsonl)$/i.test(fileName)) return 'ndjson';
  if (/\.json$/i.test(fileName)) return 'json';
  return null;
}

/** Nested objects become dotted column names ({"a": {"b": 1}} → a.b); arrays stay whole, as JSON text. */
function flatten(value: Record<string, unknown>, prefix: string, out: Map<string, string>): void {
  for (const [key, v] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name, out);
    else out.set(name, v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  }
}

/**
 * Reads JSON (an array of objects) or NDJSON (one object per line) into typed columns, with the same type inference
 * as CSV: every value goes through the column builder as text. A line (or array element) that is not an object is
 * quarantined with its number; a file with no good row is refused.
 */
export async function readJsonRows(
  path: string,
  format: JsonFormat,
  options: { spool?: SpoolCipher | undefined } = {},
): Promise<{ frame: Frame; quarantined: QuarantinedRow[]; bytes: number }> {
  const bytes = statSync(path).size;
  if (bytes === 0) throw new HearthError('INVALID_INPUT', 'the file is empty', { reason: 'empty' });
  const open = (): Readable =>
    options.spool === undefined ? createReadStream(path) : spoolStream(path, options.spool, 0, 1 << 20);
  const rows: Map<string, string>[] = [];
  const quarantined: QuarantinedRow[] = [];
  const accept = (value: unknown, line: number, raw: string): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      quarantined.push({ line, reason: 'not a JSON object', raw: raw.slice(0, 1000) });
      return;
    }
    const flat = new Map<string, string>();
    flatten(value as Record<string, unknown>, '', flat);
    rows.push(flat);
  };
  if (format === 'ndjson') {
    let line = 0;
    for await (const text of createInterface({ input: open(), crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        quarantined.push({ line, reason: `not JSON: ${(error as Error).message}`, raw: text.slice(0, 1000) });
        continue;
      }
      accept(value, line, text);
    }
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
    items.forEach((item, i) => accept(item, i + 1, JSON.stringify(item) ?? ''));
  }
  if (rows.length === 0)
    throw new HearthError('INVALID_INPUT', 'no row of the file is a JSON object', { reason: 'all-quarantined' });
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const key of row.keys())
      if (!seen.has(key)) {
        seen.add(key);
        names.push(key);
      }
  const builders = names.map((n) => new ColumnBuilder(n));
  for (const row of rows) names.forEach((n, j) => builders[j]!.pushText(row.get(n) ?? ''));
  return { frame: { rowCount: rows.length, columns: builders.map((b) => b.finish()) }, quarantined, bytes };
}
