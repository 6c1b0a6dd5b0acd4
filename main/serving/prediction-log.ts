import { uuidV7 } from '../crypto/uuid7.js';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../accel/worker-thread.js';
import type { Prediction } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { numberSetting } from '../settings/resolve.js';
import { nowIso, type Db } from '../store/database.js';
import type { InputFeature, RawInputs } from '../models/preprocess.js';
import { readLogWindow, type ColumnWant, type WindowColumn } from '../store/log-segments.js';
import { readSegment, rowAt, type DecodedSegment, type LogBatch, type LogColumn } from '../table/log-columns.js';

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
 * The prediction log. Serving must not wait on the disk: rows are buffered and handed every `flushMs` (or every 500
 * rows) to a writer thread with its own connection (workers/log-writer.ts), so neither inserts nor WAL checkpoints
 * run on the thread that answers requests. Every served row gets an id, returned to the caller, so its label can be
 * joined when it arrives. Reads flush first and wait for the writer, so they see every row served before them.
 */
export class PredictionLog {
  /**
   * Rows waiting for the writer, column by column per model version (LogBatch): a request's inputs are already
   * columns (RawInputs), appended here as they are; the flush hands the arrays over whole. A row costs a few pushes
   * on the serving thread, not an object and its JSON text (nor their parse on the writer's).
   */
  private batches = new Map<string, PendingBatch>();
  private buffered = 0;
  private errors: unknown[][] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Started with the first batch, so a CLI command that serves nothing starts no thread. */
  private writer: Worker | null = null;
  /** Set by the writer when it has closed its connection: what close() waits on. */
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private sent = 0;
  private committed = 0;
  private readonly waiters: { target: number; resolve: () => void }[] = [];

  constructor(
    private readonly file: string,
    private readonly db: Db,
    /** The store key, for the writer's own connection to an encrypted store. */
    private readonly key: Buffer | null = null,
    /** The share of rows logged (serving.logSample, HEARTH_LOG_SAMPLE; 1 by default: an appliance's traffic fits). */
    readonly sampleRate = numberSetting('serving.logSample') ?? 1,
    private readonly flushMs = 50,
  ) {}

  private startWriter(): Worker {
    const writer = startWorker(new URL('../../workers/log-writer.js', import.meta.url), {
      workerData: { file: this.file, done: this.done.buffer, key: this.key },
    });
    writer.on('message', (message: { committed: number }) => {
      this.committed = message.committed;
      this.wake();
    });
    writer.on('error', (error) => {
      // A writer that dies loses what it held; reads must not wait for it forever.
      process.stderr.write(`${JSON.stringify({ level: 'error', event: 'prediction-log', message: error.message })}\n`);
      this.committed = Number.POSITIVE_INFINITY;
      this.wake();
    });
    // The writer must not keep a finished CLI command alive; close() still waits for it.
    writer.unref();
    return writer;
  }

  /**
   * Counts a failed prediction request (for error-rate and validation alert rules), through the same writer: a
   * flood of bad requests must not cost a synchronous commit each on the thread that answers them.
   */
  recordError(model: string, code: string): void {
    this.errors.push([model, code, nowIso()]);
    this.schedule();
  }

  private schedule(): void {
    if (this.buffered + this.errors.length >= 500) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Logs a sample of the rows of one request; returns an id for every row. */
  record(
    model: string,
    version: number,
    features: readonly InputFeature[],
    raw: RawInputs,
    predictions: Prediction[],
    latencyUs: number,
    /** For a shadow's rows: the ids of the rows they shadow (logged whatever the sample said for those). */
    shadowOf?: string[],
  ): string[] {
    // One clock read for the row's time and its ids' (a served request reads the clock several times as it is).
    const now = Date.now();
    const at = nowIso(now);
    const latency = Math.round(latencyUs);
    // Checked before anything is appended: a batch that later requests share must never hold half a row.
    if (predictions.length !== raw.rows || raw.numeric.length + raw.categorical.length !== features.length)
      throw new HearthError(
        'INTERNAL',
        `the prediction log was handed ${predictions.length} predictions for ${raw.rows} rows of ${features.length} inputs`,
      );
    const ids: string[] = [];
    let batch: PendingBatch | null = null;
    let logged = 0;
    for (let i = 0; i < raw.rows; i++) {
      const id = uuidV7(now);
      ids.push(id);
      if (shadowOf === undefined && this.sampleRate < 1 && Math.random() >= this.sampleRate) continue;
      batch ??= this.batchFor(model, version, features);
      batch.append(id, at, latency, shadowOf?.[i] ?? null, raw, i, predictions[i]!);
      logged++;
    }
    if (logged > 0) {
      this.buffered += logged;
      this.schedule();
    }
    return ids;
  }

  /** The pending batch of a model version with these inputs (a version's inputs never change; checked, not assumed). */
  private batchFor(model: string, version: number, features: readonly InputFeature[]): PendingBatch {
    const key = `${model}\u0000${version}`;
    let batch = this.batches.get(key);
    if (batch !== undefined && !batch.readsFeatures(features)) {
      // Never for a stored version; if it ever happens the rows go to the writer as two batches, each whole.
      this.flush();
      batch = undefined;
    }
    if (batch === undefined) this.batches.set(key, (batch = new PendingBatch(model, version, features)));
    return batch;
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.target <= this.committed) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }

