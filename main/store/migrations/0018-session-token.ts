// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// A console session remembers the SHA-256 of the token it was opened with, so it lives only while that token does:
// a named token's expiry or revocation, or a reset of the bootstrap token, ends it (main/security/access.ts session()).
// Sessions opened before this migration have none and are refused: their holders sign in again.
export const sql = `
ALTER TABLE sessions ADD COLUMN token_sha256 TEXT;
`;
