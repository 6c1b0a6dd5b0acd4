import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { HearthError } from '../../main/contracts/errors.js';
import { BlobStore, sha256Digest } from '../../main/store/blob-store.js';
import { openDatabase } from '../../main/store/database.js';
import { migrations } from '../../main/store/migrations/index.js';
import { tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('migrations', () => {
  it('apply once, record a hash each, and use WAL with STRICT tables', () => {
    const file = join(tmp.dir, 'a.db');
    openDatabase(file).close();
    const db = openDatabase(file); // second open applies nothing new
    const rows = db.prepare('SELECT id, hash FROM schema_migrations').all() as { id: number; hash: string }[];
    assert.equal(rows.length, migrations.length);
    assert.match(rows[0]!.hash, /^[0-9a-f]{64}$/);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.throws(
      () =>
        db
          .prepare('INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?)')
          .run('d', 'not a number', 'x', 'y'),
      /cannot store TEXT value in INTEGER column/,
    );
    db.close();
  });

  it('refuse a database written by newer code, with a coded error', () => {
    const file = join(tmp.dir, 'b.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (999, 'future', 'x', 'now')").run();
    raw.close();
    assert.throws(
      () => openDatabase(file),
      (e: unknown) => e instanceof HearthError && e.code === 'STORE_INCOMPATIBLE' && /newer Hearth/.test(e.message),
    );
  });

  it('refuse a database whose recorded migration differs from the code', () => {
    const file = join(tmp.dir, 'c.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("UPDATE schema_migrations SET hash = 'tampered' WHERE id = 1").run();
    raw.close();
    assert.throws(
      () => openDatabase(file),
      (e: unknown) => e instanceof HearthError && e.code === 'STORE_INCOMPATIBLE',
    );
  });

  it('roll back a failing migration whole', () => {
    const file = join(tmp.dir, 'd.db');
    const broken = [
      ...migrations,
      { id: migrations.length + 1, name: 'broken', sql: 'CREATE TABLE ok_table (x INTEGER) STRICT; THIS IS NOT SQL;' },
    ];
    assert.throws(() => openDatabase(file, broken));
    const db = openDatabase(file);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'ok_table'").get() as { n: number }).n, 0);
    db.close();
  });
});

describe('migration 4 (rebuilding outbox and model_versions)', () => {
  it('keeps every row of a database from before it, with its references intact and foreign keys back on', () => {
    const file = join(tmp.dir, 'e.db');
    const old = openDatabase(file, migrations.slice(0, 3));
    const now = '2026-01-01T00:00:00.000Z';
    old.exec(`
      INSERT INTO blobs VALUES ('sha256:a', 1, 'x', '${now}'), ('sha256:b', 1, 'x', '${now}');
      INSERT INTO datasets VALUES (1, 'churn', '${now}');
      INSERT INTO dataset_versions VALUES (1, 1, 1, '[]', 10, 0, 'h', 'sha256:a', '[]', '{}', '${now}');
      INSERT INTO models VALUES (1, 'churn', 'binary', 'label', '${now}');
      INSERT INTO model_versions VALUES (7, 1, 1, 'gbdt', 1, '{}', '{"auc":0.9}', '{}', '[]', 'sha256:a', 'sha256:b', '${now}');
      INSERT INTO outbox (kind, model, version, alias, created_at) VALUES ('model-version', 'churn', 1, NULL, '${now}'),
        ('alias', 'churn', 1, 'production', '${now}');
      INSERT INTO remotes (name, url, insecure_http, created_at) VALUES ('central', 'oci://r/x', 0, '${now}');
      INSERT INTO deliveries VALUES ('central', 1, 'sent', 1, 'sha256:c', NULL, NULL, '${now}');
    `);
    old.close();
    const db = openDatabase(file);
    assert.deepEqual(db.prepare('SELECT id, version, metrics_json, origin_json FROM model_versions').all(), [
      { id: 7, version: 1, metrics_json: '{"auc":0.9}', origin_json: null },
    ]);
    assert.deepEqual(db.prepare('SELECT id, kind, alias, snapshot_id FROM outbox ORDER BY id').all(), [
      { id: 1, kind: 'model-version', alias: null, snapshot_id: null },
      { id: 2, kind: 'alias', alias: 'production', snapshot_id: null },
    ]);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    // deliveries still reference the rebuilt outbox: a delivery for an event that does not exist is refused.
    assert.throws(
      () => db.prepare(`INSERT INTO deliveries VALUES ('central', 99, 'sent', 1, NULL, NULL, NULL, '${now}')`).run(),
      /FOREIGN KEY/,
    );
    // The new outbox keeps its shape: a metrics event needs its snapshot.
    assert.throws(
      () => db.prepare(`INSERT INTO outbox (kind, model, version, created_at) VALUES ('metrics', 'churn', 1, '${now}')`).run(),
      /CHECK/,
    );
    db.close();
  });
});

describe('blob store', () => {
  it('stores content by its sha256, once, and leaves no temp file', () => {
    const blobs = new BlobStore(join(tmp.dir, 'blobs'));
    const data = Buffer.from('hello hearth');
    const first = blobs.put(data);
    const second = blobs.put(data);
    assert.equal(first.digest, 'sha256:' + createHash('sha256').update('hello hearth').digest('hex'));
    assert.equal(first.digest, sha256Digest(data));
    assert.ok(first.created);
    assert.ok(!second.created);
    assert.deepEqual(blobs.get(first.digest), data);
    assert.deepEqual(readdirSync(join(tmp.dir, 'blobs', 'tmp')), []);
    const hex = first.digest.slice(7);
    assert.ok(existsSync(join(tmp.dir, 'blobs', 'sha256', hex.slice(0, 2), hex)));
  });

  it('detects a damaged blob instead of returning wrong bytes', () => {
    const blobs = new BlobStore(join(tmp.dir, 'blobs2'));
    const { digest } = blobs.put(Buffer.from('precious'));
    writeFileSync(blobs.pathOf(digest), 'tampered');
    assert.throws(() => blobs.get(digest), /damaged/);
    assert.throws(
      () => blobs.pathOf('sha256:../../etc/passwd'),
      (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED',
    );
  });
});
