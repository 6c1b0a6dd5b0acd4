import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  readFileSync,
  statfsSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import Database from 'better-sqlite3-multiple-ciphers';
import * as tar from 'tar-stream';
import { z } from 'zod';
import {
  assertStrongPassphrase,
  keyConnection,
  keySourceFromEnv,
  parseMarker,
  storeKey,
  type KeySource,
} from '../security/store-key.js';
import { HearthError } from '../contracts/errors.js';
import { isSealedBlob } from './blob-store.js';
import { migrate, type Db } from './database.js';
import { migrations } from './migrations/index.js';
import { makePrivateDir, privateFileMode, touchPrivateFile } from './private-fs.js';

/**
 * Backups of a whole store: a consistent copy of the database (SQLite's online backup, so the server keeps serving
 * while it runs), every blob, and a manifest of their SHA-256 hashes, in a gzipped tar. With a passphrase the archive
 * is encrypted (AES-256-GCM, key by scrypt) and also carries the store's secret key, without which sealed
 * credentials cannot be opened and pseudonyms would change; without one the key stays out, and the manifest says so.
 */

export const backupFormat = 'hearth-backup/1';
const magic = Buffer.from('HEARTHBK1');

export interface BackupManifest {
  format: typeof backupFormat;
  createdAt: string;
  hearthVersion: string;
  /** The store's schema: the number of migrations applied. */
  migrations: number;
  encrypted: boolean;
  includesSecretKey: boolean;
  /** The store itself is encrypted at rest: its database and blobs are in the archive as they are on disk. */
  storeEncrypted?: boolean;
  files: { path: string; sha256: string; size: number }[];
}

export interface BackupInfo {
  file: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  encrypted: boolean;
  files: number;
  blobs: number;
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'blobs', 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((p) => /^[0-9a-f]{2}[/\\][0-9a-f]{64}$/.test(p))
    .map((p) => `blobs/sha256/${p.replace('\\', '/')}`)
    .sort();
}

function backupKey(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
}

/** A value only the right key gives, so a wrong passphrase is told apart from a damaged file before any decryption. */
function keyCheck(key: Buffer): Buffer {
  return createHmac('sha256', key).update('hearth-backup-key-check').digest().subarray(0, 16);
}

const headerLength = magic.length + 16 + 12 + 16;

