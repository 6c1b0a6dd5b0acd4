import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { Engine } from '../../main/engine/engine.js';
import { pruneBackups, restoreBackup, verifyBackup } from '../../main/store/backup.js';
import { syntheticCsv, tempDir, withoutIds, writeFile } from '../helpers.js';

const ctx = { transport: 'in-process' } as const;

/** Every table's rows, in order: what "the same database" means here. */
function tables(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(names.map((n) => [n, db.prepare(`SELECT * FROM "${n}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

/** Every blob file and the SHA-256 of its bytes. */
function blobHashes(dataDir: string): Record<string, string> {
  const root = join(dataDir, 'blobs', 'sha256');
  const out: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true }).map(String)) {
    const path = join(root, entry);
    if (statSync(path).isFile()) out[entry] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

describe('backups: create, verify, restore', () => {
  const tmp = tempDir();
  let engine: Engine;
  let api: Handlers;
  let plain: string;
  before(async () => {
    engine = Engine.open(join(tmp.dir, 'store'));
    api = createHandlers(engine);
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 1500)));
    const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 2 });
    assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
    await api['models.predict']({ name: 'churn', rows: [{ x1: 0.5, x2: 3, colour: 'red', flag: true }] }, ctx);
    // A sealed credential: only the store key opens it.
    engine.sync.upsertRemote('central', 'oci://127.0.0.1:5999/hearth', true, { username: 'box', password: 's3cret-pass' });
  });
  after(() => {
    engine?.close();
    tmp.cleanup();
  });

  it('restores every table row and every blob byte for byte into an empty folder', async () => {
    const info = await api['backups.create']({}, ctx);
    assert.equal(info.encrypted, false);
    plain = join(engine.backupDir, info.file);
    assert.ok(info.blobs >= 3, `${info.blobs} blobs`);
    const verified = await api['backups.verify']({ file: info.file }, ctx);
    assert.equal(verified.files, info.files);
    assert.deepEqual(
      (await api['backups.list']({}, ctx)).map((b) => b.file),
      [info.file],
    );

    const target = join(tmp.dir, 'restored');
    const restored = await restoreBackup(plain, target, {});
    assert.equal(restored.replacedTo, null);
    // The live store may have moved on (the prediction log's writer); the backup is the snapshot it was then.
    assert.deepEqual(tables(join(target, 'hearth.db')), tables(join(engine.dataDir, 'hearth.db')));
    assert.deepEqual(blobHashes(target), blobHashes(engine.dataDir));

    // The restored store works: same model, same answers.
    const again = Engine.open(target);
    try {
      const row = { x1: 1.5, x2: 2, colour: 'blue', flag: false };
      const a = await createHandlers(again)['models.predict']({ name: 'churn', rows: [row] }, ctx);
      const b = await api['models.predict']({ name: 'churn', rows: [row] }, ctx);
      assert.deepEqual(withoutIds(a.predictions), withoutIds(b.predictions));
    } finally {
      again.close();
    }
  });

  it('refuses a non-empty folder unless forced, and then moves its contents aside', async () => {
    const target = join(tmp.dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'keep-me.txt'), 'mine');
    await assert.rejects(restoreBackup(plain, target, {}), { code: 'CONFLICT' });
    const result = await restoreBackup(plain, target, { force: true });
    assert.ok(result.replacedTo !== null);
    assert.equal(readFileSync(join(result.replacedTo, 'keep-me.txt'), 'utf8'), 'mine');
    assert.ok(existsSync(join(target, 'hearth.db')));
  });

  it('finds damage: a flipped byte fails verification and restores nothing', async () => {
    const bytes = readFileSync(plain);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    const damaged = join(tmp.dir, 'damaged.hbk');
    writeFileSync(damaged, bytes);
    await assert.rejects(verifyBackup(damaged), { code: 'INVALID_INPUT' });
    const target = join(tmp.dir, 'never');
    await assert.rejects(restoreBackup(damaged, target, {}), { code: 'INVALID_INPUT' });
    assert.equal(existsSync(join(target, 'hearth.db')), false);
  });

  it('encrypts with a passphrase and carries the store key, so sealed credentials open after a restore', async () => {
    const info = await engine.backup({ to: join(tmp.dir, 'enc.hbk'), passphrase: 'correct horse battery staple' });
    assert.equal(info.encrypted, true);
    const raw = readFileSync(info.file);
    assert.equal(raw.includes(Buffer.from('SQLite format 3')), false, 'the database is not readable in the file');
    await assert.rejects(verifyBackup(info.file), { code: 'UNAUTHORIZED' });
    await assert.rejects(verifyBackup(info.file, 'not the passphrase'), { code: 'UNAUTHORIZED' });
    const target = join(tmp.dir, 'from-encrypted');
    const restored = await restoreBackup(info.file, target, { passphrase: 'correct horse battery staple' });
    assert.equal(restored.manifest.includesSecretKey, true);
    assert.deepEqual(readFileSync(join(target, 'secret.key')), readFileSync(join(engine.dataDir, 'secret.key')));
    const again = Engine.open(target);
    try {
      const sealed = again.sync as unknown as { credentials(remote: string): unknown };
      assert.deepEqual(sealed.credentials('central'), { username: 'box', password: 's3cret-pass' });
    } finally {
      again.close();
    }
  });

  it('keeps the newest backups of a schedule and deletes the rest', () => {
    const dir = join(tmp.dir, 'scheduled');
    mkdirSync(dir);
    const names = ['2026-01-01T00-00-00-000Z', '2026-01-02T00-00-00-000Z', '2026-01-03T00-00-00-000Z'].map(
      (t) => `hearth-${t}.hbk`,
    );
    for (const n of names) writeFileSync(join(dir, n), 'x');
    writeFileSync(join(dir, 'notes.txt'), 'not a backup');
    assert.deepEqual(pruneBackups(dir, 2), [names[0]]);
    assert.deepEqual(readdirSync(dir).sort(), [names[1], names[2], 'notes.txt']);
  });
});
