// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Alert rules, the episodes they opened (one alert from the moment a condition holds until it no longer does), and
// failed predict requests (for error-rate and validation-failure rules).
export const sql = `
CREATE TABLE alert_rules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  model TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('drift', 'metric', 'latency', 'error-rate', 'validation', 'new-rows')),
  threshold REAL NOT NULL,
  window_seconds INTEGER NOT NULL,
  params_json TEXT NOT NULL,
  webhook TEXT,
  -- When it fires: train a challenger on the newest data and promote it if it is better on its holdout.
  retrain INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  rule_id INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  value REAL NOT NULL,
  message TEXT NOT NULL,
  started_at TEXT NOT NULL,
  resolved_at TEXT,
  webhook_status TEXT,
  webhook_attempts INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX alerts_by_rule ON alerts(rule_id, status);

CREATE TABLE request_errors (
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  code TEXT NOT NULL,
  at TEXT NOT NULL
) STRICT;
CREATE INDEX request_errors_by_model_time ON request_errors(model, at);
`;