/** Encrypting writer: magic ‖ salt ‖ iv ‖ key check, the ciphertext, then the GCM tag. */
function encrypter(passphrase: string): Transform {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = backupKey(passphrase, salt);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const header = Buffer.concat([magic, salt, iv, keyCheck(key)]);
  let headerSent = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!headerSent) {
        this.push(header);
        headerSent = true;
      }
      done(null, cipher.update(chunk));
    },
    flush(done) {
      if (!headerSent) this.push(header);
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

/** Whether a backup file is encrypted (it starts with Hearth's magic; a plain one is gzip). */
export function isEncryptedBackup(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    readSync(fd, head, 0, head.length, 0);
    return head.equals(magic);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens an encrypted backup: checks the passphrase against the key check, then gives the plaintext as a stream, as
 * often as asked; GCM's tag is checked at each stream's end, failing it if wrong.
 */
function decryption(file: string, passphrase: string): () => Readable {
  const size = statSync(file).size;
  if (size < headerLength + 16) throw new HearthError('INVALID_INPUT', `${basename(file)} is too short to be a backup`);
  const header = Buffer.alloc(headerLength);
  const tag = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
    readSync(fd, tag, 0, 16, size - 16);
  } finally {
    closeSync(fd);
  }
  const salt = header.subarray(magic.length, magic.length + 16);
  const iv = header.subarray(magic.length + 16, magic.length + 28);
  const key = backupKey(passphrase, salt);
  if (!timingSafeEqual(keyCheck(key), header.subarray(magic.length + 28)))
    throw new HearthError('UNAUTHORIZED', `wrong passphrase for ${basename(file)}`);
  // The key is derived once (scrypt is slow on purpose); each read of the file gets a fresh decipher.
  return () => {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return createReadStream(file, { start: header.length, end: size - 17 }).pipe(decipher);
  };
}

export async function createBackup(
  db: Db,
  dataDir: string,
  target: string,
  options: { passphrase?: string; hearthVersion: string; storeEncrypted?: boolean },
): Promise<BackupInfo> {
  // The passphrase also guards the store's secret key, which the archive then carries: held to the store's rule.
  if (options.passphrase !== undefined) assertStrongPassphrase(options.passphrase, 'a backup passphrase');
  // mkdtemp makes its folder 0700 itself; the backups folder and every file in it are made private explicitly.
  makePrivateDir(dirname(target));
  const scratch = mkdtempSync(join(dataDir, '.backup-'));
  const part = `${target}.part`;
  try {
    // A consistent snapshot, WAL included, while other connections go on writing: SQLite's online backup, or for
    // an encrypted store VACUUM INTO, which writes the copy encrypted with the same key (the online backup refuses
    // an encrypted source rather than write a plain copy).
    const dbCopy = join(scratch, 'hearth.db');
    touchPrivateFile(dbCopy);
    if (options.storeEncrypted === true) db.prepare('VACUUM INTO ?').run(dbCopy);
    else await db.backup(dbCopy);
    const includesSecretKey = options.passphrase !== undefined && existsSync(join(dataDir, 'secret.key'));
    const entries: { path: string; source: string }[] = [{ path: 'hearth.db', source: dbCopy }];
    if (includesSecretKey) entries.push({ path: 'secret.key', source: join(dataDir, 'secret.key') });
    // An encrypted store's key check and salt (never its key): a restore needs them to open it.
    if (options.storeEncrypted === true) entries.push({ path: 'encryption.json', source: join(dataDir, 'encryption.json') });
    const blobs = blobFiles(dataDir);
    for (const blob of blobs) entries.push({ path: blob, source: join(dataDir, blob) });

    const manifest: BackupManifest = {
      format: backupFormat,
      createdAt: new Date().toISOString(),
      hearthVersion: options.hearthVersion,
      migrations: (db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n,
      encrypted: options.passphrase !== undefined,
      includesSecretKey,
      storeEncrypted: options.storeEncrypted === true,
      files: [],
    };
    const pack = tar.pack();
    const sink: Writable = createWriteStream(part, { mode: privateFileMode });
    // tar-stream's Pack is a streamx stream, which Node's pipeline takes like any readable.
    const packed = pack as unknown as Readable;
    const writing =
      options.passphrase === undefined
        ? pipeline(packed, createGzip({ level: 6 }), sink)
        : pipeline(packed, createGzip({ level: 6 }), encrypter(options.passphrase), sink);
    for (const entry of entries) {
      const size = statSync(entry.source).size;
      const hash = createHash('sha256');
      await new Promise<void>((resolve, reject) => {
        const stream = pack.entry({ name: entry.path, size, mode: 0o600 }, (error) => (error ? reject(error) : resolve()));
        const source = createReadStream(entry.source);
        source.on('data', (chunk) => hash.update(chunk));
        source.on('error', reject);
        source.pipe(stream);
      });
      manifest.files.push({ path: entry.path, sha256: hash.digest('hex'), size });
    }
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
    pack.entry({ name: 'manifest.json', size: manifestBytes.length, mode: 0o600 }, manifestBytes);
    pack.finalize();
    await writing;
    const fd = openSync(part, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(part, target);
    return {
      file: target,
      bytes: statSync(target).size,
      sha256: sha256File(target),
      createdAt: manifest.createdAt,
      encrypted: manifest.encrypted,
      files: entries.length,
      blobs: blobs.length,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(part, { force: true });
  }
}

const allowedPath = /^(hearth\.db|secret\.key|encryption\.json|manifest\.json|blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64})$/;

/** A manifest lists files (about 150 bytes each): 16 MiB is room for ~100,000 blobs, and bounds what is held in memory. */
const maxManifestBytes = 16 << 20;

/** What a manifest must look like before anything in it is believed; the archive is untrusted input. */
const manifestSchema = z.object({
  format: z.literal(backupFormat),
  createdAt: z.string().max(64),
  hearthVersion: z.string().max(64),
  migrations: z.number().int().min(1),
  encrypted: z.boolean(),
  includesSecretKey: z.boolean(),
  storeEncrypted: z.boolean().optional(),
  files: z
    .array(
      z
        .object({
          path: z
            .string()
            .regex(allowedPath)
            .refine((p) => p !== 'manifest.json'),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          size: z.number().int().min(0),
        })
        .strict(),
    )
    .min(1),
});

const invalid = (message: string): HearthError => new HearthError('INVALID_INPUT', message);

/** Bytes free to this user on the file system holding `dir`. */
function freeBytes(dir: string): number {
  const fs = statfsSync(dir);
  return fs.bavail * fs.bsize;
}

/**
 * The schema a store has after its first `count` migrations, as SQLite records it: a backup's database must have
 * exactly this one, so a crafted database cannot bring triggers, views or tables of its own into a restored store.
 */
function expectedSchema(count: number): string[] {
  const fresh = new Database(':memory:');
  try {
    migrate(fresh, migrations.slice(0, count));
    return schemaOf(fresh);
  } finally {
    fresh.close();
  }
}

function schemaOf(db: Db): string[] {
  return (
    db
      .prepare("SELECT type, name, tbl_name AS tbl, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
      .all() as { type: string; name: string; tbl: string; sql: string | null }[]
  )
    .map((r) => JSON.stringify([r.type, r.name, r.tbl, r.sql]))
    .sort();
}

/**
 * Unpacks a backup into `into`, hashing every file as it arrives, then checks it whole: the manifest's shape, hashes
 * and sizes, that it tells the truth about encryption and the key, each blob against its own name, the database's
 * integrity and schema. The archive is untrusted: only plain files with the names a backup holds are written, each
 * created new (never through a link, never twice), each no bigger than the whole stream, and only when the disk has
 * room for all of it. Anything wrong is a coded error; the caller removes `into`.
 */
async function unpack(
  file: string,
  into: string,
  passphrase: string | undefined,
  keySource: KeySource = keySourceFromEnv(),
): Promise<BackupManifest & { integrityChecked: boolean }> {
  if (!existsSync(file)) throw new HearthError('NOT_FOUND', `no backup at ${file}`);
  if (!statSync(file).isFile()) throw invalid(`${basename(file)} is not a file`);
  const encrypted = isEncryptedBackup(file);
  if (encrypted && passphrase === undefined)
    throw new HearthError('UNAUTHORIZED', `${basename(file)} is encrypted: give its passphrase (--passphrase-stdin)`);
  const open = encrypted ? decryption(file, passphrase!) : () => createReadStream(file);
  // First pass: the compressed (and, when encrypted, authenticated) stream must read to its end. A damaged file is
  // refused here, before any of it is unpacked; tar's parser never sees a corrupt stream. Its length bounds every
  // entry, and is what the disk must have room for (a small file can unpack to a huge one: a gzip bomb).
  let unpackedBytes = 0;
  try {
    await pipeline(
      open(),
      createGunzip(),
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          unpackedBytes += chunk.length;
          done();
        },
      }),
    );
  } catch (error) {
    if (error instanceof HearthError) throw error;
    throw invalid(
      `${basename(file)} is damaged: ${encrypted ? 'it fails authentication' : 'its compressed stream is corrupt'} (${(error as Error).message})`,
    );
  }
  const free = freeBytes(into);
  if (unpackedBytes > free)
    throw new HearthError(
      'PAYLOAD_TOO_LARGE',
      `${basename(file)} unpacks to ${unpackedBytes} bytes; only ${free} are free where it would be restored`,
    );

  const source = open();
  source.on('error', () => undefined); // reported through the pipeline below
  const extract = tar.extract();
  const seen = new Map<string, { sha256: string; size: number; head: Buffer }>();
  let manifestText: string | null = null;
  let openFd: number | null = null;
  let failed = false;
  const fail = (message: string): void => {
    failed = true;
    extract.destroy(invalid(message));
  };
  extract.on('entry', (header, stream, next) => {
    // An entry stream torn down with the extractor reports the same failure; the pipeline below carries it.
    stream.on('error', () => undefined);
    const name = header.name;
    if (header.type !== 'file') {
      stream.resume();
      fail(`the backup holds a ${String(header.type)} entry "${name}": a backup holds plain files only`);
      return;
    }
    if (!allowedPath.test(name)) {
      stream.resume();
      fail(`the backup holds an unexpected entry "${name}"`);
      return;
    }
    if (seen.has(name) || (name === 'manifest.json' && manifestText !== null)) {
      stream.resume();
      fail(`the backup holds "${name}" twice`);
      return;
    }
    const declared = header.size ?? 0;
    if (declared > unpackedBytes || (name === 'manifest.json' && declared > maxManifestBytes)) {
      stream.resume();
      fail(`the backup's entry "${name}" declares ${declared} bytes, more than it can hold`);
      return;
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    const heads: Buffer[] = [];
    let size = 0;
    try {
      if (name !== 'manifest.json') {
        const target = join(into, name);
        makePrivateDir(dirname(target));
        // 'wx': created new, so never a file already there, nor through a link in its place.
        openFd = openSync(target, 'wx', privateFileMode);
      }
    } catch (error) {
      stream.resume();
      fail(`cannot unpack "${name}": ${(error as Error).message}`);
      return;
    }
    stream.on('data', (chunk: unknown) => {
      const data = chunk as Buffer;
      if (failed) return;
      hash.update(data);
      if (size < 16) heads.push(data.subarray(0, 16 - size));
      size += data.length;
      try {
        if (openFd === null) chunks.push(data);
        // Written synchronously: nothing is still being written when a failure removes the scratch folder.
        else for (let offset = 0; offset < data.length;) offset += writeSync(openFd, data, offset);
      } catch (error) {
        fail(`cannot unpack "${name}": ${(error as Error).message}`);
      }
    });
    stream.on('end', () => {
      if (failed) return;
      if (openFd === null) manifestText = Buffer.concat(chunks).toString('utf8');
      else {
        closeSync(openFd);
        openFd = null;
        seen.set(name, { sha256: hash.digest('hex'), size, head: Buffer.concat(heads) });
      }
      next();
    });
  });
  try {
    await pipeline(source, createGunzip(), extract);
  } catch (error) {
    if (error instanceof HearthError) throw error;
    if (encrypted) throw invalid(`${basename(file)} is damaged: its content fails authentication (${(error as Error).message})`);
    throw invalid(`${basename(file)} is not a readable Hearth backup: ${(error as Error).message}`);
  } finally {
    if (openFd !== null) closeSync(openFd);
  }

  const text = manifestText as string | null;
  if (text === null) throw invalid(`${basename(file)} has no ${backupFormat} manifest`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('the backup manifest is not JSON');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${basename(file)} has no valid ${backupFormat} manifest (${issue?.path.join('.')}: ${issue?.message})`);
  }
  const m: BackupManifest = parsed.data;
  const listed = new Set(m.files.map((f) => f.path));
  if (listed.size !== m.files.length) throw invalid('the backup manifest lists a file twice');
  if (!listed.has('hearth.db')) throw invalid('the backup holds no database');
  for (const f of m.files) {
    const got = seen.get(f.path);
    if (got === undefined) throw invalid(`the backup lacks ${f.path}, which its manifest lists`);
    if (got.sha256 !== f.sha256 || got.size !== f.size)
      throw invalid(`${f.path} in the backup does not match its manifest hash: the file is damaged`);
    if (f.path.startsWith('blobs/')) {
      // A plain blob hashes to its name; an encrypted one is checked by the manifest hash (and by GCM when read).
      if (m.storeEncrypted !== true && f.path.slice(-64) !== got.sha256)
        throw invalid(`blob ${f.path.slice(-64)} in the backup does not hash to its name`);
      if (m.storeEncrypted === true && !isSealedBlob(got.head))
        throw invalid(`blob ${f.path.slice(-64)} in the backup is not sealed, yet its store is encrypted`);
    }
  }
  if (seen.size !== m.files.length) throw invalid('the backup holds files its manifest does not list');
  // The manifest must tell the truth about what the archive is: what it says decides how the restore is opened.
  if (m.encrypted !== encrypted)
    throw invalid(
      `the backup manifest says it is ${m.encrypted ? '' : 'not '}encrypted, but the file ${encrypted ? 'is' : 'is not'}`,
    );
  // Only a passphrase-protected backup carries the store's secret key: a plain one that does would swap in a key
  // someone else knows.
  if (m.includesSecretKey !== listed.has('secret.key') || (listed.has('secret.key') && !encrypted))
    throw invalid('the backup carries a secret key it should not, or lacks one its manifest promises');
  if ((m.storeEncrypted === true) !== listed.has('encryption.json'))
    throw invalid("the backup manifest's word on encryption at rest does not match the files it holds");
  if (m.storeEncrypted === true) {
    try {
      parseMarker(readFileSync(join(into, 'encryption.json'), 'utf8'));
    } catch {
      throw invalid("the backup's encryption.json is not a Hearth store-encryption marker");
    }
  }
  if (m.migrations > migrations.length)
    throw new HearthError(
      'STORE_INCOMPATIBLE',
      `the backup's store is newer (schema ${m.migrations}) than this Hearth (${migrations.length})`,
    );
  // An encrypted store's database is checked with its key when one is at hand; without it, only the hashes are.
  let key: Buffer | null = null;
  if (m.storeEncrypted === true) {
    try {
      key = storeKey(into, keySource, true);
    } catch {
      return { ...m, integrityChecked: false };
    }
  }
  const copy = new Database(join(into, 'hearth.db'), { readonly: true, fileMustExist: true });
  try {
    keyConnection(copy, key);
    // Nothing the file defines runs while it is checked: no function called from its views or triggers.
    copy.pragma('trusted_schema = OFF');
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw invalid(`the backup's database fails SQLite's integrity check: ${String(check)}`);
    const schema = schemaOf(copy);
    const applied = copy.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get() as number;
    if (applied !== m.migrations || schema.join('\n') !== expectedSchema(m.migrations).join('\n'))
      throw invalid(`the backup's database does not have the schema of a Hearth store (schema ${m.migrations})`);
    // Every blob the database names is in the backup.
    const digests = copy.prepare('SELECT digest FROM blobs').pluck().all() as string[];
    for (const digest of digests) {
      const hex = digest.slice('sha256:'.length);
      if (!seen.has(`blobs/sha256/${hex.slice(0, 2)}/${hex}`))
        throw invalid(`the backup lacks blob ${digest}, which its database references`);
    }
  } catch (error) {
    if (error instanceof HearthError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw invalid("the backup's database cannot be read (damaged, or not encrypted with this key)");
    if (typeof code === 'string' && code.startsWith('SQLITE_'))
      throw invalid(`the backup's database is not a Hearth store: ${(error as Error).message}`);
    throw error;
  } finally {
    copy.close();
  }
  return { ...m, integrityChecked: true };
}

export async function verifyBackup(
  file: string,
  passphrase?: string,
  keySource?: KeySource,
): Promise<{ file: string; manifest: Omit<BackupManifest, 'files'>; files: number; bytes: number; integrityChecked: boolean }> {
  const scratch = mkdtempSync(join(tmpdir(), 'hearth-verify-'));
  try {
    const { files, integrityChecked, ...manifest } = await unpack(file, scratch, passphrase, keySource);
    return { file, manifest, files: files.length, bytes: files.reduce((n, f) => n + f.size, 0), integrityChecked };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Restores a backup into a data folder that is empty (or absent). With `force`, what the folder held is moved
 * aside to `<folder>.replaced-<time>` first, never deleted. Nothing lands in the folder before the whole backup
 * has been checked.
 */
export async function restoreBackup(
  file: string,
  dataDir: string,
  options: { passphrase?: string; force?: boolean; keySource?: KeySource },
): Promise<{ dataDir: string; files: number; replacedTo: string | null; manifest: Omit<BackupManifest, 'files'> }> {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    throw new HearthError('CONFLICT', `${dataDir} is a file, not a folder: restore into an empty folder`);
  const occupied = existsSync(dataDir) && readdirSync(dataDir).length > 0;
  if (occupied && options.force !== true)
    throw new HearthError(
      'CONFLICT',
      `${dataDir} is not empty: restore into an empty folder, or add --force to move its contents aside`,
    );
  const parent = dirname(dataDir);
  makePrivateDir(parent);
  // 0700 (mkdtemp's own mode): it becomes the data folder by rename.
  const scratch = mkdtempSync(join(parent, `.${basename(dataDir)}.restore-`));
  try {
    const { files, integrityChecked: _checked, ...manifest } = await unpack(file, scratch, options.passphrase, options.keySource);
    let replacedTo: string | null = null;
    if (occupied) {
      replacedTo = `${dataDir}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dataDir, replacedTo);
    } else if (existsSync(dataDir)) rmSync(dataDir, { recursive: true });
    renameSync(scratch, dataDir);
    return { dataDir, files: files.length, replacedTo, manifest };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Backups in a folder, newest first; beyond `keep`, the oldest are deleted. */
export function pruneBackups(dir: string, keep: number): string[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => /^hearth-.*\.hbk$/.test(f))
    .sort()
    .reverse();
  const removed = files.slice(keep);
  for (const f of removed) rmSync(join(dir, f), { force: true });
  return removed;
}

export function listBackups(dir: string): { file: string; bytes: number; createdAt: string; encrypted: boolean }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^hearth-.*\.hbk$/.test(f))
    .sort()
    .reverse()
    .map((f) => {
      const path = join(dir, f);
      const st = statSync(path);
      return { file: path, bytes: st.size, createdAt: st.mtime.toISOString(), encrypted: isEncryptedBackup(path) };
    });
}

export function backupFileName(now = new Date()): string {
  return `hearth-${now.toISOString().replace(/[:.]/g, '-')}.hbk`;
}
