// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Registry credentials, sealed with AES-256-GCM (main/security/secrets.ts); never stored or returned in clear.
export const sql = `
ALTER TABLE remotes ADD COLUMN credentials TEXT;
`;
