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
  // Short names (q0_w, q0_s, …): a small network's int8 graph is otherwise a quarter names, 13 nodes a layer.
  const p = `q${l}_`;
  const rows = weights.length / layer.outputs;
  if (!initializers.some((i) => i.name === 'qe')) {
    initializers.push({ name: 'qe', type: TensorType.FLOAT, dims: [], values: [activationFloor] });
    initializers.push({ name: 'q127', type: TensorType.FLOAT, dims: [], values: [127] });
  }
  initializers.push({ name: `${p}w`, type: TensorType.INT8, dims: [rows, layer.outputs], values: weights });
  initializers.push({ name: `${p}c`, type: TensorType.FLOAT, dims: [layer.outputs], values: layer.scales! });
  initializers.push({ name: `${p}b`, type: TensorType.FLOAT, dims: [layer.outputs], values: layer.bias });
  nodes.push({ op: 'Abs', inputs: [input], outputs: [`${p}a`] });
  nodes.push({
    op: 'ReduceMax',
    inputs: [`${p}a`],
    outputs: [`${p}m`],
    attributes: { axes: { kind: 'ints', value: [1] }, keepdims: { kind: 'int', value: 1 } },
  });
  nodes.push({ op: 'Max', inputs: [`${p}m`, 'qe'], outputs: [`${p}r`] });
  nodes.push({ op: 'Div', inputs: [`${p}r`, 'q127'], outputs: [`${p}s`] });
  nodes.push({ op: 'Div', inputs: [input, `${p}s`], outputs: [`${p}x`] });
  nodes.push({ op: 'Round', inputs: [`${p}x`], outputs: [`${p}n`] });
  nodes.push({
    op: 'Cast',
    inputs: [`${p}n`],
    outputs: [`${p}q`],
    attributes: { to: { kind: 'int', value: TensorType.INT8 } },
  });
  nodes.push({ op: 'MatMulInteger', inputs: [`${p}q`, `${p}w`], outputs: [`${p}i`] });
  nodes.push({
    op: 'Cast',
    inputs: [`${p}i`],
    outputs: [`${p}f`],
    attributes: { to: { kind: 'int', value: TensorType.FLOAT } },
  });
  nodes.push({ op: 'Mul', inputs: [`${p}f`, `${p}s`], outputs: [`${p}y`] });
  nodes.push({ op: 'Mul', inputs: [`${p}y`, `${p}c`], outputs: [`${p}d`] });
  nodes.push({ op: 'Add', inputs: [`${p}d`, `${p}b`], outputs: [`${p}l`] });
  if (layer.activation !== 'relu') return `${p}l`;
  nodes.push({ op: 'Relu', inputs: [`${p}l`], outputs: [`${p}o`] });
  return `${p}o`;
}
