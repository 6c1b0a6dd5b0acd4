import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
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

interface TarEntry {
  name: string;
  data?: Buffer;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
}

/** An uncompressed tar of `entries`, written by tar-stream as an attacker's tool would. */
async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === undefined || e.type === 'file') pack.entry({ name: e.name, mode: 0o600 }, e.data ?? Buffer.alloc(0));
    else pack.entry({ name: e.name, type: e.type, linkname: e.linkname ?? '', mode: 0o777 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Every entry of a plain (gzipped) backup, by name. */
async function entriesOf(file: string): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const out = new Map<string, Buffer>();
  const reading = pipeline(createReadStream(file), createGunzip(), extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.set(entry.header.name, Buffer.concat(chunks));
  }
  await reading;
  return out;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('hostile backups are refused, write nothing outside the target and leave no scratch behind', () => {
  const tmp = tempDir();
  const work = join(tmp.dir, 'hostile');
  const inbox = join(work, 'in');
  const outside = join(work, 'out');
  const privateTmp = join(work, 'tmp');
  const target = join(outside, 'store');
  const canaries = [join(outside, 'canary'), join(work, 'canary'), join(privateTmp, 'canary'), join(inbox, 'canary')];
  const absoluteCanary = join(work, 'abs-canary');
  const savedTmp = process.env.TMPDIR;
  let engine: Engine;
  let real: Map<string, Buffer>;
  let realFile: string;
  let manifest: { files: { path: string; sha256: string; size: number }[] } & Record<string, unknown>;

  before(async () => {
    for (const d of [inbox, outside, privateTmp]) mkdirSync(d, { recursive: true });
    // verify's scratch goes to os.tmpdir(): a folder of this test's own, so other processes cannot muddle the count.
    process.env.TMPDIR = privateTmp;
    engine = Engine.open(join(tmp.dir, 'store'), {});
    await engine.datasets.ingestCsv('small', writeFile(tmp.dir, 'small.csv', syntheticCsv('binary', 50)));
    realFile = (await engine.backup({ to: join(inbox, 'real.hbk') })).file;
    real = await entriesOf(realFile);
    manifest = JSON.parse(real.get('manifest.json')!.toString('utf8')) as typeof manifest;
  });
  after(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    engine?.close();
    tmp.cleanup();
  });

  /** The real backup's files (manifest rebuilt to match unless `lie` rewrites it), plus and minus entries. */
  async function forged(options: {
    extra?: TarEntry[];
    first?: TarEntry[];
    drop?: string[];
    replace?: Record<string, Buffer>;
    lie?: (m: typeof manifest) => unknown;
    manifestBytes?: Buffer;
  }): Promise<Buffer> {
    const files = [...real]
      .filter(([name]) => name !== 'manifest.json' && !(options.drop ?? []).includes(name))
      .map(([name, data]): [string, Buffer] => [name, options.replace?.[name] ?? data]);
    const honest = { ...manifest, files: files.map(([path, data]) => ({ path, sha256: sha256(data), size: data.length })) };
    const m = options.lie === undefined ? honest : options.lie(structuredClone(honest));
    return gzipSync(
      await tarOf([
        ...(options.first ?? []),
        ...files.map(([name, data]) => ({ name, data })),
        ...(options.extra ?? []),
        { name: 'manifest.json', data: options.manifestBytes ?? Buffer.from(JSON.stringify(m)) },
      ]),
    );
  }

  /** A tar whose one entry declares a size far beyond what follows it (ustar's largest octal size, ~8 GiB). */
  async function hugeDeclared(): Promise<Buffer> {
    const raw = await tarOf([{ name: 'hearth.db', data: Buffer.alloc(10, 1) }]);
    const header = raw.subarray(0, 512);
    header.write('77777777777\0', 124, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    return gzipSync(raw);
  }

  const passphrase = 'a hostile passphrase';

  /** Hearth's encrypted form (magic, salt, iv, key check, AES-256-GCM, tag), as anyone who reads backup.ts can write. */
  function encryptedAs(plain: Buffer, secret: string): Buffer {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = scryptSync(secret, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
    const check = createHmac('sha256', key).update('hearth-backup-key-check').digest().subarray(0, 16);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from('HEARTHBK1'), salt, iv, check, body, cipher.getAuthTag()]);
  }

  const cases: [string, () => Promise<Buffer>][] = [
    ['a truncated file', async () => readFileSync(realFile).subarray(0, Math.floor(readFileSync(realFile).length / 2))],
    ['an empty file', async () => Buffer.alloc(0)],
    ['random junk', async () => randomBytes(4096)],
    ['a wrong magic', async () => Buffer.concat([Buffer.from('HEARTHBK2'), randomBytes(512)])],
    ['a gzip of something that is not a tar', async () => gzipSync(randomBytes(4096))],
    ['an entry named ../canary', () => forged({ extra: [{ name: '../canary', data: Buffer.from('pwned') }] })],
    ['an entry named ../../canary', () => forged({ first: [{ name: '../../canary', data: Buffer.from('pwned') }] })],
    ['an entry with an absolute path', () => forged({ extra: [{ name: absoluteCanary, data: Buffer.from('pwned') }] })],
    [
      'a symlink, then a file written through it',
      () =>
        forged({
          drop: ['secret.key'],
          first: [{ name: 'secret.key', type: 'symlink', linkname: join(outside, 'canary') }],
          extra: [{ name: 'secret.key', data: Buffer.from('pwned') }],
        }),
    ],
    ['a hard link to a file outside', () => forged({ first: [{ name: 'secret.key', type: 'link', linkname: '../canary' }] })],
    ['a folder entry', () => forged({ first: [{ name: 'blobs/', type: 'directory' }] })],
    ['the same file twice', () => forged({ extra: [{ name: 'hearth.db', data: Buffer.from('second copy') }] })],
    [
      'a manifest that lies about a hash',
      () =>
        forged({
          lie: (m) => {
            m.files[0]!.sha256 = '0'.repeat(64);
            return m;
          },
        }),
    ],
    [
      'a manifest that lies about a size',
      () =>
        forged({
          lie: (m) => {
            m.files[0]!.size = 2 ** 50;
            return m;
          },
        }),
    ],
    ['a manifest that says a plain backup is encrypted', () => forged({ lie: (m) => ({ ...m, encrypted: true }) })],
    [
      'a manifest that says the store is encrypted at rest when it is not',
      () => forged({ lie: (m) => ({ ...m, storeEncrypted: true }) }),
    ],
    [
      'a plain backup that plants a store secret key',
      () => {
        // Only an encrypted backup carries the key; a plain one that does would swap the key sealed credentials use.
        const key = Buffer.from(randomBytes(32).toString('base64'));
        return forged({
          extra: [{ name: 'secret.key', data: key }],
          lie: (m) => ({
            ...m,
            includesSecretKey: true,
            files: [...m.files, { path: 'secret.key', sha256: sha256(key), size: key.length }],
          }),
        });
      },
    ],
    [
      'a manifest that lists a file twice to hide an unlisted one',
      () => {
        const key = Buffer.from(randomBytes(32).toString('base64'));
        return forged({
          extra: [{ name: 'secret.key', data: key }],
          lie: (m) => ({ ...m, files: [...m.files, m.files[0]] }),
        });
      },
    ],
    [
      'an encrypted backup whose manifest says it is not encrypted',
      async () => {
        const key = Buffer.from(randomBytes(32).toString('base64'));
        const inner = await forged({
          extra: [{ name: 'secret.key', data: key }],
          lie: (m) => ({
            ...m,
            encrypted: false,
            includesSecretKey: true,
            files: [...m.files, { path: 'secret.key', sha256: sha256(key), size: key.length }],
          }),
        });
        return encryptedAs(inner, passphrase);
      },
    ],
    ['a manifest that is not JSON', () => forged({ manifestBytes: Buffer.from('{"format": "hearth-backup/1", ') })],
    ['a manifest with no file list', () => forged({ lie: (m) => ({ ...m, files: undefined }) })],
    [
      'a manifest with a path outside the store',
      () => forged({ lie: (m) => ({ ...m, files: [...m.files, { path: '../x', sha256: '0'.repeat(64), size: 1 }] }) }),
    ],
    ['a manifest with a negative schema', () => forged({ lie: (m) => ({ ...m, migrations: -1 }) })],
    ['a backup with no database', () => forged({ drop: ['hearth.db'] })],
    [
      'a sound database with a trigger of its own',
      async () => {
        // Passes SQLite's integrity check and every hash: only the schema check sees the stranger.
        const file = join(work, 'crafted.db');
        writeFileSync(file, real.get('hearth.db')!);
        const db = new Database(file);
        db.exec('CREATE TRIGGER wipe AFTER INSERT ON blobs BEGIN DELETE FROM blobs; END; PRAGMA journal_mode = DELETE');
        db.close();
        const crafted = readFileSync(file);
        rmSync(file);
        return forged({ replace: { 'hearth.db': crafted } });
      },
    ],
    ['an entry that declares ~8 GiB', hugeDeclared],
  ];

  for (const [name, make] of cases) {
    it(`refuses ${name}`, async () => {
      const file = join(inbox, 'hostile.hbk');
      writeFileSync(file, await make());
      const outsideBefore = readdirSync(outside).sort();
      const tmpBefore = readdirSync(privateTmp).sort();
      await assert.rejects(verifyBackup(file, passphrase), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'INVALID_INPUT', `verify: ${error.code} ${error.message}`);
        return true;
      });
      await assert.rejects(restoreBackup(file, target, { passphrase }), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'INVALID_INPUT', `restore: ${error.code} ${error.message}`);
        return true;
      });
      assert.equal(existsSync(target), false, 'nothing was restored');
      assert.deepEqual(readdirSync(outside).sort(), outsideBefore, 'no scratch folder is left beside the target');
      assert.deepEqual(readdirSync(privateTmp).sort(), tmpBefore, 'no scratch folder is left in the temp folder');
      for (const canary of [...canaries, absoluteCanary]) assert.equal(existsSync(canary), false, `${canary} was written`);
    });
  }

  it('answers a hostile backup through the API with a coded error and keeps serving', async () => {
    const api = createHandlers(engine);
    const file = 'hearth-2026-01-01T00-00-00-000Z.hbk';
    mkdirSync(engine.backupDir, { recursive: true });
    writeFileSync(join(engine.backupDir, file), await forged({ extra: [{ name: '../canary', data: Buffer.from('x') }] }));
    await assert.rejects(api['backups.verify']({ file }, ctx), { code: 'INVALID_INPUT' });
    assert.ok((await api['backups.list']({}, ctx)).some((b) => b.file === file));
    // The untouched backup still verifies and restores.
    assert.ok((await verifyBackup(realFile)).files > 1);
    await restoreBackup(realFile, target, {});
    assert.ok(existsSync(join(target, 'hearth.db')));
  });
});
