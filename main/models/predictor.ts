import type { Prediction } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { PredictionMatrix } from './linear-model.js';
import { categoricalInput, numericInput } from './onnx/design-graph.js';
import { predictModel, type StoredModel } from './model.js';
import type { RawInputs } from './preprocess.js';
import type { Feeds, GraphRunner, TensorData } from '../accel/onnx-runtime.js';
import type { ImportedModel } from './imported-model.js';

export type { Prediction } from '../contracts/api.js';

/** How the TypeScript predictor reports where it ran (see PredictResult.executionProvider). */
export const inlineProvider = 'typescript (in process)';

export class Predictor {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly stored: StoredModel,
    private readonly loaded: GraphRunner,
    /**
     * Requests of at most this many rows to a Hearth-trained model are scored by its TypeScript predictor on the
     * calling thread instead of its graph (0: never). A single row's graph run costs more in the hand-off to ONNX
     * Runtime than in the model: on birdstrikes' linear model, 48 µs of a request's ~190 µs of CPU. The predictor is
     * the one the graph was checked against when the version was registered (to 1e-6, float32 graphs to 1e-5
     * relative: export-check.ts). Imported graphs have no TypeScript predictor and always run in ONNX Runtime.
     */
    private readonly inlineRows = 0,
  ) {}

  /** Whether a request of `rows` rows is scored in TypeScript on the calling thread. */
  private inline(rows: number): boolean {
    return rows <= this.inlineRows && this.stored.format !== 'onnx.imported/1';
  }

  /** Where a request of `rows` rows runs: the graph's execution provider, or the TypeScript predictor. */
  providerFor(rows: number): string {
    return this.inline(rows) ? inlineProvider : this.loaded.executionProvider;
  }

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
    if (this.inline(raw.rows)) return predictModel(this.stored, raw);
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
