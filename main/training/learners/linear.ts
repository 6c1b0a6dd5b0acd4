import { HearthError } from '../../contracts/errors.js';
import { designColumnMeans, linearShapSummary, type LinearModel } from '../../models/linear-model.js';
import { designFromFrame, fitPreprocessor } from '../../models/preprocess.js';
import { excludedColumns } from '../train-args.js';
import type { Learner } from './learner.js';

/** The L2 penalty of a linear candidate that names none. */
export const linearDefaultL2 = 1e-4;

/** Linear or logistic regression with an L2 penalty, fitted in a worker on the preprocessed design. */
export const linearLearner: Learner = {
  async fit(input, host) {
    const { task, classes, frame, rows, validationRows, targetsOf, args: a, seed, deadline } = input;
    const l2 = a.l2 ?? linearDefaultL2;
    const maxIterations = a.maxIterations ?? 300;
    const prep = fitPreprocessor(frame, rows, a.target, excludedColumns(a));
    const trainDesign = designFromFrame(prep, frame, rows);
    const validationDesign = designFromFrame(prep, frame, validationRows);
    const reply = await host.runWorker(
      {
        seq: host.nextSeq(),
        type: 'fit-linear',
        task,
        classes: classes?.length ?? 0,
        l2,
        maxIterations,
        train: trainDesign,
        trainTargets: targetsOf(rows),
        validation: validationDesign,
        validationTargets: targetsOf(validationRows),
        cancel: host.cancel,
        deadline,
      },
      input.label,
    );
    if (reply.type !== 'result') throw new HearthError('INTERNAL', 'unexpected worker reply');
    const linear: LinearModel = {
      format: 'hearth.linear/1',
      task,
      target: a.target,
      classes,
      preprocessor: prep,
      outputs: reply.outputs,
      dimension: trainDesign.dimension,
      weights: Array.from(reply.weights),
      intercepts: Array.from(reply.intercepts),
      designMeans: designColumnMeans(trainDesign),
    };
    return {
      model: linear,
      params: { l2, maxIterations, seed, validationFraction: input.validationFraction, testFraction: input.testFraction },
      fitReport: {
        iterations: reply.iterations,
        converged: reply.converged,
        ignoredColumns: prep.ignored,
        features: prep.features.map((f) => ({ name: f.name, kind: f.kind })),
        coefficients: topCoefficients(linear),
      },
      workerCpuMs: reply.cpuMs,
    };
  },
  searchGrid: { l2: [1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1] },
  decideDefaults: (args) => args,
  earlyStopsInSearch: () => false,
  takesClassWeights: false,
  fixedIterations: (args) => args,
  // Exact linear SHAP: w·(x − E[x]).
  shapSummary: (model, raw) => (model.format === 'hearth.linear/1' ? linearShapSummary(model, raw()) : null),
};

function topCoefficients(model: LinearModel): { feature: string; output: string; weight: number }[] {
  const names: string[] = [];
  for (const f of model.preprocessor.features) {
    if (f.kind === 'numeric') names.push(f.name);
  }
  for (const f of model.preprocessor.features) {
    if (f.kind === 'categorical') for (const c of f.categories) names.push(`${f.name}=${c}`);
  }
  const outputs =
    model.task === 'multiclass' ? (model.classes ?? []) : [model.task === 'binary' ? (model.classes?.[1] ?? '') : model.target];
  const all: { feature: string; output: string; weight: number }[] = [];
  for (let c = 0; c < model.outputs; c++) {
    for (let j = 0; j < model.dimension; j++)
      all.push({ feature: names[j]!, output: outputs[c]!, weight: model.weights[c * model.dimension + j]! });
  }
  return all.sort((p, q) => Math.abs(q.weight) - Math.abs(p.weight)).slice(0, 25);
}