  /** Hands buffered rows and errors to the writer now. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.batches.size === 0 && this.errors.length === 0) return;
    this.writer ??= this.startWriter();
    const batches: LogBatch[] = [];
    for (const batch of this.batches.values()) batches.push(batch.toBatch());
    this.writer.postMessage({ batches, errors: this.errors });
    this.batches = new Map();
    this.buffered = 0;
    this.errors = [];
    this.sent++;
  }

  /** Flushes and waits until the writer has committed everything handed to it: what a read of the log needs. */
  async flushed(): Promise<void> {
    this.flush();
    if (this.writer === null || this.committed >= this.sent) return;
    // Held while waiting, so a CLI command that reads the log does not exit under it.
    this.writer.ref();
    try {
      await new Promise<void>((resolve) => this.waiters.push({ target: this.sent, resolve }));
    } finally {
      if (this.waiters.length === 0) this.writer.unref();
    }
  }

  /** Writes what is buffered and stops the writer, waiting (at most 10 s) for it to commit. */
  close(): void {
    this.flush();
    if (this.writer === null) return;
    this.writer.postMessage({ close: true });
    Atomics.wait(this.done, 0, 0, 10_000);
  }

  /** Joins late labels to logged predictions by id; returns how many matched and the ids that did not. */
  async feedback(
    model: string,
    labels: { id: string; label: string | number }[],
  ): Promise<{ matched: number; unknown: string[] }> {
    await this.flushed();
    const update = this.db.prepare(
      `UPDATE prediction_log SET label = @label, labelled_at = @at
        WHERE (id = @id OR shadow_of = @id) AND model_id = (SELECT id FROM models WHERE name = @model)`,
    );
    const unknown: string[] = [];
    const at = nowIso();
    this.db.transaction(() => {
      for (const { id, label } of labels) if (update.run({ label: String(label), at, id, model }).changes === 0) unknown.push(id);
    })();
    return { matched: labels.length - unknown.length, unknown };
  }

