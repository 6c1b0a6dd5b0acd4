// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// How requests for a model are routed beyond its production alias: a canary (a share of requests answered by
// another version) and a shadow (a version that predicts every request too, logged but never returned). Shadow
// rows in the prediction log point at the row they shadow, so late labels reach both.
export const sql = `
CREATE TABLE serving_routes (
  model TEXT PRIMARY KEY,
  canary_version INTEGER,
  canary_share REAL NOT NULL DEFAULT 0 CHECK (canary_share >= 0 AND canary_share <= 1),
  shadow_version INTEGER,
  updated_at TEXT NOT NULL
) STRICT;
ALTER TABLE prediction_log ADD COLUMN shadow_of TEXT;
CREATE INDEX prediction_log_by_shadow_of ON prediction_log(shadow_of) WHERE shadow_of IS NOT NULL;
`;
