import { createHash } from 'node:crypto';

/** A presented API token's SHA-256, as bytes (for constant-time comparison) and as hex (for the token table). */
export interface TokenDigest {
  readonly bytes: Buffer;
  readonly hex: string;
}

/*
 * Every API request hashes its bearer token, and a client sends the same token with each of its requests: the digests
 * of the last few hundred tokens seen are kept, so a request pays a map lookup instead of a hash (one of the larger
 * costs of a single-row prediction). Only the digest is derived here; whether it is valid is decided by the caller
 * against the store, every time. Bounded: unknown tokens sent without end (guesses) only empty the map now and then,
 * and a token longer than any Hearth issues is hashed and not kept.
 */
const remembered = new Map<string, TokenDigest>();
const maxRemembered = 256;
const maxRememberedLength = 256;

export function tokenDigest(token: string): TokenDigest {
  const known = remembered.get(token);
  if (known !== undefined) return known;
  const bytes = createHash('sha256').update(token).digest();
  const digest = { bytes, hex: bytes.toString('hex') };
  if (token.length <= maxRememberedLength) {
    if (remembered.size >= maxRemembered) remembered.clear();
    remembered.set(token, digest);
  }
  return digest;
}
