import type { MlpModel } from '../mlp-model.js';
import { appendDesign, designRows } from './design-graph.js';
import { appendInt8Layer } from './export-mlp-int8.js';
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
 * Exports an MLP with its preprocessing as one ONNX graph (preprocessing and outputs in float64, layers in float32):
 *   preprocessing: `appendDesign` (the same subgraph as the linear models)
 *   layers:        Cast to float32, Gemm → Relu for each hidden layer, Gemm for the last (the first layer's
 *                  weights get the missing-marker rows of `designRows`), Cast back to float64
 *   output:        binary Sigmoid → [1 − p, p]; multiclass Softmax; regression the value
 *   label:         ArgMax → ai.onnx.ml LabelEncoder
 */
export function mlpGraph(model: MlpModel, producerVersion: string): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const features = model.preprocessor.features;
  const double = (name: string, dims: number[], values: readonly number[]): string => {
    initializers.push({ name, type: TensorType.DOUBLE, dims, values });
    return name;
  };
  const float = (name: string, dims: number[], values: readonly number[]): string => {
    initializers.push({ name, type: TensorType.FLOAT, dims, values });
    return name;
  };
  const design = appendDesign(nodes, initializers, inputs, features);
  // The network trained in float32, so it runs in float32: the layers then run on a GPU provider (WebGPU has no
  // float64), and the weights lose nothing. The design is computed in float64 and rounded once on the way in.
  nodes.push({
    op: 'Cast',
    inputs: [design],
    outputs: ['design_float'],
    attributes: { to: { kind: 'int', value: TensorType.FLOAT } },
  });
  let current = 'design_float';
  model.layers.forEach((layer, l) => {
    const weights =
      l === 0
        ? designRows(features, (j) => layer.weights.slice(j * layer.outputs, (j + 1) * layer.outputs), layer.outputs).flat()
        : layer.weights;
    if (model.weights === 'int8') {
      current = appendInt8Layer(nodes, initializers, current, l, layer, weights);
      return;
    }
    const rows = weights.length / layer.outputs;
    // A float16 variant stores half the bytes and widens them once (ONNX Runtime folds the Casts at load).
    const stored = (name: string, dims: number[], values: readonly number[]): string => {
      if (model.weights !== 'float16') return float(name, dims, values);
      initializers.push({ name: `${name}_half`, type: TensorType.FLOAT16, dims, values });
      nodes.push({
        op: 'Cast',
        inputs: [`${name}_half`],
        outputs: [name],
        attributes: { to: { kind: 'int', value: TensorType.FLOAT } },
      });
      return name;
    };
    nodes.push({
      op: 'Gemm',
      inputs: [
        current,
        stored(`layer_${l}_weights`, [rows, layer.outputs], weights),
        stored(`layer_${l}_bias`, [layer.outputs], layer.bias),
      ],
      outputs: [`layer_${l}_linear`],
    });
    current = `layer_${l}_linear`;
    if (layer.activation === 'relu') {
      nodes.push({ op: 'Relu', inputs: [current], outputs: [`layer_${l}_relu`] });
      current = `layer_${l}_relu`;
    }
  });

  nodes.push({
    op: 'Cast',
    inputs: [current],
    outputs: ['margins'],
    attributes: { to: { kind: 'int', value: TensorType.DOUBLE } },
  });
  current = 'margins';
  const outputs: OnnxValueInfo[] = [];
  if (model.task === 'regression') {
    nodes.push({ op: 'Identity', inputs: [current], outputs: ['variable'] });
    outputs.push({ name: 'variable', type: TensorType.DOUBLE, shape: ['N', 1] });
  } else {
    if (model.task === 'binary') {
      nodes.push({ op: 'Sigmoid', inputs: [current], outputs: ['positive'] });
      nodes.push({ op: 'Sub', inputs: [double('one', [], [1]), 'positive'], outputs: ['negative'] });
      nodes.push({
        op: 'Concat',
        inputs: ['negative', 'positive'],
        outputs: ['probabilities'],
        attributes: { axis: { kind: 'int', value: 1 } },
      });
    } else {
      nodes.push({
        op: 'Softmax',
        inputs: [current],
        outputs: ['probabilities'],
        attributes: { axis: { kind: 'int', value: 1 } },
      });
    }
    appendLabel(nodes, outputs, model.classes ?? []);
  }
  return {
    graphName: `hearth_mlp_${model.task}`,
    inputs,
    outputs,
    nodes,
    initializers,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    metadata: hearthMetadata(model, features, { 'hearth.backend': model.backend }),
    producerVersion,
    docString: `Hearth ${model.task} MLP for "${model.target}" (${model.layers.length} layers), with its preprocessing.`,
  };
}
