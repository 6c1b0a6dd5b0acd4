import { HearthError } from '../../contracts/errors.js';
import type { MlpParams } from '../../../workers/mlp/fit-mlp.js';
import { designFromFrame, fitPreprocessor } from '../../models/preprocess.js';
import { excludedColumns } from '../train-args.js';
import type { Learner } from './learner.js';

/** A multilayer perceptron through TensorFlow.js, fitted in a worker on the preprocessed design. */
export const mlpLearner: Learner = {
  async fit(input, host) {
    const { task, classes, frame, rows, validationRows, targetsOf, args: a, seed, classWeights, deadline } = input;
    const prep = fitPreprocessor(frame, rows, a.target, excludedColumns(a));
    const mlp: MlpParams = {
      hiddenLayers: a.hiddenLayers ?? [64, 32],
      learningRate: a.learningRate ?? 1e-3,
      epochs: a.epochs ?? 100,
      // Null: the worker sizes batches for the back end it selects (larger on a GPU).
      batchSize: a.batchSize ?? null,
      l2: a.l2 ?? 1e-5,
      dropout: a.dropout ?? 0,
      // earlyStoppingRounds 0: a fixed number of epochs on all the rows given (the refit after a search).
      patience: a.earlyStoppingRounds === 0 ? Number.POSITIVE_INFINITY : (a.earlyStoppingRounds ?? 10),
      seed,
      classWeights,
      deadline,
    };
    const reply = await host.runWorker(
      {
        seq: host.nextSeq(),
        type: 'fit-mlp',
        task,
        classes: classes?.length ?? 0,
        train: designFromFrame(prep, frame, rows),
        trainTargets: targetsOf(rows),
        validation: validationRows.length > 0 ? designFromFrame(prep, frame, validationRows) : null,
        validationTargets: validationRows.length > 0 ? targetsOf(validationRows) : null,
        params: mlp,
        backend: a.backend ?? null,
        preferredBackend: host.preferredBackend(),
        cancel: host.cancel,
      },
      input.label,
    );
    if (reply.type !== 'mlp') throw new HearthError('INTERNAL', 'unexpected worker reply');
    const { seed: _seed, classWeights: _weights, deadline: _deadline, ...reported } = mlp;
    return {
      model: {
        format: 'hearth.mlp/1',
        task,
        target: a.target,
        classes,
        preprocessor: prep,
        layers: reply.result.layers.map((layer) => ({
          inputs: layer.inputs,
          outputs: layer.outputs,
          weights: Array.from(layer.weights),
          bias: Array.from(layer.bias),
          activation: layer.activation,
        })),
        backend: reply.backend.name,
      },
      params: {
        ...reported,
        batchSize: reply.result.batchSize,
        seed,
        classWeight: a.classWeight ?? null,
        validationFraction: input.validationFraction,
        testFraction: input.testFraction,
      },
      fitReport: {
        backend: reply.backend,
        epochs: reply.result.epochs,
        bestEpoch: reply.result.bestEpoch,
        ignoredColumns: prep.ignored,
        features: prep.features.map((f) => ({ name: f.name, kind: f.kind })),
      },
      workerCpuMs: reply.cpuMs,
    };
  },
  searchGrid: {
    hiddenLayers: [[32], [64, 32], [128, 64], [256, 128]],
    learningRate: [3e-4, 1e-3, 3e-3],
    dropout: [0, 0.1, 0.2],
    l2: [0, 1e-5, 1e-4],
    batchSize: [128, 256, 512],
  },
  decideDefaults: (args) => args,
  earlyStopsInSearch: () => false,
  takesClassWeights: true,
  fixedIterations: (a, report) =>
    typeof report.bestEpoch === 'number' && report.bestEpoch > 0 ? { ...a, epochs: report.bestEpoch, earlyStoppingRounds: 0 } : a,
  // None: MLPs have permutation importance.
  shapSummary: () => null,
};
