import type { Alert, AlertKind, AlertRule } from '../contracts/api.js';
import type { EventSink } from '../contracts/call.js';
import { HearthError } from '../contracts/errors.js';
import { redactText } from '../security/redact.js';
import { nowIso, type Db } from '../store/database.js';
import { recordDriftWindows, type DriftHistoryDeps } from './drift-history.js';
import { driftReport } from './monitor.js';
import { retrain, type RetrainDeps } from '../training/retrain.js';
import { monitorReport, type MonitorDeps } from './performance.js';

interface RuleRow {
  id: number;
  name: string;
  model: string;
  kind: AlertKind;
  threshold: number;
  window_seconds: number;
  params_json: string;
  webhook: string | null;
  retrain: number;
}

interface AlertRow {
  id: number;
  rule_id: number;
  status: 'firing' | 'resolved';
  value: number;
  message: string;
  started_at: string;
  resolved_at: string | null;
  webhook_status: string | null;
  webhook_attempts: number;
  name: string;
  model: string;
  kind: AlertKind;
}

/** Lower is better for these; for every other metric a value below the threshold is the alarm. */
const errorMetrics = new Set(['rmse', 'mae', 'log_loss']);

/** What the alert engine uses: the rules' tables, the events it fires, and what its conditions and retrains read. */
export interface AlertDeps extends DriftHistoryDeps, MonitorDeps, RetrainDeps {
  readonly db: Db;
  readonly events: EventSink;
}

/**
 * Alert rules checked on a schedule. Each rule's condition is computed over its last window; when it starts to
 * hold an alert fires, once, to every sink (the GUI and the desktop through the engine's events, the log, and the
 * rule's webhook, retried); while it keeps holding nothing more is sent; when it stops holding the alert resolves,
 * and the sinks hear that once too. A window without data is not evidence of anything: it resolves nothing and
 * fires nothing.
 */
export class AlertEngine {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** Waits between webhook attempts (tests shorten them). */
  webhookBackoffMs = [500, 2000, 8000];

  constructor(private readonly deps: AlertDeps) {}

