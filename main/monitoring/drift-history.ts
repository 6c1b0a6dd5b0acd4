import type { DriftHistoryEntry } from '../contracts/api.js';
import { numberSetting } from '../settings/resolve.js';
import { HearthError } from '../contracts/errors.js';
import type { Db } from '../store/database.js';
import { nowIso } from '../store/database.js';
import { driftReport, type DriftDeps } from './monitor.js';

/** What drift history reads and writes: a drift report's inputs and the drift_history table. */
export interface DriftHistoryDeps extends DriftDeps {
  readonly db: Db;
}

/**
 * Records the drift of every model's production version over the last closed window (an hour by default,
 * monitoring.driftWindowSeconds, HEARTH_DRIFT_WINDOW_SECONDS), once per window: the alert schedule calls it every minute and it does nothing
 * until a window closes. Windows without served rows, and versions whose training data is not here, are skipped.
 */
export async function recordDriftWindows(
  deps: DriftHistoryDeps,
  now = new Date(),
  windowSeconds = numberSetting('monitoring.driftWindowSeconds') ?? 3600,
): Promise<number> {
  const size = windowSeconds * 1000;
  const end = Math.floor(now.getTime() / size) * size;
  const windowStart = new Date(end - size).toISOString();
  const windowEnd = new Date(end).toISOString();
  let recorded = 0;
  for (const model of deps.registry.list()) {
    const version = deps.registry.resolve(model.name);
    const done = deps.db
      .prepare('SELECT 1 FROM drift_history WHERE model = ? AND version = ? AND window_start = ?')
      .get(model.name, version, windowStart);
    if (done !== undefined) continue;
    let report;
    try {
      report = await driftReport(deps, model.name, { version, since: windowStart, until: windowEnd });
    } catch (error) {
      if (error instanceof HearthError && error.code === 'VALIDATION_FAILED') continue;
      throw error;
    }
    deps.db
      .prepare(
        `INSERT INTO drift_history (model, version, window_start, window_end, rows, share, dataset_drifted, prediction_drifted,
           columns_json, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        model.name,
        version,
        windowStart,
        windowEnd,
        report.window.rows,
        report.features.share,
        report.features.datasetDrifted ? 1 : 0,
        report.prediction.drifted ? 1 : 0,
        JSON.stringify(
          Object.fromEntries(
            [...report.features.columns, report.prediction].map((c) => [
              c.column,
              { statistic: c.statistic, drifted: c.drifted },
            ]),
          ),
        ),
        nowIso(),
      );
    recorded++;
  }
  return recorded;
}

export function driftHistory(deps: DriftHistoryDeps, model: string, limit = 1000): DriftHistoryEntry[] {
  deps.registry.resolve(model);
  const rows = deps.db
    .prepare(
      `SELECT * FROM (SELECT * FROM drift_history WHERE model = ? ORDER BY window_start DESC LIMIT ?) ORDER BY window_start`,
    )
    .all(model, limit) as {
    version: number;
    window_start: string;
    window_end: string;
    rows: number;
    share: number;
    dataset_drifted: number;
    prediction_drifted: number;
    columns_json: string;
  }[];
  return rows.map((r) => ({
    version: r.version,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    rows: r.rows,
    share: r.share,
    datasetDrifted: r.dataset_drifted === 1,
    predictionDrifted: r.prediction_drifted === 1,
    columns: JSON.parse(r.columns_json) as DriftHistoryEntry['columns'],
  }));
}
