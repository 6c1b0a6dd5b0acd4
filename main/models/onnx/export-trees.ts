import { minimumTotal, type TreeModel } from '../tree-model.js';
import { categoricalInput, numericInput } from './design-graph.js';
import {
  appendLabel,
  gatherColumn,
  hearthMetadata,
  TensorType,
  type OnnxInitializer,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
} from '../../onnx/graph.js';

const BRANCH_LEQ = 0;
const BRANCH_MEMBER = 6;

/**
 * Exports a tree ensemble and its input encoding as one ONNX graph, in double precision:
 *   categoricals: ai.onnx.ml LabelEncoder 4 (level → code as a double, "" → NaN, any other level → the "other" code)
 *   all inputs:   Concat → ai.onnx.ml TreeEnsemble (opset 5: double thresholds, BRANCH_LEQ for numbers,
 *                 BRANCH_MEMBER for category sets, missing values routed by nodes_missing_value_tracks_true)
 *   then:         Add(base score) → Softmax (binary as [−m/2, m/2]) | identity; ArgMax → LabelEncoder for the label.
 */
export function treesGraph(model: TreeModel, producerVersion: string): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  // X = [numeric columns…, category codes…]; `position` maps a model feature to its column of X.
  const numeric = model.features.filter((f) => f.kind === 'numeric');
  const categorical = model.features.filter((f) => f.kind === 'categorical');
  const position = new Map<number, number>();
  let nextNumeric = 0;
  let nextCategorical = numeric.length;
  model.features.forEach((f, i) => position.set(i, f.kind === 'numeric' ? nextNumeric++ : nextCategorical++));
  const columns: string[] = [];
  if (numeric.length > 0) {
    inputs.push({ name: numericInput, type: TensorType.DOUBLE, shape: ['N', numeric.length] });
    columns.push(numericInput);
  }
  if (categorical.length > 0) inputs.push({ name: categoricalInput, type: TensorType.STRING, shape: ['N', categorical.length] });
  categorical.forEach((f, k) => {
    // LabelEncoder 4 (ai.onnx.ml 4, within the 5 this graph imports) writes doubles itself: no Cast node after it,
    // which on one row is a microsecond of ONNX Runtime's per-node cost for each categorical column.
    nodes.push({
      op: 'LabelEncoder',
      domain: 'ai.onnx.ml',
      inputs: [gatherColumn(nodes, initializers, categoricalInput, k)],
      outputs: [`codes_${k}`],
      attributes: {
        keys_strings: { kind: 'strings', value: [...f.categories, ''] },
        values_tensor: {
          kind: 'tensor',
          value: {
            type: TensorType.DOUBLE,
            dims: [f.categories.length + 1],
            values: [...f.categories.map((_, c) => c), Number.NaN],
          },
        },
        default_tensor: { kind: 'tensor', value: { type: TensorType.DOUBLE, dims: [1], values: [f.categories.length] } },
      },
    });
    columns.push(`codes_${k}`);
  });
  nodes.push({ op: 'Concat', inputs: columns, outputs: ['X'], attributes: { axis: { kind: 'int', value: 1 } } });
  // A float32 variant (models/compress) casts its input once and holds thresholds and leaves as floats: half the
  // bytes of each, and the trees' sums come back to double for the rest of the graph.
  const single = model.precision === 'float32';
  const real = single ? TensorType.FLOAT : TensorType.DOUBLE;
  if (single)
    nodes.push({ op: 'Cast', inputs: ['X'], outputs: ['X_float'], attributes: { to: { kind: 'int', value: TensorType.FLOAT } } });
  const treeInput = single ? 'X_float' : 'X';
  const treeEnsemble = (output: string): void => {
    nodes.push({
      op: 'TreeEnsemble',
      domain: 'ai.onnx.ml',
      inputs: [treeInput],
      outputs: [single ? `${output}_float` : output],
      attributes: ensembleAttributes,
    });
    if (single)
      nodes.push({
        op: 'Cast',
        inputs: [`${output}_float`],
        outputs: [output],
        attributes: { to: { kind: 'int', value: TensorType.DOUBLE } },
      });
  };

  // Flatten the trees: internal nodes and leaves are numbered separately, across all trees.
  const modes: number[] = [];
  const featureIds: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeafs: number[] = [];
  const falseIds: number[] = [];
  const falseLeafs: number[] = [];
  const missingTrue: number[] = [];
  const membership: number[] = [];
  const leafTargets: number[] = [];
  const leafWeights: number[] = [];
  const roots: number[] = [];
  model.trees.forEach((tree, t) => {
    const target = model.treeOutputs[t]!;
    const nodeIndex = new Map<number, number>();
    const leafIndex = new Map<number, number>();
    tree.feature.forEach((f, node) => {
      if (f >= 0) nodeIndex.set(node, nodeIndex.size + modes.length);
    });
    const firstLeaf = leafWeights.length;
    tree.feature.forEach((f, node) => {
      if (f < 0) {
        leafIndex.set(node, firstLeaf + leafIndex.size);
        leafTargets.push(target);
        leafWeights.push(tree.value[node]!);
      }
    });
    if (nodeIndex.size === 0) {
      // A tree that is a single leaf: one always-true test, both branches to that leaf.
      roots.push(modes.length);
      modes.push(BRANCH_LEQ);
      featureIds.push(0);
      splits.push(Number.POSITIVE_INFINITY);
      trueIds.push(leafIndex.get(0)!);
      trueLeafs.push(1);
      falseIds.push(leafIndex.get(0)!);
      falseLeafs.push(1);
      missingTrue.push(1);
      return;
    }
    roots.push(nodeIndex.get(0)!);
    tree.feature.forEach((f, node) => {
      if (f < 0) return;
      const threshold = tree.threshold[node];
      const member = threshold === null || threshold === undefined;
      modes.push(member ? BRANCH_MEMBER : BRANCH_LEQ);
      featureIds.push(position.get(f)!);
      splits.push(member ? Number.NaN : threshold);
      if (member) membership.push(...tree.leftCodes[node]!, Number.NaN);
      const l = tree.left[node]!;
      const r = tree.right[node]!;
      const lLeaf = tree.feature[l]! < 0;
      const rLeaf = tree.feature[r]! < 0;
      trueIds.push(lLeaf ? leafIndex.get(l)! : nodeIndex.get(l)!);
      trueLeafs.push(lLeaf ? 1 : 0);
      falseIds.push(rLeaf ? leafIndex.get(r)! : nodeIndex.get(r)!);
      falseLeafs.push(rLeaf ? 1 : 0);
      missingTrue.push(tree.defaultLeft[node]! ? 1 : 0);
    });
  });
  const K = model.outputs;
  const ensembleAttributes: OnnxNode['attributes'] = {
    // Always SUM: ONNX Runtime's AVERAGE divides every target by the number of all trees, while a forest here has
    // one tree per class per round; the per-output mean is taken below instead.
    aggregate_function: { kind: 'int', value: 1 },
    post_transform: { kind: 'int', value: 0 },
    n_targets: { kind: 'int', value: K },
    tree_roots: { kind: 'ints', value: roots },
    nodes_modes: { kind: 'tensor', value: { type: TensorType.UINT8, dims: [modes.length], values: modes } },
    nodes_featureids: { kind: 'ints', value: featureIds },
    nodes_splits: { kind: 'tensor', value: { type: real, dims: [splits.length], values: splits } },
    nodes_truenodeids: { kind: 'ints', value: trueIds },
    nodes_trueleafs: { kind: 'ints', value: trueLeafs },
    nodes_falsenodeids: { kind: 'ints', value: falseIds },
    nodes_falseleafs: { kind: 'ints', value: falseLeafs },
    nodes_missing_value_tracks_true: { kind: 'ints', value: missingTrue },
    leaf_targetids: { kind: 'ints', value: leafTargets },
    leaf_weights: { kind: 'tensor', value: { type: real, dims: [leafWeights.length], values: leafWeights } },
  };
  if (membership.length > 0) {
    ensembleAttributes.membership_values = {
      kind: 'tensor',
      value: { type: real, dims: [membership.length], values: membership },
    };
  }
  initializers.push({ name: 'base_score', type: TensorType.DOUBLE, dims: [K], values: model.baseScore });
  if (model.aggregation === 'average') {
    const perOutput = new Array<number>(K).fill(0);
    for (const c of model.treeOutputs) perOutput[c]!++;
    treeEnsemble('tree_sums');
    nodes.push({ op: 'Add', inputs: ['tree_sums', 'base_score'], outputs: ['biased_sums'] });
    initializers.push({ name: 'tree_counts', type: TensorType.DOUBLE, dims: [K], values: perOutput.map((c) => Math.max(1, c)) });
    nodes.push({ op: 'Div', inputs: ['biased_sums', 'tree_counts'], outputs: ['averages'] });
    const outputs: OnnxValueInfo[] = [];
    if (model.task === 'regression') {
      nodes.push({ op: 'Identity', inputs: ['averages'], outputs: ['variable'] });
      outputs.push({ name: 'variable', type: TensorType.DOUBLE, shape: ['N', 1] });
    } else {
      if (model.task === 'binary') {
        // [1 − p, p] from p.
        initializers.push({ name: 'complement_weights', type: TensorType.DOUBLE, dims: [1, 2], values: [-1, 1] });
        initializers.push({ name: 'complement_bias', type: TensorType.DOUBLE, dims: [2], values: [1, 0] });
        nodes.push({ op: 'MatMul', inputs: ['averages', 'complement_weights'], outputs: ['signed'] });
        nodes.push({ op: 'Add', inputs: ['signed', 'complement_bias'], outputs: ['probabilities'] });
      } else {
        initializers.push({ name: 'sum_axes', type: TensorType.INT64, dims: [1], values: [1] });
        initializers.push({ name: 'minimum_total', type: TensorType.DOUBLE, dims: [1], values: [minimumTotal] });
        nodes.push({
          op: 'ReduceSum',
          inputs: ['averages', 'sum_axes'],
          outputs: ['row_totals'],
          attributes: { keepdims: { kind: 'int', value: 1 } },
        });
        nodes.push({ op: 'Max', inputs: ['row_totals', 'minimum_total'], outputs: ['safe_totals'] });
        nodes.push({ op: 'Div', inputs: ['averages', 'safe_totals'], outputs: ['probabilities'] });
      }
      appendLabel(nodes, outputs, model.classes ?? []);
    }
    return finish(model, producerVersion, inputs, outputs, nodes, initializers);
  }
  treeEnsemble('scores');

  const outputs: OnnxValueInfo[] = [];
  if (model.task === 'regression') {
    nodes.push({ op: 'Add', inputs: ['scores', 'base_score'], outputs: ['variable'] });
    outputs.push({ name: 'variable', type: TensorType.DOUBLE, shape: ['N', 1] });
  } else {
    const classes = model.classes ?? [];
    nodes.push({ op: 'Add', inputs: ['scores', 'base_score'], outputs: ['margins'] });
    if (model.task === 'binary') {
      initializers.push({ name: 'pair', type: TensorType.DOUBLE, dims: [1, 2], values: [-0.5, 0.5] });
      nodes.push({ op: 'MatMul', inputs: ['margins', 'pair'], outputs: ['pair_margins'] });
      nodes.push({
        op: 'Softmax',
        inputs: ['pair_margins'],
        outputs: ['probabilities'],
        attributes: { axis: { kind: 'int', value: 1 } },
      });
    } else {
      nodes.push({
        op: 'Softmax',
        inputs: ['margins'],
        outputs: ['probabilities'],
        attributes: { axis: { kind: 'int', value: 1 } },
      });
    }
    appendLabel(nodes, outputs, classes);
  }
  return finish(model, producerVersion, inputs, outputs, nodes, initializers);
}

function finish(
  model: TreeModel,
  producerVersion: string,
  inputs: OnnxValueInfo[],
  outputs: OnnxValueInfo[],
  nodes: OnnxNode[],
  initializers: OnnxInitializer[],
): OnnxModel {
  return {
    graphName: `hearth_${model.algorithm}_${model.task}`,
    inputs,
    outputs,
    nodes,
    initializers,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 5 },
    ],
    metadata: hearthMetadata(model, model.features, { 'hearth.algorithm': model.algorithm }),
    producerVersion,
    docString: `Hearth ${model.algorithm} ${model.task} model for "${model.target}" (${model.trees.length} trees${model.precision === 'float32' ? ', float32' : ''}), with its input encoding.`,
  };
}