  addRule(
    rule: Omit<AlertRule, 'metric' | 'source' | 'webhook' | 'retrain'> &
      Partial<Pick<AlertRule, 'metric' | 'source' | 'webhook' | 'retrain'>>,
  ): AlertRule {
    this.deps.registry.resolve(rule.model);
    if (rule.webhook !== undefined && rule.webhook !== null && !/^https?:\/\//.test(rule.webhook))
      throw new HearthError('VALIDATION_FAILED', 'a webhook is an http:// or https:// URL');
    const exists = this.deps.db.prepare('SELECT 1 FROM alert_rules WHERE name = ?').get(rule.name);
    if (exists !== undefined) throw new HearthError('CONFLICT', `an alert rule named "${rule.name}" exists`);
    this.deps.db
      .prepare(
        `INSERT INTO alert_rules (name, model, kind, threshold, window_seconds, params_json, webhook, retrain, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        rule.name,
        rule.model,
        rule.kind,
        rule.threshold,
        rule.windowSeconds,
        JSON.stringify({ metric: rule.metric ?? null, source: rule.source ?? (rule.kind === 'metric' ? 'realised' : null) }),
        rule.webhook ?? null,
        rule.retrain === true ? 1 : 0,
        nowIso(),
      );
    return this.rules().find((r) => r.name === rule.name)!;
  }

  removeRule(name: string): void {
    if (this.deps.db.prepare('DELETE FROM alert_rules WHERE name = ?').run(name).changes === 0)
      throw new HearthError('NOT_FOUND', `no alert rule named "${name}"`);
  }

  rules(): AlertRule[] {
    return (this.deps.db.prepare('SELECT * FROM alert_rules ORDER BY name').all() as RuleRow[]).map(toRule);
  }

  list(firingOnly = false): Alert[] {
    const rows = this.deps.db
      .prepare(
        `SELECT a.*, r.name, r.model, r.kind FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
          WHERE (? = 0 OR a.status = 'firing') ORDER BY a.id DESC`,
      )
      .all(firingOnly ? 1 : 0) as AlertRow[];
    return rows.map(toAlert);
  }

  /** Checks every minute (the server and the desktop start it). */
  start(intervalMs = 60_000): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      // The drift history rides on the same schedule: a window is recorded once, after it closes.
      if (this.running === null)
        this.running = this.check()
          .then(() => recordDriftWindows(this.deps))
          .catch((error: unknown) =>
            process.stderr.write(`${JSON.stringify({ level: 'error', event: 'monitoring', message: String(error) })}\n`),
          )
          .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Evaluates every rule over the window ending at `now`; returns the alerts that changed (fired or resolved). */
  async check(now = new Date()): Promise<Alert[]> {
    const changed: { alert: Alert; rule: AlertRule }[] = [];
    for (const row of this.deps.db.prepare('SELECT * FROM alert_rules ORDER BY id').all() as RuleRow[]) {
      const rule = toRule(row);
      const since = new Date(now.getTime() - rule.windowSeconds * 1000).toISOString();
      const until = now.toISOString();
      let observed: { value: number; holds: boolean; message: string } | null;
      try {
        observed = await this.observe(rule, since, until);
      } catch (error) {
        // No rows in the window (or a model gone): nothing to judge by.
        if (error instanceof HearthError && (error.code === 'VALIDATION_FAILED' || error.code === 'NOT_FOUND')) observed = null;
        else throw error;
      }
      if (observed === null) continue;
      const open = this.deps.db.prepare(`SELECT id FROM alerts WHERE rule_id = ? AND status = 'firing'`).get(row.id) as
        { id: number } | undefined;
      if (observed.holds && open === undefined) {
        const info = this.deps.db
          .prepare(`INSERT INTO alerts (rule_id, status, value, message, started_at) VALUES (?, 'firing', ?, ?, ?)`)
          .run(row.id, observed.value, observed.message, until);
        changed.push({ alert: this.alert(Number(info.lastInsertRowid)), rule });
      } else if (observed.holds && open !== undefined) {
        this.deps.db.prepare('UPDATE alerts SET value = ? WHERE id = ?').run(observed.value, open.id);
      } else if (!observed.holds && open !== undefined) {
        this.deps.db
          .prepare(`UPDATE alerts SET status = 'resolved', resolved_at = ?, value = ? WHERE id = ?`)
          .run(until, observed.value, open.id);
        changed.push({ alert: this.alert(open.id), rule });
      }
    }
    for (const { alert, rule } of changed) {
      await this.notify(alert, rule);
      if (alert.status === 'firing' && rule.retrain) await this.retrainFor(alert);
    }
    return changed.map(({ alert }) => this.alert(alert.id));
  }

  /** The rule's action: retrain (promotion gated by the holdout comparison), the outcome added to the alert. */
  private async retrainFor(alert: Alert): Promise<void> {
    let outcome: string;
    try {
      const r = await retrain(this.deps, alert.model);
      outcome = `retrained: challenger v${r.challenger.version} ${r.promoted ? 'promoted' : 'not promoted'} (${r.reason})`;
    } catch (error) {
      outcome = `retraining failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.deps.db.prepare('UPDATE alerts SET message = ? WHERE id = ?').run(`${alert.message}; ${outcome}`, alert.id);
    this.deps.events.emit('alerts.changed', this.alert(alert.id));
  }

  private alert(id: number): Alert {
    const row = this.deps.db
      .prepare(`SELECT a.*, r.name, r.model, r.kind FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.id = ?`)
      .get(id) as AlertRow;
    return toAlert(row);
  }

  private async observe(
    rule: AlertRule,
    since: string,
    until: string,
  ): Promise<{ value: number; holds: boolean; message: string } | null> {
    const window = `in the last ${rule.windowSeconds / 60} min`;
    switch (rule.kind) {
      case 'drift': {
        const report = await driftReport(this.deps, rule.model, { since, until });
        const drifted = report.features.columns.filter((c) => c.drifted).map((c) => c.column);
        return {
          value: report.features.share,
          holds: report.features.share >= rule.threshold,
          message: `${rule.model}: ${drifted.length} of ${report.features.columns.length} features drifted ${window} (${drifted.join(', ') || 'none'})`,
        };
      }
      case 'metric': {
        const report = await monitorReport(this.deps, rule.model, { since, until, windowSeconds: 31 * 86400 });
        const values = report.windows
          .map((w) => (rule.source === 'estimated' ? w.estimated : w.realised)?.[rule.metric!])
          .filter((v): v is number => v !== undefined);
        if (values.length === 0) return null;
        const value = values[values.length - 1]!;
        const holds = errorMetrics.has(rule.metric!) ? value > rule.threshold : value < rule.threshold;
        return {
          value,
          holds,
          message: `${rule.model}: ${rule.source} ${rule.metric} ${value.toFixed(4)} ${window} (threshold ${rule.threshold})`,
        };
      }
      case 'latency': {
        const report = await monitorReport(this.deps, rule.model, { since, until, windowSeconds: 31 * 86400 });
        const value = Math.max(...report.windows.map((w) => w.latencyMs.p99));
        return { value, holds: value > rule.threshold, message: `${rule.model}: p99 latency ${value.toFixed(2)} ms ${window}` };
      }
      case 'new-rows': {
        const production = this.deps.registry.version(rule.model, this.deps.registry.resolve(rule.model));
        if (production.origin !== null) return null;
        const trained = this.deps.datasets.version(production.dataset.name, production.dataset.version);
        const newest = this.deps.datasets.version(production.dataset.name);
        const value = newest.rows - trained.rows;
        return {
          value,
          holds: value >= rule.threshold,
          message: `${rule.model}: ${production.dataset.name} v${newest.version} has ${value} rows more than v${trained.version}, which production was trained on`,
        };
      }
      case 'error-rate':
      case 'validation': {
        // Both counts come from the log's writer: what it still holds must be in before they are read.
        await this.deps.predictionLog.flushed();
        const failed = this.deps.db
          .prepare(
            `SELECT COUNT(*) AS n FROM request_errors WHERE model = ? AND at >= ? AND at < ? AND (? = 0 OR code = 'VALIDATION_FAILED')`,
          )
          .get(rule.model, since, until, rule.kind === 'validation' ? 1 : 0) as { n: number };
        const served = this.deps.db
          .prepare(
            `SELECT COUNT(*) AS n FROM prediction_log l JOIN models m ON m.id = l.model_id WHERE m.name = ? AND l.at >= ? AND l.at < ?`,
          )
          .get(rule.model, since, until) as { n: number };
        const total = failed.n + served.n;
        if (total === 0) return null;
        const value = failed.n / total;
        const what = rule.kind === 'validation' ? 'failed validation' : 'failed';
        return {
          value,
          holds: value > rule.threshold,
          message: `${rule.model}: ${failed.n} of ${total} requests ${what} ${window}`,
        };
      }
    }
  }

  /** Tells every sink; the webhook is retried with backoff, and its outcome kept with the alert. */
  private async notify(alert: Alert, rule: AlertRule): Promise<void> {
    this.deps.events.emit('alerts.changed', alert);
    process.stderr.write(`${JSON.stringify({ level: alert.status === 'firing' ? 'warn' : 'info', event: 'alert', ...alert })}\n`);
    if (rule.webhook === null) return;
    let status = 'failed';
    let attempts = 0;
    for (let i = 0; i <= this.webhookBackoffMs.length; i++) {
      attempts++;
      try {
        const response = await fetch(rule.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ source: 'hearth', ...alert }),
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        if (response.ok) {
          status = `delivered (${response.status})`;
          break;
        }
        status = `failed (${response.status})`;
      } catch (error) {
        // Every role lists alerts: an error that quotes the hook's URL must not hand out its key.
        status = `failed (${redactText(error instanceof Error ? error.message : String(error))})`;
      }
      if (i < this.webhookBackoffMs.length) await new Promise((resolve) => setTimeout(resolve, this.webhookBackoffMs[i]));
    }
    this.deps.db
      .prepare('UPDATE alerts SET webhook_status = ?, webhook_attempts = webhook_attempts + ? WHERE id = ?')
      .run(status, attempts, alert.id);
  }
}

function toRule(row: RuleRow): AlertRule {
  const params = JSON.parse(row.params_json) as { metric: string | null; source: 'realised' | 'estimated' | null };
  return {
    name: row.name,
    model: row.model,
    kind: row.kind,
    threshold: row.threshold,
    windowSeconds: row.window_seconds,
    metric: params.metric,
    source: params.source,
    webhook: row.webhook,
    retrain: row.retrain === 1,
  };
}

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    rule: row.name,
    model: row.model,
    kind: row.kind,
    status: row.status,
    value: row.value,
    message: row.message,
    startedAt: row.started_at,
    resolvedAt: row.resolved_at,
    webhook: { status: row.webhook_status, attempts: row.webhook_attempts },
  };
}
