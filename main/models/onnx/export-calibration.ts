import { calibrationEpsilon, isotonicSegments, type Calibrator } from '../calibration.js';
import { appendLabel, TensorType, type OnnxInitializer, type OnnxModel, type OnnxNode } from '../../onnx/graph.js';

const uncalibrated = 'uncalibrated_probabilities';

/**
 * The model's graph with its calibrator inside: the model's `probabilities` become `uncalibrated_probabilities`,
 * the calibrator's standard operators map them to the new `probabilities` (with the formulas of calibration.ts,
 * in double precision), and the label is taken again from those.
 */
export function calibratedGraph(graph: OnnxModel, calibrator: Calibrator, classes: string[]): OnnxModel {
  const rename = (name: string): string => (name === 'probabilities' ? uncalibrated : name);
  const nodes: OnnxNode[] = graph.nodes
    .filter((node) => !node.outputs.includes('label_index') && !node.outputs.includes('label'))
    .map((node) => ({ ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) }));
  const initializers: OnnxInitializer[] = [...graph.initializers];
  const constant = (name: string, dims: number[], values: number[]): string => {
    initializers.push({ name: `calibration_${name}`, type: TensorType.DOUBLE, dims, values });
    return `calibration_${name}`;
  };
  const node = (op: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): string => {
    nodes.push({ op, inputs, outputs: [`calibration_${output}`], ...(attributes === undefined ? {} : { attributes }) });
    return `calibration_${output}`;
  };
  if (calibrator.kind === 'temperature') {
    const clipped = node(
      'Clip',
      [uncalibrated, constant('floor', [], [calibrationEpsilon]), constant('one', [], [1])],
      'clipped',
    );
    const logs = node('Log', [clipped], 'logs');
    const scaled = node('Div', [logs, constant('temperature', [], [calibrator.temperature])], 'scaled');
    nodes.push({
      op: 'Softmax',
      inputs: [scaled],
      outputs: ['probabilities'],
      attributes: { axis: { kind: 'int', value: 1 } },
    });
  } else {
    initializers.push({ name: 'calibration_positive', type: TensorType.INT64, dims: [1], values: [1] });
    const p = node('Gather', [uncalibrated, 'calibration_positive'], 'p', { axis: { kind: 'int', value: 1 } });
    const one = constant('one', [], [1]);
    let q: string;
    if (calibrator.kind === 'platt') {
      const clipped = node(
        'Clip',
        [p, constant('floor', [], [calibrationEpsilon]), constant('ceiling', [], [1 - calibrationEpsilon])],
        'clipped',
      );
      const odds = node('Div', [clipped, node('Sub', [one, clipped], 'complement')], 'odds');
      const z = node('Log', [odds], 'logit');
      const affine = node(
        'Add',
        [node('Mul', [z, constant('a', [], [calibrator.a])], 'scaled'), constant('b', [], [calibrator.b])],
        'affine',
      );
      q = node('Sigmoid', [affine], 'q');
    } else {
      const { y0, lower, upper, slope } = isotonicSegments(calibrator);
      if (lower.length === 0) {
        // A constant map: q = 0 · p + y0, still shaped [N, 1].
        q = node('Add', [node('Mul', [p, constant('zero', [], [0])], 'zeroed'), constant('y0', [], [y0])], 'q');
      } else {
        const m = lower.length;
        const from = constant('lower', [1, m], lower);
        const clamped = node('Min', [node('Max', [p, from], 'above'), constant('upper', [1, m], upper)], 'clamped');
        const rise = node('MatMul', [node('Sub', [clamped, from], 'runs'), constant('slope', [m, 1], slope)], 'rise');
        q = node('Add', [rise, constant('y0', [], [y0])], 'q');
      }
    }
    nodes.push({
      op: 'Concat',
      inputs: [node('Sub', [one, q], 'negative'), q],
      outputs: ['probabilities'],
      attributes: { axis: { kind: 'int', value: 1 } },
    });
  }
  const outputs = graph.outputs.filter((o) => o.name !== 'label' && o.name !== 'probabilities');
  appendLabel(nodes, outputs, classes);
  return {
    ...graph,
    nodes,
    initializers,
    outputs,
    metadata: { ...graph.metadata, 'hearth.calibration': JSON.stringify(calibrator) },
    docString: `${graph.docString} Probabilities calibrated (${calibrator.kind}).`,
  };
}
