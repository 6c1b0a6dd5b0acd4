import { environmentValue } from '../settings/environment.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CommitCache, type Db } from '../store/database.js';
import { tokenDigest } from '../crypto/token-digest.js';
import { cachedStatement } from '../table/statements.js';

const settingKey = 'api_token_sha256';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export interface TokenVerifier {
  verify(token: string | undefined): boolean;
  /** Whether a SHA-256 (hex) is the bootstrap token's now: a console session opened with it lives only while it is. */
  verifyDigest: (sha256Hex: string) => boolean;
  /** Set only when this start generated the token: the one time it can be shown. */
  generatedToken: string | undefined;
  source: 'env' | 'stored' | 'generated';
}

/**
 * The stored token's hash per connection, read again after any commit: `hearth token reset` runs in another process
 * on the same database (its commit changes PRAGMA data_version, seen within dataVersionWindowMs), or on this connection
 * (resetToken clears it, at once), and a running server must take the new token without a restart.
 */
const storedHashes = new WeakMap<Db, CommitCache<Buffer | null>>();

function storedHash(db: Db): Buffer | null {
  let cache = storedHashes.get(db);
  if (cache === undefined) {
    cache = new CommitCache(db);
    storedHashes.set(db, cache);
  }
  return cache.get(settingKey, () => {
    const row = cachedStatement(db, 'SELECT value FROM settings WHERE key = ?').get(settingKey) as { value: string } | undefined;
    return row === undefined ? null : Buffer.from(row.value, 'hex');
  });
}

function same(digest: Buffer, expected: Buffer | null): boolean {
  return expected !== null && expected.length === digest.length && timingSafeEqual(digest, expected);
}

/**
 * The bootstrap (admin) API token. With $HEARTH_TOKEN set it is that token, fixed for the life of the process: the
 * operator owns it, `hearth token reset` changes only the stored token (which such a server does not read), and
 * changing it means restarting with the new value. Otherwise it is generated on first start, shown once and stored
 * only as its SHA-256 (a 256-bit random token needs no slow hash), and every check reads the stored hash (cached until
 * the next commit), so a reset takes effect at once. Comparison is constant-time.
 */
export function loadTokenVerifier(db: Db, envToken = environmentValue('HEARTH_TOKEN')): TokenVerifier {
  let generatedToken: string | undefined;
  let source: TokenVerifier['source'];
  let expected: () => Buffer | null;
  if (envToken !== undefined && envToken !== '') {
    const fixed = sha256(envToken);
    expected = () => fixed;
    source = 'env';
  } else {
    if (storedHash(db) !== null) source = 'stored';
    else {
      generatedToken = resetToken(db);
      source = 'generated';
    }
    expected = () => storedHash(db);
  }
  return {
    verify: (token) => token !== undefined && token !== '' && same(tokenDigest(token).bytes, expected()),
    verifyDigest: (hex) => /^[0-9a-f]{64}$/.test(hex) && same(Buffer.from(hex, 'hex'), expected()),
    generatedToken,
    source,
  };
}

/**
 * Replaces the stored token with a new random one and returns it (the only time it is visible). The console sessions
 * opened with the old one are deleted with it; they would be refused anyway, since a session is checked against the
 * token it was opened with.
 */
export function resetToken(db: Db): string {
  const token = `hth_${randomBytes(32).toString('base64url')}`;
  db.transaction(() => {
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
      settingKey,
      sha256(token).toString('hex'),
    );
    db.prepare("DELETE FROM sessions WHERE token_name = 'bootstrap'").run();
  })();
  // This connection's own commit leaves its data_version as it was: the cache is told.
  storedHashes.get(db)?.clear();
  return token;
}

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}
