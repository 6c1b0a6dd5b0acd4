import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HearthError } from '../contracts/errors.js';
import { makePrivateDir, privateFileMode, readPrivateKeyFile } from './private-fs.js';

/**
 * Encryption at rest. A store created with a key keeps its database encrypted by SQLite3 Multiple Ciphers
 * (SQLCipher's format) and every blob sealed with AES-256-GCM; `encryption.json` in the data folder says so and
 * holds a key check (never the key), so a missing or wrong key is a coded error before SQLite sees the file.
 *
 * Where the key comes from: HEARTH_STORE_KEY (base64, 32 bytes; the desktop app passes one kept in the OS keychain),
 * HEARTH_STORE_KEY_FILE (a file holding that), or HEARTH_STORE_PASSPHRASE (scrypt, with the salt in encryption.json).
 */

const markerName = 'encryption.json';

interface Marker {
  format: 'hearth-store-encryption/1';
  database: 'sqlcipher';
  blobs: 'aes-256-gcm';
  kdf: 'raw' | 'scrypt';
  salt: string | null;
  keyCheck: string;
}

function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('hearth-store-key-check').digest().subarray(0, 16).toString('base64');
}

function passphraseKey(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
}

export function isEncryptedStore(dataDir: string): boolean {
  return existsSync(join(dataDir, markerName));
}

export interface KeySource {
  key?: string | undefined;
  keyFile?: string | undefined;
  passphrase?: string | undefined;
}

function rawKey(source: KeySource): Buffer | null {
  const text = source.key ?? (source.keyFile === undefined ? undefined : readKeyFile(source.keyFile));
  if (text === undefined || text === '') return null;
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new HearthError('VALIDATION_FAILED', 'a store key is 32 bytes, base64-encoded');
  return key;
}

function readKeyFile(path: string): string {
  return readPrivateKeyFile(path, 'store key file');
}

/**
 * The shortest passphrase a store (or a backup carrying its key) may be given. scrypt slows each guess, but an
 * 8-character passphrase is still within reach of an offline attack on a stolen disk; 12 is NIST SP 800-63B's
 * floor for a passphrase chosen by a user protecting data of this weight, and what most password managers suggest.
 */
export const minPassphraseLength = 12;

/** Refuses a passphrase too short to set (opening a store with an older, shorter one is still allowed). */
export function assertStrongPassphrase(passphrase: string, what: string): void {
  if ([...passphrase].length < minPassphraseLength)
    throw new HearthError(
      'VALIDATION_FAILED',
      `${what} must be at least ${minPassphraseLength} characters (a few words make a good one)`,
    );
}

/**
 * The key of the store in `dataDir`: null for a plain store opened without one; for an encrypted store, the key
 * (checked), else UNAUTHORIZED. A key given for a store that does not exist yet makes it an encrypted one.
 */
export function storeKey(dataDir: string, source: KeySource, storeExists: boolean): Buffer | null {
  const given = source.key !== undefined || source.keyFile !== undefined || source.passphrase !== undefined;
  if (!isEncryptedStore(dataDir)) {
    if (!given) return null;
    if (storeExists)
      throw new HearthError(
        'VALIDATION_FAILED',
        `${dataDir} holds a store that is not encrypted: a key applies to a new store only (back it up, then restore into an encrypted one is not there yet)`,
      );
    const { key, marker } = newStoreKey(source);
    makePrivateDir(dataDir);
    writeFileSync(join(dataDir, markerName), marker, { mode: privateFileMode, flag: 'wx' });
    return key;
  }
  if (!given)
    throw new HearthError(
      'UNAUTHORIZED',
      `the store in ${dataDir} is encrypted: give its key (HEARTH_STORE_KEY_FILE, HEARTH_STORE_KEY or HEARTH_STORE_PASSPHRASE)`,
    );
  const key = markerAccepts(readFileSync(join(dataDir, markerName), 'utf8'), source);
  if (key === null) throw new HearthError('UNAUTHORIZED', `wrong key for the encrypted store in ${dataDir}`);
  return key;
}

/** An encrypted store's key id: its key check (an HMAC of the key, never the key); null for a plain store. */
export function storeKeyId(dataDir: string): string | null {
  if (!isEncryptedStore(dataDir)) return null;
  return parseMarker(readFileSync(join(dataDir, markerName), 'utf8')).keyCheck;
}

/** Applies the key to a fresh connection: SQLCipher's format, the raw 256-bit key (no second KDF). */
export function keyConnection(db: { pragma(source: string): unknown }, key: Buffer | null | undefined): void {
  if (key === null || key === undefined) return;
  db.pragma(`cipher='sqlcipher'`);
  db.pragma(`key="x'${key.toString('hex')}'"`);
}

/** What `encryption.json` would say for `source`: the key and its marker (a fresh salt for a passphrase). */
export function newStoreKey(source: KeySource): { key: Buffer; marker: string } {
  const passphrase = source.passphrase !== undefined && source.passphrase !== '';
  if (passphrase) assertStrongPassphrase(source.passphrase!, 'a store passphrase');
  const salt = passphrase ? randomBytes(16) : null;
  const key = passphrase ? passphraseKey(source.passphrase!, salt!) : rawKey(source);
  if (key === null)
    throw new HearthError('VALIDATION_FAILED', 'give the new key (--new-key-file) or passphrase (--new-passphrase-stdin)');
  const marker: Marker = {
    format: 'hearth-store-encryption/1',
    database: 'sqlcipher',
    blobs: 'aes-256-gcm',
    kdf: passphrase ? 'scrypt' : 'raw',
    salt: salt?.toString('base64') ?? null,
    keyCheck: keyCheck(key),
  };
  return { key, marker: `${JSON.stringify(marker, null, 2)}\n` };
}

const markerSchema = z.object({
  format: z.literal('hearth-store-encryption/1'),
  database: z.literal('sqlcipher'),
  blobs: z.literal('aes-256-gcm'),
  kdf: z.enum(['raw', 'scrypt']),
  salt: z.string().max(64).nullable(),
  keyCheck: z.string().max(64),
});

/**
 * Reads an `encryption.json`, refusing one of another shape (STORE_INCOMPATIBLE): it may come from a backup, so a
 * malformed one must be a coded error, never a TypeError deep in the key derivation.
 */
export function parseMarker(markerText: string): Marker {
  let json: unknown;
  try {
    json = JSON.parse(markerText);
  } catch {
    throw new HearthError('STORE_INCOMPATIBLE', 'encryption.json is not JSON');
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success || (parsed.data.kdf === 'scrypt') !== (parsed.data.salt !== null))
    throw new HearthError('STORE_INCOMPATIBLE', 'encryption.json is not a Hearth store-encryption marker');
  return parsed.data;
}

/** The key `source` gives if it is the one a marker describes (a passphrase is re-derived with the marker's salt), else null. */
export function markerAccepts(markerText: string, source: KeySource): Buffer | null {
  const marker = parseMarker(markerText);
  const key =
    marker.kdf === 'scrypt'
      ? source.passphrase === undefined
        ? null
        : passphraseKey(source.passphrase, Buffer.from(marker.salt!, 'base64'))
      : rawKey(source);
  const expected = Buffer.from(marker.keyCheck, 'base64');
  if (key === null || expected.length !== 16) return null;
  return timingSafeEqual(Buffer.from(keyCheck(key), 'base64'), expected) ? key : null;
}
