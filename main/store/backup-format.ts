import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { HearthError } from '../contracts/errors.js';

/** The backup file's framing: its manifest, and the passphrase encryption around the gzipped tar. */
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

export function sha256File(path: string): string {
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

function backupKey(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
}

/** A value only the right key gives, so a wrong passphrase is told apart from a damaged file before any decryption. */
function keyCheck(key: Buffer): Buffer {
  return createHmac('sha256', key).update('hearth-backup-key-check').digest().subarray(0, 16);
}

const headerLength = magic.length + 16 + 12 + 16;

/** Encrypting writer: magic ‖ salt ‖ iv ‖ key check, the ciphertext, then the GCM tag. */
export function encrypter(passphrase: string): Transform {
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
export function decryption(file: string, passphrase: string): () => Readable {
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
