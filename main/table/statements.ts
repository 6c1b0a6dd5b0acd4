import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * A connection's prepared statements, by SQL text. Preparing compiles the SQL each time: a log batch prepared its half
 * dozen again per write, and the serving caches (CommitCache loaders) theirs after every commit of the log's writer.
 * A statement is reused for plain get/all/run only: one switched to pluck or raw mode would stay so for every caller.
 */
const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function cachedStatement(db: Database.Database, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (cache === undefined) statementCache.set(db, (cache = new Map<string, Database.Statement>()));
  let prepared = cache.get(sql);
  if (prepared === undefined) cache.set(sql, (prepared = db.prepare(sql)));
  return prepared;
}
