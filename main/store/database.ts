import { keyConnection } from '../crypto/store-key.js';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3-multiple-ciphers';
import { HearthError } from '../contracts/errors.js';
import { migrations as knownMigrations } from './migrations/index.js';
import { touchPrivateFile } from '../crypto/private-fs.js';

export type Db = Database.Database;

interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function migrationHash(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex');
}

/**
 * Opens (creating if needed) the engine's one writable connection.
 * WAL lets readers run beside the writer; synchronous=FULL makes every commit durable across a power cut,
 * which an appliance with a flaky supply needs more than the last few percent of write speed.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = knownMigrations, key?: Buffer | null): Db {
  // SQLite creates a new database 0644 (less the umask) and gives its -wal and -shm the database file's own mode:
  // an empty 0600 file made first keeps all three private.
  if (file !== ':memory:' && file !== '') touchPrivateFile(file);
  const db = new Database(file);
  try {
    // An encrypted store's key comes first: nothing can be read before it.
    keyConnection(db, key);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    immediateTransactions(db);
    migrate(db, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Makes `db.transaction(fn)()` start with BEGIN IMMEDIATE. Other connections write beside this one (the prediction
 * log's writer thread, stream inboxes, a CLI next to the server); a deferred transaction that reads and then writes
 * cannot wait for them: SQLite answers SQLITE_BUSY at once rather than risk a deadlock. Taking the write lock up
 * front lets busy_timeout do its work.
 */
export function immediateTransactions(db: Db): void {
  const deferred = db.transaction.bind(db);
  db.transaction = ((fn: Parameters<Db['transaction']>[0]) => {
    const t = deferred(fn);
    // Each variant carries .deferred, .immediate and .exclusive itself, so callers can still pick one.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- better-sqlite3's variants are closures that ignore `this`
    return t.immediate;
  }) as Db['transaction'];
}

/** Applies pending migrations in one transaction each; refuses a database from newer or altered code. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
  const applied = db.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all() as {
    id: number;
    name: string;
    hash: string;
  }[];
  const newest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.id;
  for (const row of applied) {
    if (row.id > newest) {
      throw new HearthError(
        'STORE_INCOMPATIBLE',
        `This data folder was written by a newer Hearth (schema ${row.id}, this build knows up to ${newest}). Upgrade Hearth to open it.`,
        { databaseSchema: row.id, codeSchema: newest },
      );
    }
    const known = migrations.find((m) => m.id === row.id);
    if (known === undefined || migrationHash(known) !== row.hash) {
      throw new HearthError(
        'STORE_INCOMPATIBLE',
        `Migration ${row.id} (${row.name}) recorded in this database differs from the one in this build.`,
        { migration: row.id },
      );
    }
  }
  const appliedIds = new Set(applied.map((r) => r.id));
  const record = db.prepare('INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (?, ?, ?, ?)');
  // Foreign keys are off while a migration runs (the pragma is a no-op inside a transaction, so it is set around
  // it): rebuilding a table that others reference (new, copy, drop, rename) is otherwise refused or cascades.
  // Before committing, foreign_key_check proves the migration left every reference intact.
  const pending = migrations.filter((m) => !appliedIds.has(m.id));
  if (pending.length === 0) return;
  db.pragma('foreign_keys = OFF');
  try {
    for (const m of pending) {
      db.transaction(() => {
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new HearthError('STORE_INCOMPATIBLE', `migration ${m.id} (${m.name}) would break ${broken.length} references`);
        record.run(m.id, m.name, migrationHash(m), new Date().toISOString());
      })();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

/** The last ISO time made and the millisecond it is for: a prediction log stamps every row, often many a ms. */
let isoAt = -1;
let iso = '';

export function nowIso(now = Date.now()): string {
  if (now !== isoAt) {
    isoAt = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

/**
 * How long a read of PRAGMA data_version stands, in milliseconds. The read opens a WAL read transaction (shared-memory
 * locks, ~35 µs with better-sqlite3's call): at 1 ms it was read a thousand times a second under load, 3–4% of the
 * HTTP thread serving single-row predictions. Another process's commit (a CLI promoting or revoking beside the server)
 * is seen within this long, a delay no one beside the server can tell from the CLI's own exit; this connection's own
 * writes clear the caches at once (CommitCache.clear).
 */
export const dataVersionWindowMs = 10;

/**
 * PRAGMA data_version of one connection, read at most once per synchronous turn and once a window: a served request
 * consults several CommitCaches (token, route, production version, rules, PII policies) and each read is a trip into
 * SQLite. A commit by another connection lands between turns as far as this thread can tell, and is seen at the first
 * turn after the window the last read opened.
 */
class DataVersionClock {
  private readonly statement;
  private value = -1;
  private readAt = Number.NEGATIVE_INFINITY;
  private fresh = false;
  private readonly stale = (): void => {
    this.fresh = false;
  };

  constructor(db: Db) {
    this.statement = db.prepare('PRAGMA data_version').pluck();
  }

  read(): number {
    if (!this.fresh) {
      const now = performance.now();
      if (now - this.readAt >= dataVersionWindowMs) {
        this.value = this.statement.get() as number;
        this.readAt = now;
      }
      this.fresh = true;
      queueMicrotask(this.stale);
    }
    return this.value;
  }
}

const clocks = new WeakMap<Db, DataVersionClock>();

function clockOf(db: Db): DataVersionClock {
  let clock = clocks.get(db);
  if (clock === undefined) {
    clock = new DataVersionClock(db);
    clocks.set(db, clock);
  }
  return clock;
}

/**
 * Values read from the store on a hot path (which version serves, how requests are routed), kept in memory.
 * This connection's own writers call `clear()`; another connection's commit (a CLI beside the server) changes
 * PRAGMA data_version, which empties the cache on the first read after it is seen (within dataVersionWindowMs).
 */
export class CommitCache<V> {
  private readonly values = new Map<string, V>();
  private seen = -1;
  private readonly clock: DataVersionClock;

  constructor(db: Db) {
    this.clock = clockOf(db);
  }

  get(key: string, load: () => V): V {
    const version = this.clock.read();
    if (version !== this.seen) {
      this.values.clear();
      this.seen = version;
    }
    let value = this.values.get(key);
    if (value === undefined) {
      value = load();
      this.values.set(key, value);
    }
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}
