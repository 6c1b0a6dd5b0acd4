import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { HearthError } from '../contracts/errors.js';
import { redactText, redactUrl } from '../security/redact.js';

/**
 * A SQL query as a source of rows: PostgreSQL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`; a password may also
 * come from PGPASSWORD or ~/.pgpass, as with psql) or another SQLite file (`sqlite:///path/to/file.db`, opened
 * read-only). Values become what a file's cells would be: timestamps as ISO text, big integers and decimals as
 * their digits, binary as hex, JSON as its text.
 */
export interface QuerySource {
  from: string;
  query: string;
}

function cell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function normalise(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)])));
}

/**
 * Where a query reads from, without its secrets: what the version records as its source and what errors quote. The
 * password is masked and the query string dropped, since libpq takes `?password=…` and `sslpassword=…` there too.
 */
export function describeSource(from: string): string {
  return redactUrl(from);
}

export async function readQuery({ from, query }: QuerySource): Promise<Record<string, unknown>[]> {
  if (/^postgres(ql)?:\/\//.test(from)) {
    // Read-only by construction: the query runs in a READ ONLY transaction, so a source is never changed by Hearth.
    let client: pg.Client;
    try {
      client = new pg.Client({ connectionString: from, connectionTimeoutMillis: 10_000, statement_timeout: 600_000 });
    } catch (error) {
      // pg's URL parsing throws a plain TypeError for what it cannot read (an unescaped "#", "?" or "/" in a password):
      // a mistake in the source, named as one, not an internal error.
      throw new HearthError(
        'VALIDATION_FAILED',
        `${describeSource(from)} is not a connection string PostgreSQL's client reads (${redactText((error as Error).message)}): percent-encode special characters in the password`,
      );
    }
    try {
      await client.connect();
    } catch (error) {
      throw new HearthError('UNAVAILABLE', `cannot reach ${describeSource(from)}: ${redactText((error as Error).message)}`);
    }
    try {
      await client.query('BEGIN READ ONLY');
      const result = await client.query<Record<string, unknown>>(query);
      await client.query('COMMIT');
      return normalise(result.rows);
    } catch (error) {
      throw new HearthError('VALIDATION_FAILED', `the query failed: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (from.startsWith('sqlite://')) {
    const path = decodeURIComponent(new URL(from).pathname);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new HearthError('NOT_FOUND', `cannot open ${path}: ${(error as Error).message}`);
    }
    try {
      const statement = db.prepare(query);
      if (!statement.reader) throw new HearthError('VALIDATION_FAILED', 'the query returns no rows: give a SELECT');
      return normalise(statement.safeIntegers(true).all() as Record<string, unknown>[]);
    } catch (error) {
      if (error instanceof HearthError) throw error;
      throw new HearthError('VALIDATION_FAILED', `the query failed: ${(error as Error).message}`);
    } finally {
      db.close();
    }
  }
  throw new HearthError(
    'VALIDATION_FAILED',
    `--from takes postgres://USER@HOST/DB or sqlite:///PATH, not ${describeSource(from)}`,
  );
}
