import { ensembleInputs, memberColumns, modelAlgorithm, type EnsembleModel, type SingleModel } from '../ensemble-model.js';
import { calibratedGraph } from './export-calibration.js';
import { categoricalInput, numericInput } from './design-graph.js';
import { linearGraph } from './export-linear.js';
import { mlpGraph } from './export-mlp.js';
import { treesGraph } from './export-trees.js';
import {
  appendLabel,
  hearthMetadata,
  TensorType,
  type OnnxInitializer,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
} from '../../onnx/graph.js';

/** Every model Hearth stores as one ONNX graph with its preprocessing, before encoding: the exporters' dispatch. */
export function modelGraph(model: SingleModel | EnsembleModel, producerVersion: string): OnnxModel {
  const graph = uncalibratedGraph(model, producerVersion);
  return model.calibrator === undefined || model.task === 'regression'
    ? graph
    : calibratedGraph(graph, model.calibrator, model.classes ?? []);
}

function uncalibratedGraph(model: SingleModel | EnsembleModel, producerVersion: string): OnnxModel {
  switch (model.format) {
    case 'hearth.linear/1':
      return linearGraph(model, producerVersion);
    case 'hearth.trees/1':
      return treesGraph(model, producerVersion);
    case 'hearth.mlp/1':
      return mlpGraph(model, producerVersion);
    case 'hearth.ensemble/1':
      return ensembleGraph(model, producerVersion);
  }
}

/**
 * One graph for the blend: each member's graph with every name prefixed (`m0_`, `m1_`, …) and its label nodes
 * dropped, fed by Gathers that pick its columns out of the ensemble's two input tensors; then the members'
 * probabilities (or values) times their weights, summed, and the label of the sum.
 */
function ensembleGraph(model: EnsembleModel, producerVersion: string): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs = ensembleInputs(model);
  const numeric = inputs.filter((f) => f.kind === 'numeric');
  const categorical = inputs.filter((f) => f.kind === 'categorical');
  const graphInputs: OnnxValueInfo[] = [];
  if (numeric.length > 0) graphInputs.push({ name: numericInput, type: TensorType.DOUBLE, shape: ['N', numeric.length] });
  if (categorical.length > 0)
    graphInputs.push({ name: categoricalInput, type: TensorType.STRING, shape: ['N', categorical.length] });
  const opsets = new Map<string, number>();
  const weighted: string[] = [];
  const outputName = model.task === 'regression' ? 'variable' : 'probabilities';

  model.members.forEach((member, m) => {
    const graph = modelGraph(member, producerVersion);
    const prefix = `m${m}_`;
    const rename = (name: string): string => (name === '' ? name : prefix + name);
    const columns = memberColumns(model, member);
    for (const [input, picked] of [
      [numericInput, columns.numeric],
      [categoricalInput, columns.categorical],
    ] as const) {
      if (picked.length === 0) continue;
      initializers.push({ name: `${prefix}${input}_columns`, type: TensorType.INT64, dims: [picked.length], values: picked });
      nodes.push({
        op: 'Gather',
        inputs: [input, `${prefix}${input}_columns`],
        outputs: [rename(input)],
        attributes: { axis: { kind: 'int', value: 1 } },
      });
    }
    for (const node of graph.nodes) {
      // The members' own labels are not needed: the ensemble labels its blended probabilities.
      if (node.outputs.includes('label_index') || node.outputs.includes('label')) continue;
      nodes.push({ ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) });
    }
    for (const initializer of graph.initializers) initializers.push({ ...initializer, name: rename(initializer.name) });
    for (const opset of graph.opsets) opsets.set(opset.domain, Math.max(opsets.get(opset.domain) ?? 0, opset.version));
    initializers.push({ name: `${prefix}weight`, type: TensorType.DOUBLE, dims: [], values: [model.weights[m]!] });
    nodes.push({ op: 'Mul', inputs: [rename(outputName), `${prefix}weight`], outputs: [`${prefix}weighted`] });
    weighted.push(`${prefix}weighted`);
  });
  nodes.push({ op: 'Sum', inputs: weighted, outputs: [outputName] });
  const outputs: OnnxValueInfo[] = [];
  if (model.task === 'regression') outputs.push({ name: 'variable', type: TensorType.DOUBLE, shape: ['N', 1] });
  else appendLabel(nodes, outputs, model.classes ?? []);
  return {
    graphName: `hearth_ensemble_${model.task}`,
    inputs: graphInputs,
    outputs,
    nodes,
    initializers,
    opsets: [...opsets].map(([domain, version]) => ({ domain, version })),
    metadata: hearthMetadata(model, inputs, {
      'hearth.members': JSON.stringify(
        model.members.map((member, m) => ({
          format: member.format,
          algorithm: modelAlgorithm(member),
          weight: model.weights[m],
        })),
      ),
    }),
    producerVersion,
    docString: `Hearth ${model.task} ensemble of ${model.members.length} models for "${model.target}", with their preprocessing.`,
  };
}
