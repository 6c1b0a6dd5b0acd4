import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { assertStrongPassphrase, type KeySource } from '../crypto/store-key.js';
import { HearthError } from '../contracts/errors.js';
import type { Db } from './database.js';
import { makePrivateDir, privateFileMode, touchPrivateFile } from '../crypto/private-fs.js';
import { backupFormat, encrypter, isEncryptedBackup, sha256File, type BackupInfo, type BackupManifest } from './backup-format.js';
import { unpack } from './backup-unpack.js';

export type { BackupInfo } from './backup-format.js';

/**
 * Backups of a whole store: a consistent copy of the database (SQLite's online backup, so the server keeps serving
 * while it runs), every blob, and a manifest of their SHA-256 hashes, in a gzipped tar. With a passphrase the archive
 * is encrypted (AES-256-GCM, key by scrypt) and also carries the store's secret key, without which sealed
 * credentials cannot be opened and pseudonyms would change; without one the key stays out, and the manifest says so.
 */

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'blobs', 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((p) => /^[0-9a-f]{2}[/\\][0-9a-f]{64}$/.test(p))
    .map((p) => `blobs/sha256/${p.replace('\\', '/')}`)
    .sort();
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

/**
 * Unpacks and checks a backup into a new folder beside `dataDir` (on its file system, so it can take the data
 * folder's place by rename) and returns it; on any failure the folder is removed and `dataDir` is untouched.
 */
export async function unpackBeside(
  file: string,
  dataDir: string,
  options: { passphrase?: string; keySource?: KeySource },
): Promise<{ dir: string; manifest: Omit<BackupManifest, 'files'>; integrityChecked: boolean }> {
  const parent = dirname(dataDir);
  makePrivateDir(parent);
  const dir = mkdtempSync(join(parent, `.${basename(dataDir)}.restore-`));
  try {
    const { files: _files, integrityChecked, ...manifest } = await unpack(file, dir, options.passphrase, options.keySource);
    return { dir, manifest, integrityChecked };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
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
