import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, statfsSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import Database from 'better-sqlite3-multiple-ciphers';
import * as tar from 'tar-stream';
import { z } from 'zod';
import { keyConnection, parseMarker, storeKey, type KeySource } from '../crypto/store-key.js';
import { storeKeySource } from '../settings/resolve.js';
import { HearthError } from '../contracts/errors.js';
import { isSealedBlob } from './blob-store.js';
import { migrate, type Db } from './database.js';
import { migrations } from './migrations/index.js';
import { makePrivateDir, privateFileMode } from '../crypto/private-fs.js';
import { backupFormat, decryption, isEncryptedBackup, type BackupManifest } from './backup-format.js';

/**
 * Unpacking a backup, which is untrusted input: only plain files with a backup's own names, a manifest checked before
 * anything in it is believed, hashes and sizes that must agree, and room on the disk for what it unpacks to.
 */

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
export async function unpack(
  file: string,
  into: string,
  passphrase: string | undefined,
  keySource: KeySource = storeKeySource(),
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
