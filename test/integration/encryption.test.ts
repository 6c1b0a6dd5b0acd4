import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { Engine } from '../../main/engine/engine.js';
import { rotateStoreKey } from '../../main/security/rotate-key.js';
import { restoreBackup, verifyBackup } from '../../main/store/backup.js';
import { syntheticCsv, tempDir, withoutIds, writeFile } from '../helpers.js';

const ctx = { transport: 'in-process' } as const;
const secret = 'zebra-secret-7731';

function allBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir, { recursive: true })
      .map((e) => join(dir, String(e)))
      .filter((p) => statSync(p).isFile())
      .map((p) => readFileSync(p)),
  );
}

describe('encryption at rest', () => {
  const tmp = tempDir();
  after(tmp.cleanup);
  const key = randomBytes(32).toString('base64');
  const dataDir = join(tmp.dir, 'store');

  it('keeps the database and every blob unreadable without the key', async () => {
    const engine = Engine.open(dataDir, { key });
    try {
      const csv = syntheticCsv('binary', 600).replace(/,red,/g, `,${secret},`);
      await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', csv));
      const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 3 });
      assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
      await createHandlers(engine)['models.predict'](
        { name: 'churn', rows: [{ x1: 1, x2: 2, colour: secret, flag: true }] },
        ctx,
      );
      await engine.predictionLog.flushed();
    } finally {
      engine.close();
    }
    const db = readFileSync(join(dataDir, 'hearth.db'));
    assert.notEqual(db.subarray(0, 16).toString('latin1'), 'SQLite format 3\0', 'no SQLite header');
    assert.equal(allBytes(dataDir).includes(secret), false, 'the ingested value is nowhere in the data folder');
    // Blobs are sealed too: none starts like an Arrow file or an ONNX graph would.
    const blobRoot = join(dataDir, 'blobs', 'sha256');
    for (const f of readdirSync(blobRoot, { recursive: true })
      .map((e) => join(blobRoot, String(e)))
      .filter((p) => statSync(p).isFile()))
      assert.equal(readFileSync(f).subarray(0, 4).toString(), 'HBE1');
  });

  it('refuses to open without the key, or with a wrong one, with a coded error', () => {
    assert.throws(() => Engine.open(dataDir, {}), { code: 'UNAUTHORIZED', message: /is encrypted: give its key/ });
    assert.throws(() => Engine.open(dataDir, { key: randomBytes(32).toString('base64') }), {
      code: 'UNAUTHORIZED',
      message: /wrong key/,
    });
  });

  it('opens with the key and works as before: data, model, predictions, log', async () => {
    const engine = Engine.open(dataDir, { key });
    try {
      const { frame } = engine.datasets.loadFrame('churn');
      const colour = frame.columns.find((c) => c.name === 'colour')!;
      assert.ok(colour.kind === 'string' && colour.dictionary.includes(secret));
      const api = createHandlers(engine);
      const answer = await api['models.predict']({ name: 'churn', rows: [{ x1: 1, x2: 2, colour: secret, flag: true }] }, ctx);
      assert.equal(answer.predictions.length, 1);
      assert.equal((await engine.predictionLog.rows('churn')).length, 2);
    } finally {
      engine.close();
    }
  });

  it('backs up an encrypted store as it is, and restores it to open with the same key', async () => {
    const engine = Engine.open(dataDir, { key });
    let file: string;
    const row = { x1: 0.3, x2: 4, colour: secret, flag: false };
    let before: unknown;
    try {
      file = (await engine.backup({ to: join(tmp.dir, 'enc-store.hbk') })).file;
      before = withoutIds((await createHandlers(engine)['models.predict']({ name: 'churn', rows: [row] }, ctx)).predictions);
    } finally {
      engine.close();
    }
    assert.equal(readFileSync(file).includes(secret), false);
    assert.equal((await verifyBackup(file, undefined, {})).integrityChecked, false, 'without the key only hashes are checked');
    assert.equal((await verifyBackup(file, undefined, { key })).integrityChecked, true);
    const target = join(tmp.dir, 'restored');
    await restoreBackup(file, target, { keySource: { key } });
    assert.throws(() => Engine.open(target, {}), { code: 'UNAUTHORIZED' });
    const again = Engine.open(target, { key });
    try {
      const after = withoutIds((await createHandlers(again)['models.predict']({ name: 'churn', rows: [row] }, ctx)).predictions);
      assert.deepEqual(after, before);
    } finally {
      again.close();
    }
  });

  it('derives the key from a passphrase with scrypt, the salt kept beside the store', () => {
    const dir = join(tmp.dir, 'by-passphrase');
    Engine.open(dir, { passphrase: 'a long and memorable passphrase' }).close();
    const marker = JSON.parse(readFileSync(join(dir, 'encryption.json'), 'utf8')) as {
      kdf: string;
      salt: string;
      keyCheck: string;
    };
    assert.equal(marker.kdf, 'scrypt');
    assert.equal(Buffer.from(marker.salt, 'base64').length, 16);
    assert.equal(JSON.stringify(marker).includes('memorable'), false);
    Engine.open(dir, { passphrase: 'a long and memorable passphrase' }).close();
    assert.throws(() => Engine.open(dir, { passphrase: 'not it' }), { code: 'UNAUTHORIZED' });
  });
});

describe('key rotation', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('re-keys the database and every blob; the old key stops working, the new one opens everything', async () => {
    const dataDir = join(tmp.dir, 'store');
    const oldKey = randomBytes(32).toString('base64');
    const engine = Engine.open(dataDir, { key: oldKey });
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 300)));
    const before = engine.datasets.loadFrame('churn').frame.rowCount;
    engine.close();
    const result = rotateStoreKey(dataDir, { key: oldKey }, { passphrase: 'the new passphrase' });
    assert.ok(result.blobs >= 1);
    assert.throws(() => Engine.open(dataDir, { key: oldKey }), { code: 'UNAUTHORIZED' });
    const again = Engine.open(dataDir, { passphrase: 'the new passphrase' });
    try {
      assert.equal(again.datasets.loadFrame('churn').frame.rowCount, before);
    } finally {
      again.close();
    }
    // Running it again after it finished is refused: the current key no longer opens the store.
    assert.throws(() => rotateStoreKey(dataDir, { key: oldKey }, { passphrase: 'x' }), { code: 'UNAUTHORIZED' });
  });
});
