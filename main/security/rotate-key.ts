import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { HearthError } from '../contracts/errors.js';
import { isSealedBlob, openSealedBlob, sealBlob } from '../store/blob-store.js';
import { privateFileMode } from '../crypto/private-fs.js';
import { keyConnection, markerAccepts, newStoreKey, type KeySource } from '../crypto/store-key.js';

/**
 * Re-keys a closed, encrypted store: every blob re-sealed under the new key (each file replaced whole, by rename),
 * then the database re-keyed (PRAGMA rekey, one transaction), then `encryption.json` replaced. The new marker is
 * written first as `encryption.next.json`; run again with the same two keys after an interruption, it finishes the
 * job: blobs already under the new key are left, a database already re-keyed is recognised.
 */
export function rotateStoreKey(dataDir: string, current: KeySource, next: KeySource): { blobs: number; alreadyDone: number } {
  const markerPath = join(dataDir, 'encryption.json');
  const nextPath = join(dataDir, 'encryption.next.json');
  if (!existsSync(markerPath)) throw new HearthError('VALIDATION_FAILED', `the store in ${dataDir} is not encrypted`);
  const oldKey = markerAccepts(readFileSync(markerPath, 'utf8'), current);
  if (oldKey === null) throw new HearthError('UNAUTHORIZED', 'the current key does not open this store');
  let newKey: Buffer;
  if (existsSync(nextPath)) {
    const resumed = markerAccepts(readFileSync(nextPath, 'utf8'), next);
    if (resumed === null)
      throw new HearthError('CONFLICT', 'an interrupted rotation to another key is pending: give that new key again');
    newKey = resumed;
  } else {
    const made = newStoreKey(next);
    newKey = made.key;
    writeFileSync(nextPath, made.marker, { mode: privateFileMode });
  }
  if (newKey.equals(oldKey)) throw new HearthError('VALIDATION_FAILED', 'the new key is the current one');

  let blobs = 0;
  let alreadyDone = 0;
  const root = join(dataDir, 'blobs', 'sha256');
  const files = existsSync(root) ? readdirSync(root, { recursive: true }).map((e) => join(root, String(e))) : [];
  for (const path of files) {
    if (!statSync(path).isFile()) continue;
    const file = readFileSync(path);
    if (!isSealedBlob(file)) continue;
    const plain = openSealedBlob(oldKey, file);
    if (plain === null) {
      if (openSealedBlob(newKey, file) === null)
        throw new HearthError('INTERNAL', `${path} opens with neither key: it is damaged`);
      alreadyDone++;
      continue;
    }
    const temp = `${path}.rekey`;
    writeFileSync(temp, sealBlob(newKey, plain), { mode: privateFileMode });
    renameSync(temp, path);
    blobs++;
  }

  const db = new Database(join(dataDir, 'hearth.db'));
  try {
    keyConnection(db, oldKey);
    try {
      db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      // SQLite3 Multiple Ciphers re-keys only outside WAL mode: leave it (checkpointing the WAL), re-key, return.
      db.pragma('journal_mode = DELETE');
      db.pragma(`rekey="x'${newKey.toString('hex')}'"`);
      db.pragma('journal_mode = WAL');
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_NOTADB') throw error;
      // Re-keyed before an interruption: it must open with the new key.
      db.close();
      const again = new Database(join(dataDir, 'hearth.db'));
      try {
        keyConnection(again, newKey);
        again.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      } finally {
        again.close();
      }
    }
  } finally {
    if (db.open) db.close();
  }
  renameSync(nextPath, markerPath);
  rmSync(nextPath, { force: true });
  return { blobs, alreadyDone };
}
