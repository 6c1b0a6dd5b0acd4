import type { OrtProviderName, Prediction } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { PredictionMatrix } from '../training/linear-model.js';
import { categoricalInput, numericInput } from '../registry/onnx/design-graph.js';
import { parseStoredModel, type StoredModel } from '../training/model.js';
import type { RawInputs } from '../training/preprocess.js';
import { createSession, type Feeds, type GraphRunner, type TensorData } from '../accel/onnx-runtime.js';
import type { ImportedModel } from '../training/imported-model.js';
import { defaultServingThreads, SessionPool } from './session-pool.js';

export type { Prediction } from '../contracts/api.js';

export class Predictor {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly stored: StoredModel,
    private readonly loaded: GraphRunner,
  ) {}

  /** The binary decision threshold the model was tuned to, when it was. */
  get threshold(): number | undefined {
    return this.stored.decisionThreshold;
  }

  release(): Promise<void> {
    return this.loaded.release();
  }

  get executionProvider(): string {
    return this.loaded.executionProvider;
  }

  /** Runs the ONNX graph on raw inputs and returns the probability matrix or values. */
  async run(raw: RawInputs): Promise<PredictionMatrix> {
    if (this.stored.format === 'onnx.imported/1') return runImported(this.stored, this.loaded, raw);
    // Two tensors, row-major: numeric features [N, p] and categorical ones [N, m], each in feature order.
    const p = raw.numeric.length;
    const m = raw.categorical.length;
    const feeds: Feeds = {};
    if (p > 0) {
      const numeric = new Float64Array(raw.rows * p);
      for (let j = 0; j < p; j++) {
        const column = raw.numeric[j]!;
        for (let i = 0; i < raw.rows; i++) numeric[i * p + j] = column[i]!;
      }
      feeds[numericInput] = { type: 'float64', data: numeric, dims: [raw.rows, p] };
    }
    if (m > 0) {
      const categorical = new Array<string>(raw.rows * m);
      for (let j = 0; j < m; j++) {
        const column = raw.categorical[j]!;
        for (let i = 0; i < raw.rows; i++) categorical[i * m + j] = column[i]!;
      }
      feeds[categoricalInput] = { type: 'string', data: categorical, dims: [raw.rows, m] };
    }
    // Fetch only the numbers: the graph's string `label` output costs a conversion, and the label is derived from
    // the probabilities anyway.
    const out = await this.loaded.run(feeds, [this.stored.task === 'regression' ? 'variable' : 'probabilities']);
    if (this.stored.task === 'regression') {
      return { kind: 'regression', values: out.variable!.data as Float64Array };
    }
    return {
      kind: 'classification',
      classes: this.stored.classes ?? [],
      probabilities: out.probabilities!.data as Float64Array,
    };
  }
}

/** Feeds an imported graph its own inputs (each [N] or [N, k], of its own type) and reads its outputs. */
async function runImported(model: ImportedModel, runner: GraphRunner, raw: RawInputs): Promise<PredictionMatrix> {
  const feeds: Feeds = {};
  let n = 0;
  let c = 0;
  for (const input of model.graphInputs) {
    const k = input.features.length;
    const dims = input.rank === 1 ? [raw.rows] : [raw.rows, k];
    if (input.type === 'string') {
      const data = new Array<string>(raw.rows * k);
      for (let j = 0; j < k; j++) {
        const column = raw.categorical[c++]!;
        for (let i = 0; i < raw.rows; i++) data[i * k + j] = column[i]!;
      }
      feeds[input.name] = { type: 'string', data, dims };
      continue;
    }
    const columns = raw.numeric.slice(n, n + k);
    n += k;
    const at = (i: number, j: number): number => {
      const v = columns[j]![i]!;
      if (Number.isNaN(v) && input.type !== 'float32' && input.type !== 'float64')
        throw new HearthError(
          'VALIDATION_FAILED',
          `row ${i}: "${input.features[j]}" is required (the graph takes ${input.type})`,
          {
            row: i,
            column: input.features[j],
          },
        );
      return v;
    };
    let data: TensorData['data'];
    if (input.type === 'int64')
      data = BigInt64Array.from({ length: raw.rows * k }, (_, x) => BigInt(Math.trunc(at(Math.floor(x / k), x % k))));
    else {
      const typed =
        input.type === 'float64'
          ? new Float64Array(raw.rows * k)
          : input.type === 'float32'
            ? new Float32Array(raw.rows * k)
            : input.type === 'int32'
              ? new Int32Array(raw.rows * k)
              : new Uint8Array(raw.rows * k);
      for (let i = 0; i < raw.rows; i++) for (let j = 0; j < k; j++) typed[i * k + j] = at(i, j);
      data = typed;
    }
    feeds[input.name] = { type: input.type, data, dims };
  }
  const { probabilities, label, value } = model.outputs;
  if (model.task === 'regression') {
    const out = await runner.run(feeds, [value!]);
    return { kind: 'regression', values: Float64Array.from(out[value!]!.data as Float32Array) };
  }
  const classes = model.classes ?? [];
  const k = classes.length;
  if (probabilities !== null) {
    const out = await runner.run(feeds, [probabilities]);
    const data = out[probabilities]!.data as Float32Array | Float64Array;
    if (data.length !== raw.rows * k)
      throw new HearthError(
        'INTERNAL',
        `${probabilities} has ${data.length / raw.rows} columns per row, not one per class (${k})`,
      );
    return { kind: 'classification', classes, probabilities: Float64Array.from(data) };
  }
  // A graph that answers labels only: the label gets probability 1.
  const out = await runner.run(feeds, [label!]);
  const labels = out[label!]!.data;
  const matrix = new Float64Array(raw.rows * k);
  const index = new Map(classes.map((name, i) => [name, i]));
  for (let i = 0; i < raw.rows; i++) {
    const name = String(Array.isArray(labels) ? labels[i] : (labels as BigInt64Array)[i]);
    const at = index.get(name);
    if (at === undefined) throw new HearthError('INTERNAL', `the graph answered "${name}", which is not one of its classes`);
    matrix[i * k + at] = 1;
  }
  return { kind: 'classification', classes, probabilities: matrix };
}

