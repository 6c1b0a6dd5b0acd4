import type { LinearModel } from '../linear-model.js';
import { appendDesign, designRows } from './design-graph.js';
import {
  appendLabel,
  hearthMetadata,
  TensorType,
  type OnnxInitializer,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
} from '../../onnx/graph.js';

/**
 * Exports the model and its fitted preprocessing as one ONNX graph, in double precision so ONNX Runtime
 * reproduces the TypeScript predictor to ~1e-15:
 *   preprocessing: `appendDesign` (imputation, standardising, one-hot with a missing marker)
 *   model:        MatMul → Add → Softmax (classifiers; binary as the pair [−m/2, m/2]) | identity
 *   label:        ArgMax → ai.onnx.ml LabelEncoder (class index → class label)
 */
export function linearGraph(model: LinearModel, producerVersion: string): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const features = model.preprocessor.features;
  const d = model.dimension;
  const double = (name: string, dims: number[], values: readonly number[]): string => {
    initializers.push({ name, type: TensorType.DOUBLE, dims, values });
    return name;
  };

  const featuresName = appendDesign(nodes, initializers, inputs, features);

  // Columns are the graph's outputs (binary as the pair [−m/2, m/2], whose softmax is the sigmoid of m).
  const graphOutputs = model.task === 'binary' ? 2 : model.outputs;
  const weight = (c: number, j: number): number => model.weights[c * d + j]!;
  const rows = designRows(
    features,
    (j) =>
      model.task === 'binary'
        ? [-weight(0, j) / 2, weight(0, j) / 2]
        : Array.from({ length: model.outputs }, (_, c) => weight(c, j)),
    graphOutputs,
  );
  const intercepts = model.task === 'binary' ? [-model.intercepts[0]! / 2, model.intercepts[0]! / 2] : model.intercepts;
  double('intercepts', [graphOutputs], intercepts);
  if (model.precision === 'float32') {
    // A float32 variant: half the weights' bytes, the product in single precision, back to double for the rest.
    initializers.push({ name: 'weights', type: TensorType.FLOAT, dims: [rows.length, graphOutputs], values: rows.flat() });
    nodes.push({
      op: 'Cast',
      inputs: [featuresName],
      outputs: ['features_float'],
      attributes: { to: { kind: 'int', value: TensorType.FLOAT } },
    });
    nodes.push({ op: 'MatMul', inputs: ['features_float', 'weights'], outputs: ['product_float'] });
    nodes.push({
      op: 'Cast',
      inputs: ['product_float'],
      outputs: ['product'],
      attributes: { to: { kind: 'int', value: TensorType.DOUBLE } },
    });
  } else {
    double('weights', [rows.length, graphOutputs], rows.flat());
    nodes.push({ op: 'MatMul', inputs: [featuresName, 'weights'], outputs: ['product'] });
  }

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
  return {
    graphName: `hearth_linear_${model.task}`,
    inputs,
    outputs,
    nodes,
    initializers,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    metadata: hearthMetadata(model, features),
    producerVersion,
    docString: `Hearth ${model.task} linear model for "${model.target}", with its preprocessing.`,
  };
}
