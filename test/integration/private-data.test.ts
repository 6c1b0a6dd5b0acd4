import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { rotateStoreKey } from '../../main/security/rotate-key.js';
import { restoreBackup } from '../../main/store/backup.js';
import { BlobStore } from '../../main/store/blob-store.js';
import { openDatabase } from '../../main/store/database.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

/**
 * Tests run as root here, so "can another user read it" is asked of the mode bits, never by trying: every file and
 * folder must have no group or other bit at all.
 */
function looseModes(root: string): string[] {
  const paths = [root, ...readdirSync(root, { recursive: true }).map((e) => join(root, String(e)))];
  return paths
    .map((p) => ({ p, mode: statSync(p).mode & 0o777 }))
    .filter(({ mode }) => (mode & 0o077) !== 0)
    .map(({ p, mode }) => `${p} ${mode.toString(8)}`);
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('the data folder is private', () => {
  const tmp = tempDir();
  let umask: number;
  before(() => {
    // A common default: files 0644, folders 0755. Nothing Hearth creates may take it.
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
    tmp.cleanup();
  });

  // Runs before any engine is opened in this process (an engine tightens the umask): the store's own code must
  // create its files private with an explicit mode, whatever the umask.
  it('creates the database, its WAL and shared memory, and blobs with their folders 0600/0700 under umask 022', () => {
    assert.equal(process.umask(0o022), 0o022);
    const dir = join(tmp.dir, 'parts');
    mkdirSync(dir, { mode: 0o700 });
    const db = openDatabase(join(dir, 'hearth.db'));
    try {
      db.exec('CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1)');
      assert.ok(existsSync(join(dir, 'hearth.db-wal')) && existsSync(join(dir, 'hearth.db-shm')));
      const blobs = new BlobStore(join(dir, 'blobs'));
      blobs.put(Buffer.from('a private blob'));
      blobs.put(randomBytes(64));
      assert.deepEqual(looseModes(dir), []);
    } finally {
      db.close();
    }
  });

  it('keeps every file and folder of a working store, and its backups, free of group and other bits', async () => {
    assert.equal(process.umask(0o022), 0o022);
    const dataDir = join(tmp.dir, 'store');
    const engine = Engine.open(dataDir, {});
    try {
      await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 300)));
      const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 1 });
      assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
      // A sealed credential makes secret.key; an upload stays spooled.
      engine.sync.upsertRemote('central', 'oci://127.0.0.1:5999/hearth', true, { username: 'box', password: 'pw' });
      await engine.saveUpload(Readable.from([Buffer.from('a,b\n1,2\n')]));
      const plain = await engine.backup();
      const sealed = await engine.backup({ passphrase: 'correct horse battery staple' });
      await engine.predictionLog.flushed();
      for (const f of ['hearth.db', 'hearth.db-wal', 'hearth.db-shm', 'secret.key', 'uploads', 'backups', 'blobs'])
        assert.ok(existsSync(join(dataDir, f)), `${f} exists`);
      assert.deepEqual(looseModes(dataDir), []);
      assert.equal(modeOf(dataDir), 0o700);
      assert.equal(modeOf(plain.file), 0o600);
      assert.equal(modeOf(sealed.file), 0o600);

      // A restore writes the same way.
      const restored = join(tmp.dir, 'restored');
      await restoreBackup(sealed.file, restored, { passphrase: 'correct horse battery staple' });
      assert.deepEqual(looseModes(restored), []);
    } finally {
      engine.close();
    }
  });

  it('keeps an encrypted store private too: its marker, database and sealed blobs', async () => {
    const dataDir = join(tmp.dir, 'encrypted');
    const engine = Engine.open(dataDir, { passphrase: 'a long and memorable passphrase' });
    try {
      await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn2.csv', syntheticCsv('binary', 200)));
      assert.ok(existsSync(join(dataDir, 'encryption.json')));
      await engine.backup();
      assert.deepEqual(looseModes(dataDir), []);
    } finally {
      engine.close();
    }
  });

  it('tightens a data folder an older Hearth left open to others', () => {
    const dataDir = join(tmp.dir, 'older');
    Engine.open(dataDir, {}).close();
    chmodSync(dataDir, 0o755);
    Engine.open(dataDir, {}).close();
    assert.equal(modeOf(dataDir), 0o700);
  });

  it('refuses a store key file that group or others may read or write, naming the chmod 600 fix', () => {
    const keyFile = join(tmp.dir, 'store.key');
    writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    for (const loose of [0o644, 0o640, 0o620, 0o604, 0o602]) {
      chmodSync(keyFile, loose);
      const dataDir = join(tmp.dir, `keyed-${loose.toString(8)}`);
      assert.throws(() => Engine.open(dataDir, { keyFile }), {
        code: 'VALIDATION_FAILED',
        message: new RegExp(`chmod 600 ${keyFile}`),
      });
      assert.equal(existsSync(join(dataDir, 'encryption.json')), false, 'no store was made with it');
    }
    chmodSync(keyFile, 0o600);
    Engine.open(join(tmp.dir, 'keyed-ok'), { keyFile }).close();
    // A key file for a rotation is held to the same rule.
    const next = join(tmp.dir, 'next.key');
    writeFileSync(next, randomBytes(32).toString('base64'), { mode: 0o600 });
    chmodSync(next, 0o644);
    assert.throws(() => rotateStoreKey(join(tmp.dir, 'keyed-ok'), { keyFile }, { keyFile: next }), {
      code: 'VALIDATION_FAILED',
      message: /chmod 600/,
    });
  });

  it("refuses the data folder's own secret.key once group or others may read it", () => {
    const dataDir = join(tmp.dir, 'secret-loose');
    const engine = Engine.open(dataDir, {});
    try {
      engine.sync.upsertRemote('a', 'oci://127.0.0.1:5999/a', true, { username: 'u', password: 'p' });
    } finally {
      engine.close();
    }
    chmodSync(join(dataDir, 'secret.key'), 0o644);
    const again = Engine.open(dataDir, {});
    try {
      assert.throws(() => again.sync.upsertRemote('b', 'oci://127.0.0.1:5999/b', true, { username: 'u', password: 'p' }), {
        code: 'VALIDATION_FAILED',
        message: /chmod 600 .*secret\.key/,
      });
    } finally {
      again.close();
    }
  });

  it('refuses a store passphrase shorter than 12 characters wherever one is set', async () => {
    const dataDir = join(tmp.dir, 'weak');
    assert.throws(() => Engine.open(dataDir, { passphrase: 'elevenchars' }), {
      code: 'VALIDATION_FAILED',
      message: /12 characters/,
    });
    assert.equal(existsSync(join(dataDir, 'encryption.json')), false);
    // Twelve is enough.
    const engine = Engine.open(dataDir, { passphrase: 'twelve chars' });
    try {
      await assert.rejects(engine.backup({ passphrase: 'short-pass' }), { code: 'VALIDATION_FAILED', message: /12 characters/ });
    } finally {
      engine.close();
    }
    assert.throws(() => rotateStoreKey(dataDir, { passphrase: 'twelve chars' }, { passphrase: 'too short' }), {
      code: 'VALIDATION_FAILED',
      message: /12 characters/,
    });
    assert.equal(existsSync(join(dataDir, 'encryption.next.json')), false, 'no rotation was begun');
  });
});
