import type { LinearModel } from '../../training/linear-model.js';
import {
  appendLabel,
  encodeOnnxModel,
  gatherColumn,
  hearthMetadata,
  TensorType,
  type OnnxInitializer,
  type OnnxNode,
  type OnnxValueInfo,
} from './graph.js';

/**
 * Graph inputs: every numeric feature as one column of `numeric` [N, p] (double, NaN for missing) and every
 * categorical one as a column of `categorical` [N, m] (string, "" for missing), each in the model's feature
 * order. Two tensors, not one per column: ONNX Runtime's cost per input tensor (about 1.3 µs each, measured)
 * would otherwise dominate single-row latency.
 */
export const numericInput = 'numeric';
export const categoricalInput = 'categorical';

/** Marker fed for a missing categorical value; never a real level, since empty cells are read as missing. */
export const missingCategory = '';

/**
 * Exports the model and its fitted preprocessing as one ONNX graph, in double precision so ONNX Runtime
 * reproduces the TypeScript predictor to ~1e-15:
 *   numerics:     Concat → IsNaN/Where (median imputation) → Sub(mean) → Div(std)
 *   categoricals: ai.onnx.ml OneHotEncoder over the levels plus a missing marker → Reshape → Cast(double);
 *                 the marker's weights are the mode's, which is exactly mode imputation
 *   model:        Concat → MatMul → Add → Softmax (classifiers; binary as the pair [−m/2, m/2]) | identity
 *   label:        ArgMax → ai.onnx.ml LabelEncoder (class index → class label)
 */
export function exportLinearToOnnx(model: LinearModel, producerVersion: string): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const features = model.preprocessor.features;
  const numeric = features.filter((f) => f.kind === 'numeric');
  const categorical = features.filter((f) => f.kind === 'categorical');
  const blocks: string[] = [];
  const d = model.dimension;
  const double = (name: string, dims: number[], values: readonly number[]): string => {
    initializers.push({ name, type: TensorType.DOUBLE, dims, values });
    return name;
  };
  const int64 = (name: string, dims: number[], values: readonly number[]): string => {
    initializers.push({ name, type: TensorType.INT64, dims, values });
    return name;
  };

  if (numeric.length > 0) inputs.push({ name: numericInput, type: TensorType.DOUBLE, shape: ['N', numeric.length] });
  if (categorical.length > 0) inputs.push({ name: categoricalInput, type: TensorType.STRING, shape: ['N', categorical.length] });
  if (numeric.length > 0) {
    nodes.push({ op: 'Identity', inputs: [numericInput], outputs: ['numeric_raw'] });
    nodes.push({ op: 'IsNaN', inputs: ['numeric_raw'], outputs: ['numeric_missing'] });
    double(
      'medians',
      [numeric.length],
      numeric.map((f) => f.median),
    );
    double(
      'means',
      [numeric.length],
      numeric.map((f) => f.mean),
    );
    double(
      'stds',
      [numeric.length],
      numeric.map((f) => f.std),
    );
    nodes.push({ op: 'Where', inputs: ['numeric_missing', 'medians', 'numeric_raw'], outputs: ['numeric_imputed'] });
    nodes.push({ op: 'Sub', inputs: ['numeric_imputed', 'means'], outputs: ['numeric_centered'] });
    nodes.push({ op: 'Div', inputs: ['numeric_centered', 'stds'], outputs: ['numeric_scaled'] });
    blocks.push('numeric_scaled');
  }
  categorical.forEach((f, k) => {
    const width = f.categories.length + 1;
    nodes.push({
      op: 'OneHotEncoder',
      domain: 'ai.onnx.ml',
      inputs: [gatherColumn(nodes, initializers, categoricalInput, k)],
      outputs: [`onehot_${k}`],
      attributes: {
        cats_strings: { kind: 'strings', value: [...f.categories, missingCategory] },
        zeros: { kind: 'int', value: 1 },
      },
    });
    nodes.push({
      op: 'Reshape',
      inputs: [`onehot_${k}`, int64(`onehot_shape_${k}`, [2], [-1, width])],
      outputs: [`onehot_flat_${k}`],
    });
    nodes.push({
      op: 'Cast',
      inputs: [`onehot_flat_${k}`],
      outputs: [`onehot_double_${k}`],
      attributes: { to: { kind: 'int', value: TensorType.DOUBLE } },
    });
    blocks.push(`onehot_double_${k}`);
  });
  nodes.push({ op: 'Concat', inputs: blocks, outputs: ['features'], attributes: { axis: { kind: 'int', value: 1 } } });

  // Weight matrix in graph layout: rows follow the concatenated features (each categorical block gets one
  // extra row, the missing marker, holding the mode's weights); columns are the graph's outputs.
  const graphOutputs = model.task === 'binary' ? 2 : model.outputs;
  const rows: number[][] = [];
  const weight = (c: number, j: number): number => model.weights[c * d + j]!;
  const column = (j: number): number[] => {
    if (model.task === 'binary') return [-weight(0, j) / 2, weight(0, j) / 2];
    return Array.from({ length: model.outputs }, (_, c) => weight(c, j));
  };
  numeric.forEach((_, j) => rows.push(column(j)));
  let offset = numeric.length;
  for (const f of categorical) {
    for (let level = 0; level < f.categories.length; level++) rows.push(column(offset + level));
    const modeIndex = f.categories.indexOf(f.mode);
    rows.push(modeIndex < 0 ? new Array<number>(graphOutputs).fill(0) : column(offset + modeIndex));
    offset += f.categories.length;
  }
  double('weights', [rows.length, graphOutputs], rows.flat());
  const intercepts = model.task === 'binary' ? [-model.intercepts[0]! / 2, model.intercepts[0]! / 2] : model.intercepts;
  double('intercepts', [graphOutputs], intercepts);
  nodes.push({ op: 'MatMul', inputs: ['features', 'weights'], outputs: ['product'] });

  const outputs: OnnxValueInfo[] = [];
  if (model.task === 'regression') {
    nodes.push({ op: 'Add', inputs: ['product', 'intercepts'], outputs: ['variable'] });
    outputs.push({ name: 'variable', type: TensorType.DOUBLE, shape: ['N', 1] });
  } else {
    const classes = model.classes ?? [];
    nodes.push({ op: 'Add', inputs: ['product', 'intercepts'], outputs: ['margins'] });
    nodes.push({
      op: 'Softmax',
      inputs: ['margins'],
      outputs: ['probabilities'],
      attributes: { axis: { kind: 'int', value: 1 } },
    });
    appendLabel(nodes, outputs, classes);
  }
  return encodeOnnxModel({
    graphName: `hearth_linear_${model.task}`,
    inputs,
    outputs,
    nodes,
    initializers,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    metadata: hearthMetadata(model, { numeric: numeric.map((f) => f.name), categorical: categorical.map((f) => f.name) }),
    producerVersion,
    docString: `Hearth ${model.task} linear model for "${model.target}", with its preprocessing.`,
  });
}
