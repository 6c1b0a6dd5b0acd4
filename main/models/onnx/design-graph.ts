import type { FeatureSpec } from '../preprocess.js';
import { gatherColumn, TensorType, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from '../../onnx/graph.js';

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
 * Appends the fitted preprocessing of the linear-style models (linear, MLP) and returns the name of the
 * resulting [N, D'] double tensor:
 *   numerics:     IsNaN/Where (median imputation) → Sub(mean) → Div(std)
 *   categoricals: ai.onnx.ml OneHotEncoder over the levels plus a missing marker → Reshape → Cast(double)
 * D' has one more column per categorical feature than the design (the marker); see `designRows`.
 */
export function appendDesign(
  nodes: OnnxNode[],
  initializers: OnnxInitializer[],
  inputs: OnnxValueInfo[],
  features: readonly FeatureSpec[],
): string {
  const numeric = features.filter((f) => f.kind === 'numeric');
  const categorical = features.filter((f) => f.kind === 'categorical');
  const blocks: string[] = [];
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
  return 'features';
}

/**
 * A weight matrix over the design (rows: design columns) in the graph's layout: the design's rows, with one extra
 * row after each categorical block for the missing marker, holding the mode's weights — which is exactly mode
 * imputation. `row(j)` gives design row j.
 */
export function designRows(features: readonly FeatureSpec[], row: (j: number) => number[], width: number): number[][] {
  const rows: number[][] = [];
  const numeric = features.filter((f) => f.kind === 'numeric');
  numeric.forEach((_, j) => rows.push(row(j)));
  let offset = numeric.length;
  for (const f of features) {
    if (f.kind !== 'categorical') continue;
    for (let level = 0; level < f.categories.length; level++) rows.push(row(offset + level));
    const modeIndex = f.categories.indexOf(f.mode);
    rows.push(modeIndex < 0 ? new Array<number>(width).fill(0) : row(offset + modeIndex));
    offset += f.categories.length;
  }
  return rows;
}