/**
 * Turns a prediction matrix into API predictions. The label is the argmax of the probabilities, never ONNX
 * Runtime's own label output, which for two-class linear models does not always agree with them.
 */
export function toPredictions(matrix: PredictionMatrix, threshold?: number): Prediction[] {
  if (matrix.kind === 'regression') return Array.from(matrix.values, (value) => ({ value }));
  const k = matrix.classes.length;
  if (k === 0) throw new HearthError('INTERNAL', 'a classifier without classes cannot predict');
  const n = matrix.probabilities.length / k;
  const out: Prediction[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < k; c++) {
      const p = matrix.probabilities[i * k + c]!;
      probabilities[matrix.classes[c]!] = p;
      if (p > matrix.probabilities[i * k + best]!) best = c;
    }
    // A binary model tuned for F1 or for costs labels positive above its own threshold instead of at 0.5.
    if (threshold !== undefined && k === 2) best = matrix.probabilities[i * 2 + 1]! > threshold ? 1 : 0;
    out.push({ label: matrix.classes[best]!, probabilities });
  }
  return out;
}

/**
 * Loaded ONNX sessions by model version; a version's session is created once and shared. The least recently
 * used ones are released beyond `capacity`, so a box that has served many versions does not keep them all loaded.
 */
export class PredictorCache {
  private readonly cache = new Map<string, Promise<Predictor>>();
  private readonly capacity = 16;
  /** Null where HEARTH_SERVE_THREADS=0: sessions then run on the calling thread. Started on first use. */
  private pool: SessionPool | null | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    /** The ONNX Runtime provider a model is loaded on (the backend registry's choice). */
    private readonly provider: () => Promise<OrtProviderName> = () => Promise.resolve('cpu'),
  ) {}

  private async session(key: string, bytes: Uint8Array): Promise<GraphRunner> {
    if (this.pool === undefined) {
      const threads = defaultServingThreads();
      this.pool = threads === 0 ? null : new SessionPool(threads);
    }
    const provider = await this.provider();
    return this.pool === null ? createSession(bytes, provider) : this.pool.load(key, bytes, provider);
  }

  /** Stops the serving threads; requests still waiting fail as UNAVAILABLE. */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
    this.cache.clear();
  }

  /**
   * Forgets every loaded version, so the next request loads it again (on the provider chosen now: a new pin takes
   * effect at once). Requests holding a predictor finish on it; it is released after the same grace period as an
   * evicted one.
   */
  reloadAll(): void {
    for (const p of this.cache.values()) releaseLater(p);
    this.cache.clear();
  }

  get(model: string, version: number): Promise<Predictor> {
    const key = `${model}@${version}`;
    let p = this.cache.get(key);
    if (p !== undefined) {
      // Map order is insertion order: re-inserting marks the entry as most recently used.
      this.cache.delete(key);
      this.cache.set(key, p);
    }
    if (p === undefined) {
      p = (async () => {
        const stored = parseStoredModel(this.registry.modelJson(model, version));
        const loaded = await this.session(key, this.registry.onnxBytes(model, version));
        return new Predictor(model, version, stored, loaded);
      })();
      p.catch(() => this.cache.delete(key));
      this.cache.set(key, p);
      if (this.cache.size > this.capacity) {
        const [oldestKey, oldest] = this.cache.entries().next().value!;
        this.cache.delete(oldestKey);
        releaseLater(oldest);
      }
    }
    return p;
  }
}

/** Requests already holding a predictor finish first: it is released only after a grace period. */
function releaseLater(predictor: Promise<Predictor>): void {
  predictor.then(
    (p) => setTimeout(() => void p.release(), 30_000).unref(),
    () => undefined,
  );
}
