import { randomUUID } from 'node:crypto';
import type { Prediction } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { nowIso, type Db } from '../store/database.js';
import type { InputFeature, RawInputs } from '../training/preprocess.js';

/** One logged prediction: the model's inputs as it read them (null for missing), what it answered, the late label. */
export interface LoggedPrediction {
  id: string;
  version: number;
  at: string;
  latencyUs: number;
  inputs: Record<string, number | string | null>;
  prediction: { label: string; probability: number } | { value: number };
  label: string | null;
}

/**
 * The prediction log. Serving must not wait on the disk, so rows are buffered and written in one transaction every
 * `flushMs` (or every 1,000 rows): a crash loses at most that much of a log that is sampled anyway, never a
 * prediction. Every served row gets an id, returned to the caller, so its label can be joined when it arrives.
 */
export class PredictionLog {
  private buffer: unknown[][] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly insert;

  constructor(
    private readonly db: Db,
    /** The share of rows logged (HEARTH_LOG_SAMPLE, 1 by default: an appliance's traffic fits). */
    readonly sampleRate = Number(process.env.HEARTH_LOG_SAMPLE ?? 1),
    private readonly flushMs = 250,
  ) {
    this.insert = db.prepare(
      `INSERT INTO prediction_log (id, model_id, version, at, latency_us, inputs_json, prediction_json)
       SELECT ?, id, ?, ?, ?, ?, ? FROM models WHERE name = ?`,
    );
  }

  /** Logs a sample of the rows of one request; returns an id for every row. */
  record(
    model: string,
    version: number,
    features: readonly InputFeature[],
    raw: RawInputs,
    predictions: Prediction[],
    latencyUs: number,
  ): string[] {
    const at = nowIso();
    const ids: string[] = [];
    for (let i = 0; i < raw.rows; i++) {
      const id = randomUUID();
      ids.push(id);
      if (this.sampleRate < 1 && Math.random() >= this.sampleRate) continue;
      const inputs: Record<string, number | string | null> = {};
      let n = 0;
      let c = 0;
      for (const f of features) {
        if (f.kind === 'numeric') {
          const v = raw.numeric[n++]![i]!;
          inputs[f.name] = Number.isNaN(v) ? null : v;
        } else {
          const v = raw.categorical[c++]![i]!;
          inputs[f.name] = v === '' ? null : v;
        }
      }
      const p = predictions[i]!;
      const prediction =
        'value' in p ? { value: p.value } : { label: p.label, probability: p.probabilities[p.label] ?? Number.NaN };
      this.buffer.push([id, version, at, Math.round(latencyUs), JSON.stringify(inputs), JSON.stringify(prediction), model]);
    }
    if (this.buffer.length >= 1000) this.flush();
    else if (this.buffer.length > 0 && this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
    return ids;
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    this.db.transaction(() => {
      for (const row of rows) this.insert.run(...row);
    })();
  }

  /** Joins late labels to logged predictions by id; returns how many matched and the ids that did not. */
  feedback(model: string, labels: { id: string; label: string | number }[]): { matched: number; unknown: string[] } {
    this.flush();
    const update = this.db.prepare(
      `UPDATE prediction_log SET label = ?, labelled_at = ?
        WHERE id = ? AND model_id = (SELECT id FROM models WHERE name = ?)`,
    );
    const unknown: string[] = [];
    const at = nowIso();
    this.db.transaction(() => {
      for (const { id, label } of labels) if (update.run(String(label), at, id, model).changes === 0) unknown.push(id);
    })();
    return { matched: labels.length - unknown.length, unknown };
  }

  /** Logged predictions of a model (one version, or all), oldest first, in [since, until). */
  rows(model: string, options: { version?: number; since?: string; until?: string; limit?: number } = {}): LoggedPrediction[] {
    this.flush();
    const found = this.db.prepare('SELECT id FROM models WHERE name = ?').get(model) as { id: number } | undefined;
    if (found === undefined) throw new HearthError('NOT_FOUND', `no model named "${model}"`);
    const rows = this.db
      .prepare(
        `SELECT id, version, at, latency_us, inputs_json, prediction_json, label FROM prediction_log
          WHERE model_id = ? AND (? IS NULL OR version = ?) AND at >= ? AND at < ?
          ORDER BY at, rowid LIMIT ?`,
      )
      .all(
        found.id,
        options.version ?? null,
        options.version ?? null,
        options.since ?? '',
        options.until ?? '9999',
        options.limit ?? 1_000_000,
      ) as {
      id: string;
      version: number;
      at: string;
      latency_us: number;
      inputs_json: string;
      prediction_json: string;
      label: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      version: r.version,
      at: r.at,
      latencyUs: r.latency_us,
      inputs: JSON.parse(r.inputs_json) as LoggedPrediction['inputs'],
      prediction: JSON.parse(r.prediction_json) as LoggedPrediction['prediction'],
      label: r.label,
    }));
  }
}
