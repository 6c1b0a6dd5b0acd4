import type { StoredDenseLayer } from '../mlp-model.js';
import { activationFloor } from '../mlp-int8.js';
import { TensorType, type OnnxInitializer, type OnnxNode } from '../../onnx/graph.js';

/**
 * One int8 dense layer on a float32 [N, in] tensor, quantised per row at run time (mlp-int8.ts is its reference):
 *   ReduceMax(Abs) → Max(ε) → Div(127) = s;  Div(x, s) → Round → Cast(int8) = q
 *   MatMulInteger(q, W int8) → Cast(float) → Mul(s) → Mul(scale per column) → Add(bias) [→ Relu]
 * `weights` are the layer's integers in the graph's row layout. Returns the output's name.
 */
export function appendInt8Layer(
  nodes: OnnxNode[],
  initializers: OnnxInitializer[],
  input: string,
  l: number,
  layer: StoredDenseLayer,
  weights: readonly number[],
): string {
  const p = `layer_${l}_`;
  const rows = weights.length / layer.outputs;
  if (!initializers.some((i) => i.name === 'quant_floor')) {
    initializers.push({ name: 'quant_floor', type: TensorType.FLOAT, dims: [], values: [activationFloor] });
    initializers.push({ name: 'quant_levels', type: TensorType.FLOAT, dims: [], values: [127] });
  }
  initializers.push({ name: `${p}weights_int8`, type: TensorType.INT8, dims: [rows, layer.outputs], values: weights });
  initializers.push({ name: `${p}scales`, type: TensorType.FLOAT, dims: [layer.outputs], values: layer.scales! });
  initializers.push({ name: `${p}bias`, type: TensorType.FLOAT, dims: [layer.outputs], values: layer.bias });
  nodes.push({ op: 'Abs', inputs: [input], outputs: [`${p}abs`] });
  nodes.push({
    op: 'ReduceMax',
    inputs: [`${p}abs`],
    outputs: [`${p}absmax`],
    attributes: { axes: { kind: 'ints', value: [1] }, keepdims: { kind: 'int', value: 1 } },
  });
  nodes.push({ op: 'Max', inputs: [`${p}absmax`, 'quant_floor'], outputs: [`${p}range`] });
  nodes.push({ op: 'Div', inputs: [`${p}range`, 'quant_levels'], outputs: [`${p}row_scale`] });
  nodes.push({ op: 'Div', inputs: [input, `${p}row_scale`], outputs: [`${p}scaled`] });
  nodes.push({ op: 'Round', inputs: [`${p}scaled`], outputs: [`${p}rounded`] });
  nodes.push({
    op: 'Cast',
    inputs: [`${p}rounded`],
    outputs: [`${p}q`],
    attributes: { to: { kind: 'int', value: TensorType.INT8 } },
  });
  nodes.push({ op: 'MatMulInteger', inputs: [`${p}q`, `${p}weights_int8`], outputs: [`${p}acc`] });
  nodes.push({
    op: 'Cast',
    inputs: [`${p}acc`],
    outputs: [`${p}acc_float`],
    attributes: { to: { kind: 'int', value: TensorType.FLOAT } },
  });
  nodes.push({ op: 'Mul', inputs: [`${p}acc_float`, `${p}row_scale`], outputs: [`${p}rescaled`] });
  nodes.push({ op: 'Mul', inputs: [`${p}rescaled`, `${p}scales`], outputs: [`${p}dequantised`] });
  nodes.push({ op: 'Add', inputs: [`${p}dequantised`, `${p}bias`], outputs: [`${p}linear`] });
  if (layer.activation !== 'relu') return `${p}linear`;
  nodes.push({ op: 'Relu', inputs: [`${p}linear`], outputs: [`${p}relu`] });
  return `${p}relu`;
}
