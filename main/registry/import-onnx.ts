import { spoolDecipherAt, type SpoolCipher } from '../crypto/spool.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ModelVersionInfo } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { DatasetStore } from '../data/datasets.js';
import type { ModelRegistry } from './registry.js';
import { createSession } from '../accel/onnx-runtime.js';
import { Predictor } from '../models/predictor.js';
import type { ImportedInputType, ImportedModel } from '../models/imported-model.js';
import type { Task } from '../models/preprocess.js';
import { rawInputsFromRecords } from '../models/preprocess.js';
import { importedInputs } from '../models/imported-model.js';
import { inspectOnnx, type OnnxGraphInfo, type OnnxValueInfo } from '../onnx/inspect.js';

export interface ImportOptions {
  name: string;
  /** What the model predicts (a column name, for labelled files and feedback); "prediction" when not named. */
  target?: string;
  task?: Task;
  /** Class names, in the order of the graph's probability columns, where the graph does not name them. */
  classes?: string[];
  /** Feature names for a single [N, k] input, in column order (otherwise INPUT_0 … INPUT_k-1). */
  features?: string[];
  /** A labelled or unlabelled CSV of the data the model was trained on: ingested, it is the drift reference. */
  referencePath?: string;
  alias?: string;
  /** The ONNX file and the reference are encrypted upload spools: read them through these. */
  spool?: SpoolCipher;
  referenceSpool?: SpoolCipher;
}

const feedable = new Set<ImportedInputType>(['float32', 'float64', 'int32', 'int64', 'bool', 'string']);
const floating = new Set(['float32', 'float64']);

function rankOf(value: OnnxValueInfo): number {
  return value.dims.length;
}

/** How the graph's inputs become named features. */
function readInputs(graph: OnnxGraphInfo, featureNames: string[] | undefined): ImportedModel['graphInputs'] {
  if (graph.inputs.length === 0) throw new HearthError('INVALID_INPUT', 'the graph takes no inputs');
  const wide = graph.inputs.filter((i) => rankOf(i) === 2 && i.dims[1] !== 1);
  if (featureNames !== undefined && (graph.inputs.length !== 1 || wide.length !== 1))
    throw new HearthError('VALIDATION_FAILED', '--features names the columns of a graph with a single [N, k] input');
  const fromMetadata = graph.metadata.feature_names?.split(',').map((s) => s.trim());
  return graph.inputs.map((input) => {
    const type = input.elementType as ImportedInputType;
    if (input.kind !== 'tensor' || !feedable.has(type))
      throw new HearthError(
        'INVALID_INPUT',
        `input "${input.name}" is a ${input.kind === 'tensor' ? `${input.elementType} tensor` : input.kind}; Hearth feeds float, double, int32, int64, bool and string tensors`,
      );
    const rank = rankOf(input);
    if (rank !== 1 && rank !== 2)
      throw new HearthError('INVALID_INPUT', `input "${input.name}" has ${rank} dimensions; Hearth feeds rows: [N] or [N, k]`);
    const width = rank === 1 ? 1 : input.dims[1]!;
    if (typeof width !== 'number' || width < 1)
      throw new HearthError(
        'INVALID_INPUT',
        `input "${input.name}" has no fixed width (${String(input.dims[1])}): its features cannot be named`,
      );
    let features: string[];
    if (width === 1) features = [input.name];
    else {
      features = featureNames ?? fromMetadata ?? Array.from({ length: width }, (_, j) => `${input.name}_${j}`);
      if (features.length !== width)
        throw new HearthError(
          'VALIDATION_FAILED',
          `input "${input.name}" has ${width} columns; ${features.length} names were given`,
        );
    }
    return { name: input.name, type, rank: rank, features };
  });
}

function readOutputs(
  graph: OnnxGraphInfo,
  options: ImportOptions,
): { task: Task; classes: string[] | null; outputs: ImportedModel['outputs'] } {
  const tensors = graph.outputs.filter((o) => o.kind === 'tensor');
  const label = tensors.find((o) => (o.elementType === 'string' || o.elementType === 'int64') && /label/i.test(o.name)) ?? null;
  const scores = tensors.filter((o) => floating.has(o.elementType ?? '') && rankOf(o) === 2);
  const probabilities = scores.find((o) => /prob|score/i.test(o.name)) ?? (label !== null ? (scores[0] ?? null) : null);
  // Naming classes says the graph classifies, as much as a label output or class labels in the graph do.
  const classifier =
    options.task === undefined
      ? label !== null || graph.classLabels !== null || options.classes !== undefined
      : options.task !== 'regression';
  if (!classifier) {
    const value = tensors.find((o) => floating.has(o.elementType ?? '')) ?? null;
    if (value === null) throw new HearthError('INVALID_INPUT', 'the graph has no float output to read a prediction from');
    return { task: 'regression', classes: null, outputs: { probabilities: null, label: null, value: value.name } };
  }
  if (probabilities === null && label === null) {
    const zipMap = graph.outputs.some((o) => o.kind === 'sequence' || o.kind === 'map');
    throw new HearthError(
      'INVALID_INPUT',
      zipMap
        ? 'the graph gives its probabilities as a ZipMap sequence, which ONNX Runtime for Node cannot return: export with zipmap=False (skl2onnx options {"zipmap": False})'
        : 'the graph has neither a label nor a probability tensor output',
    );
  }
  const width = probabilities === null ? null : probabilities.dims[1];
  const classes = options.classes ?? graph.classLabels;
  if (classes === null || classes === undefined)
    throw new HearthError('VALIDATION_FAILED', 'the graph does not name its classes: give them with --classes, in column order');
  if (typeof width === 'number' && width > 0 && width !== classes.length)
    throw new HearthError(
      'VALIDATION_FAILED',
      `${probabilities!.name} has ${width} columns but ${classes.length} classes were named`,
    );
  if (classes.length < 2) throw new HearthError('VALIDATION_FAILED', 'a classifier needs at least two classes');
  const task: Task = options.task ?? (classes.length === 2 ? 'binary' : 'multiclass');
  return {
    task,
    classes,
    outputs: { probabilities: probabilities?.name ?? null, label: label?.name ?? null, value: null },
  };
}