  /** Logged predictions of a model (one version, or all), oldest first, in [since, until). */
  async rows(
    model: string,
    options: { version?: number; since?: string; until?: string; limit?: number } = {},
  ): Promise<LoggedPrediction[]> {
    await this.flushed();
    const found = this.db.prepare('SELECT id FROM models WHERE name = ?').get(model) as { id: number } | undefined;
    if (found === undefined) throw new HearthError('NOT_FOUND', `no model named "${model}"`);
    const rows = this.db
      .prepare(
        `SELECT id, version, at, latency_us, inputs_json, prediction_json, label, segment_id, pos FROM prediction_log
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
      inputs_json: string | null;
      prediction_json: string | null;
      label: string | null;
      segment_id: number | null;
      pos: number | null;
    }[];
    // Each segment is decoded once, however many of its rows are asked for.
    const segments = new Map<number, DecodedSegment>();
    return rows.map((r) => {
      let values: { inputs: unknown; prediction: unknown };
      if (r.segment_id === null) values = { inputs: JSON.parse(r.inputs_json!), prediction: JSON.parse(r.prediction_json!) };
      else {
        let segment = segments.get(r.segment_id);
        if (segment === undefined) segments.set(r.segment_id, (segment = readSegment(this.db, r.segment_id)));
        values = rowAt(segment, r.pos!);
      }
      return {
        id: r.id,
        version: r.version,
        at: r.at,
        latencyUs: r.latency_us,
        inputs: values.inputs as LoggedPrediction['inputs'],
        prediction: values.prediction as LoggedPrediction['prediction'],
        label: r.label,
      };
    });
  }

  /**
   * Columns of what a model version was given and answered in a window, for drift: numbers or counts per value,
   * read from the log's columnar segments (main/store/log-segments.ts), never row by row.
   */
  async window(
    model: string,
    version: number,
    window: { since?: string | undefined; until?: string | undefined },
    wants: readonly ColumnWant[],
  ): Promise<{ rows: number; columns: WindowColumn[] }> {
    await this.flushed();
    const found = this.db.prepare('SELECT id FROM models WHERE name = ?').get(model) as { id: number } | undefined;
    if (found === undefined) throw new HearthError('NOT_FOUND', `no model named "${model}"`);
    const read = readLogWindow(this.db, found.id, version, { since: window.since ?? '', until: window.until ?? '9999' }, wants);
    if (read.rows === 0)
      throw new HearthError('VALIDATION_FAILED', `${model} v${version} has served no logged rows in this window`);
    return read;
  }
}

/** The rows a version served in [since, until); a window with none is a VALIDATION_FAILED, since nothing can be judged. */
export async function servedRows(
  log: PredictionLog,
  model: string,
  version: number,
  window: { since?: string | undefined; until?: string | undefined },
): Promise<LoggedPrediction[]> {
  const logged = await log.rows(model, {
    version,
    ...(window.since === undefined ? {} : { since: window.since }),
    ...(window.until === undefined ? {} : { until: window.until }),
  });
  if (logged.length === 0)
    throw new HearthError('VALIDATION_FAILED', `${model} v${version} has served no logged rows in this window`);
  return logged;
}

/** One model version's rows waiting for the writer, as columns. */
class PendingBatch {
  readonly ids: string[] = [];
  readonly at: string[] = [];
  readonly latencyUs: number[] = [];
  readonly shadowOf: (string | null)[] = [];
  readonly inputs: LogColumn[] = [];
  /**
   * Each feature's column, with its index into RawInputs' numeric or categorical arrays. Two features of one name
   * (none a stored model has) share the column, the later one's value kept, as the row object it replaces kept it.
   */
  private readonly reads: { column: LogColumn; numeric: boolean; at: number; last: boolean }[] = [];
  private readonly label: unknown[] = [];
  private readonly probability: unknown[] = [];
  private readonly value: unknown[] = [];
  /** Whether any row was a class (label, probability) or a value: only the columns some row has are logged. */
  private classes = false;
  private values = false;

  constructor(
    readonly model: string,
    readonly version: number,
    private readonly features: readonly InputFeature[],
  ) {
    const byName = new Map<string, LogColumn>();
    const lastOf = new Map<string, number>();
    features.forEach((f, i) => lastOf.set(f.name, i));
    let n = 0;
    let c = 0;
    features.forEach((f, i) => {
      let column = byName.get(f.name);
      if (column === undefined) {
        byName.set(f.name, (column = { name: f.name, values: [] }));
        this.inputs.push(column);
      }
      const numeric = f.kind === 'numeric';
      this.reads.push({ column, numeric, at: numeric ? n++ : c++, last: lastOf.get(f.name) === i });
    });
  }

  /** Whether these are the features the batch was made for (a version's never change: checked, not assumed). */
  readsFeatures(features: readonly InputFeature[]): boolean {
    return (
      features === this.features ||
      (features.length === this.features.length &&
        features.every((f, i) => f.name === this.features[i]!.name && f.kind === this.features[i]!.kind))
    );
  }

  /** One row: a missing value is NaN or "" as the model reads it, and null here (-0 as JSON wrote it, 0). */
  append(id: string, at: string, latencyUs: number, shadowOf: string | null, raw: RawInputs, row: number, p: Prediction): void {
    this.ids.push(id);
    this.at.push(at);
    this.latencyUs.push(latencyUs);
    this.shadowOf.push(shadowOf);
    for (const read of this.reads) {
      if (!read.last) continue;
      if (read.numeric) {
        const v = raw.numeric[read.at]![row]!;
        read.column.values.push(Number.isNaN(v) ? null : v + 0);
      } else {
        const v = raw.categorical[read.at]![row]!;
        read.column.values.push(v === '' ? null : v);
      }
    }
    if ('value' in p) {
      this.values = true;
      this.label.push(null);
      this.probability.push(null);
      this.value.push(p.value);
    } else {
      this.classes = true;
      this.label.push(p.label);
      this.probability.push(p.probabilities[p.label] ?? Number.NaN);
      this.value.push(null);
    }
  }

  toBatch(): LogBatch {
    const prediction: LogColumn[] = [];
    if (this.classes) prediction.push({ name: 'label', values: this.label }, { name: 'probability', values: this.probability });
    if (this.values) prediction.push({ name: 'value', values: this.value });
    return {
      model: this.model,
      version: this.version,
      ids: this.ids,
      at: this.at,
      latencyUs: this.latencyUs,
      shadowOf: this.shadowOf,
      inputs: this.inputs,
      prediction,
    };
  }
}
