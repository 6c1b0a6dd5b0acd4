import type { Prediction } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { PredictionMatrix } from './linear-model.js';
import { categoricalInput, numericInput } from './onnx/design-graph.js';
import { modelInputs, predictModel, rowCost, type StoredModel } from './model.js';
import { maxAbsDifference, parityTolerance } from './parity.js';
import type { RawInputs } from './preprocess.js';
import type { Feeds, GraphRunner, TensorData } from '../accel/onnx-runtime.js';
import type { ImportedModel } from './imported-model.js';

export type { Prediction } from '../contracts/api.js';

/** How the TypeScript predictor reports where it ran (see PredictResult.executionProvider). */
export const inlineProvider = 'typescript (in process)';

/** Inputs past this magnitude are scored by the graph (see Predictor's inline). */
const inlineMagnitude = 1e30;

/**
 * The most multiply-adds (or tree nodes visited) one request scored in TypeScript may take: at a nanosecond or two
 * each, a twentieth of a millisecond on the HTTP thread. A bigger model scores fewer rows that way, or none: a
 * network of 256 × 128 units or a forest of thousands of deep trees always runs on the serving threads, so one
 * client's small requests cannot hold up every other request.
 */
const inlineBudget = 50_000;

/** Probe rows for the load-time check: zeros, ones, a large and a negative value, and missing and unseen cells. */
const probeNumbers = [0, 1, 1e6, -3.5, Number.NaN];
const probeTexts = ['', 'a level never seen', '', 'a level never seen', ''];

/**
 * How many rows of a request a loaded version scores in TypeScript: at most `asked`, and at most what its per-row
 * cost fits in the budget; none for imported graphs, for a model whose stored shape is malformed, or for one whose
 * TypeScript answers differ from its graph's on the probe rows beyond the parity check's tolerance. A version is
 * checked against its graph when it is registered here, but a pulled version (sync) was checked by the build that
 * trained it: a model.json this build reads differently (a newer format's field it ignores) would otherwise answer
 * small requests wrongly while the graph answers right.
 */
export async function inlineRowsFor(stored: StoredModel, loaded: GraphRunner, asked: number): Promise<number> {
  if (asked <= 0 || stored.format === 'onnx.imported/1') return 0;
  try {
    const rows = Math.min(asked, Math.floor(inlineBudget / Math.max(1, rowCost(stored))));
    if (rows === 0) return 0;
    const inputs = modelInputs(stored);
    const probe: RawInputs = {
      rows: probeNumbers.length,
      numeric: inputs.filter((f) => f.kind === 'numeric').map(() => Float64Array.from(probeNumbers)),
      categorical: inputs.filter((f) => f.kind === 'categorical').map(() => [...probeTexts]),
    };
    const graph = await new Predictor('', 0, stored, loaded).run(probe);
    return maxAbsDifference(graph, predictModel(stored, probe)) <= parityTolerance(stored, graph) ? rows : 0;
  } catch {
    // A model the TypeScript predictor refuses (a malformed tree), or a graph that fails on the probe: the graph
    // serves, and says what is wrong at the first request.
    return 0;
  }
}

export class Predictor {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly stored: StoredModel,
    private readonly loaded: GraphRunner,
    /**
     * Requests of at most this many rows to a Hearth-trained model are scored by its TypeScript predictor on the
     * calling thread instead of its graph (0: never; see inlineRowsFor, which decides it when a version loads). A
     * single row's hand-off to a serving thread and back costs more than the model: a sequential single-row request
     * took 474 µs through the pool and 124 µs this way (birdstrikes' linear model). Imported graphs have no
     * TypeScript predictor and always run in ONNX Runtime.
     */
    private readonly inlineRows = 0,
  ) {}

  /**
   * Whether these inputs are scored in TypeScript on the calling thread: few enough rows, no number so large that
   * the graph's arithmetic (float32 in networks and compressed variants, 0 × ∞ in a product) could overflow where
   * float64 does not, and no text with a NUL character (ONNX Runtime's strings end there, so the graph reads less of
   * the cell than TypeScript does): both paths give the same answer for every row.
   */
  private inline(raw: RawInputs): boolean {
    if (raw.rows > this.inlineRows || this.stored.format === 'onnx.imported/1') return false;
    for (const column of raw.numeric) for (const v of column) if (Math.abs(v) > inlineMagnitude) return false;
    for (const column of raw.categorical) for (const text of column) if (text.includes('\u0000')) return false;
    return true;
  }

  /** Where these inputs are scored: the graph's execution provider, or the TypeScript predictor. */
  providerFor(raw: RawInputs): string {
    return this.inline(raw) ? inlineProvider : this.loaded.executionProvider;
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

  /**
   * Scores raw inputs: the probability matrix or values. In TypeScript on this thread when they qualify (see inline)
   * and `inline` allows it, else through the ONNX graph.
   */
  async run(raw: RawInputs, inline = true): Promise<PredictionMatrix> {
    if (this.stored.format === 'onnx.imported/1') return runImported(this.stored, this.loaded, raw);
    if (inline && this.inline(raw)) return predictModel(this.stored, raw);
    return this.runGraph(raw);
  }

  /** The TypeScript predictor's answer when these inputs qualify for it (see inline), in this turn; else null. */
  runInline(raw: RawInputs): PredictionMatrix | null {
    return this.stored.format !== 'onnx.imported/1' && this.inline(raw) ? predictModel(this.stored, raw) : null;
  }

  private async runGraph(raw: RawInputs): Promise<PredictionMatrix> {
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