/** What an import writes: the model registry, and the datasets a reference file is ingested into. */
export interface ImportDeps {
  readonly registry: ModelRegistry;
  readonly datasets: DatasetStore;
}

/**
 * Registers an ONNX file made elsewhere as a version of a model, its input schema read from the graph. The graph
 * must load in ONNX Runtime and answer a probe row before anything is stored.
 */
export async function importOnnx(deps: ImportDeps, path: string, options: ImportOptions): Promise<ModelVersionInfo> {
  const stored = readFileSync(path);
  const bytes = options.spool === undefined ? stored : spoolDecipherAt(options.spool, 0).update(stored);
  const graph = inspectOnnx(bytes);
  const graphInputs = readInputs(graph, options.features);
  const { task, classes, outputs } = readOutputs(graph, options);
  const model: ImportedModel = {
    format: 'onnx.imported/1',
    task,
    target: options.target ?? 'prediction',
    classes,
    graphInputs,
    outputs,
    producer: [graph.producer, graph.producerVersion].filter((s) => s !== '').join(' ') || 'unknown',
  };
  const features = importedInputs(model);
  if (new Set(features.map((f) => f.name)).size !== features.length)
    throw new HearthError('VALIDATION_FAILED', 'two inputs give the same feature name; name them with --features');

  // Checked before the reference is ingested, so a refused import stores nothing.
  const existing = deps.registry.list().find((m) => m.name === options.name);
  if (existing !== undefined && (existing.task !== task || existing.target !== model.target))
    throw new HearthError(
      'CONFLICT',
      `model "${options.name}" predicts "${existing.target}" (${existing.task}); this graph is a ${task} model of "${model.target}": give --target or another name`,
    );

  let session;
  try {
    session = await createSession(bytes);
  } catch (error) {
    throw new HearthError('MODEL_LOAD_FAILED', `ONNX Runtime cannot load ${basename(path)}: ${(error as Error).message}`);
  }
  try {
    // A probe row of zeros and empty strings: the graph must take Hearth's feeds and give the outputs read above.
    const probe = Object.fromEntries(features.map((f) => [f.name, f.kind === 'numeric' ? 0 : '']));
    await new Predictor(options.name, 0, model, session).run(rawInputsFromRecords({ features }, [probe]));
  } catch (error) {
    throw new HearthError(
      'MODEL_LOAD_FAILED',
      `${basename(path)} does not run on a row of its own inputs: ${(error as Error).message}`,
    );
  } finally {
    await session.release();
  }

  const reference =
    options.referencePath === undefined
      ? null
      : await deps.datasets.ingestCsv(
          `${options.name}-reference`,
          options.referencePath,
          options.referenceSpool === undefined ? {} : { spool: options.referenceSpool },
        );
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const info = deps.registry.register({
    model: options.name,
    algorithm: 'onnx',
    task,
    target: model.target,
    ...(reference === null ? {} : { datasetVersionId: deps.datasets.version(reference.dataset, reference.version).id }),
    origin: {
      source: {
        url: `file:${basename(path)}`,
        reference: basename(path),
        digest,
        remoteVersion: null,
        pulledAt: new Date().toISOString(),
      },
      dataset:
        reference === null
          ? { name: '(none)', version: 0, contentHash: '' }
          : { name: reference.dataset, version: reference.version, contentHash: reference.contentHash },
      createdAt: new Date().toISOString(),
    },
    params: {
      producer: model.producer,
      opsets: graph.opsets.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`),
      operators: graph.operators,
    },
    metrics: {},
    report: {
      imported: { file: basename(path), digest, producer: model.producer, inputs: graph.inputs, outputs: graph.outputs },
    },
    inputSchema: features.map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'double' : 'string' })),
    onnx: bytes,
    modelJson: JSON.stringify(model),
  });
  if (options.alias !== undefined) deps.registry.follow(options.name, options.alias, info.version);
  return info;
}
