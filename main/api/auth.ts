import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/database.js';

const settingKey = 'api_token_sha256';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export interface TokenVerifier {
  verify(token: string | undefined): boolean;
  /** Set only when this start generated the token: the one time it can be shown. */
  generatedToken: string | undefined;
  source: 'env' | 'stored' | 'generated';
}

/**
 * The API token: $HEARTH_TOKEN when set; otherwise one generated on first start, shown once and stored only
 * as its SHA-256 (a 256-bit random token needs no slow hash). Comparison is constant-time.
 */
export function loadTokenVerifier(db: Db, envToken = process.env.HEARTH_TOKEN): TokenVerifier {
  let expected: Buffer;
  let generatedToken: string | undefined;
  let source: TokenVerifier['source'];
  if (envToken !== undefined && envToken !== '') {
    expected = sha256(envToken);
    source = 'env';
  } else {
    const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(settingKey) as { value: string } | undefined;
    if (row !== undefined) {
      expected = Buffer.from(row.value, 'hex');
      source = 'stored';
    } else {
      generatedToken = resetToken(db);
      expected = sha256(generatedToken);
      source = 'generated';
    }
  }
  return {
    verify: (token) => token !== undefined && token !== '' && timingSafeEqual(sha256(token), expected),
    generatedToken,
    source,
  };
}

/** Replaces the stored token with a new random one and returns it (the only time it is visible). */
export function resetToken(db: Db): string {
  const token = `hth_${randomBytes(32).toString('base64url')}`;
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    settingKey,
    sha256(token).toString('hex'),
  );
  return token;
}

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}
