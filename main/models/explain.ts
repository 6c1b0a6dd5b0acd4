import type { Explanation, Prediction } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { Calibrator } from './calibration.js';
import { explainLinear } from './linear-model.js';
import type { StoredModel } from './model.js';
import type { RawInputs, Task } from './preprocess.js';
import { explainPredictions } from './treeshap.js';

/*
 * Which models can be explained, and how. What the API (models.predict with explain), the CLI (hearth explain) and
 * the console (the predict page's explain, the model page's note) all go through, so all three say the same.
 *
 * - Trees: exact path-dependent TreeSHAP (treeshap.ts), in margin space for gradient boosting.
 * - Linear and logistic models: exact linear SHAP, φ_j = w_j (x_j − E[x_j]) in the standardised, one-hot design,
 *   one-hot blocks summed into their raw feature; in log-odds (binary) or softmax-logit (multiclass) space.
 * - Ensembles: refused. Hearth's ensembles average their members' probabilities; members' contributions to their
 *   own log-odds do not add up through an average of sigmoids, so any combination would be an approximation
 *   presented as an explanation. (A regression blend is linear in its members' values, but members may be neural
 *   nets, which have no exact explainer here either; one honest rule for every ensemble.)
 * - Neural nets and imported ONNX graphs: refused; Hearth has no exact explainer for them.
 */

/** The kinds of model, as far as explaining them goes. */
type ExplainKind = 'trees' | 'linear' | 'ensemble' | 'mlp' | 'imported';

function kindOfModel(model: StoredModel): ExplainKind {
  switch (model.format) {
    case 'hearth.trees/1':
      return 'trees';
    case 'hearth.linear/1':
      return 'linear';
    case 'hearth.ensemble/1':
      return 'ensemble';
    case 'hearth.mlp/1':
      return 'mlp';
    case 'onnx.imported/1':
      return 'imported';
  }
}

/** A registered version's kind from its algorithm name (what the registry lists), null for a name not known here. */
function kindOfAlgorithm(algorithm: string): ExplainKind | null {
  if (algorithm === 'gbdt' || algorithm === 'forest') return 'trees';
  if (algorithm === 'onnx') return 'imported';
  return algorithm === 'linear' || algorithm === 'ensemble' || algorithm === 'mlp' ? algorithm : null;
}

function refusalOf(kind: ExplainKind, task: Task): string | null {
  switch (kind) {
    case 'trees':
    case 'linear':
      return null;
    case 'ensemble':
      return (
        'explanations for ensembles are not exact: this ensemble averages its members’ ' +
        (task === 'regression' ? 'values' : 'probabilities') +
        ', and SHAP values of its members’ margins do not add up through that blend; explain a member model instead'
      );
    case 'mlp':
      return 'neural network models carry no exact explainer (TreeSHAP is for trees, linear SHAP for linear models)';
    case 'imported':
      return 'imported ONNX graphs carry no explainer: Hearth runs the graph but has no model of its own to attribute it';
  }
}

/** Why a stored model cannot be explained, or null when it can. */
export function explainRefusal(model: StoredModel): string | null {
  // A linear model stored before its one-hot levels' training shares were kept has no exact E[x] for them: said
  // here too, so models.schema (the predict form) knows before a request is refused.
  if (
    model.format === 'hearth.linear/1' &&
    model.designMeans === undefined &&
    model.preprocessor.features.some((f) => f.kind === 'categorical')
  )
    return 'this linear model was stored without its training means for categorical levels (E[x] of linear SHAP): retrain it to explain it';
  return refusalOf(kindOfModel(model), model.task);
}

/**
 * The same answer from a registered version's algorithm and task, without loading the model: what the registry
 * lists, so the console can say why before anyone asks. Null (ask the server) for an algorithm not known here.
 */
export function explainRefusalOfAlgorithm(algorithm: string, task: Task): string | null {
  const kind = kindOfAlgorithm(algorithm);
  return kind === null ? null : refusalOf(kind, task);
}

/** What a model kind is called in messages. */
function kindOf(model: StoredModel): string {
  switch (model.format) {
    case 'hearth.trees/1':
      return `a ${model.algorithm} tree model`;
    case 'hearth.linear/1':
      return 'a linear model';
    case 'hearth.ensemble/1':
      return 'an ensemble';
    case 'hearth.mlp/1':
      return 'a neural network';
    case 'onnx.imported/1':
      return 'an imported ONNX graph';
  }
}

/** NOT_SUPPORTED, naming the model (`label`) and its kind and why, unless the model can be explained. */
export function assertExplainable(model: StoredModel, label: string): void {
  const refusal = explainRefusal(model);
  if (refusal !== null)
    throw new HearthError('NOT_SUPPORTED', `${label} is ${kindOf(model)}: ${refusal}`, { format: model.format });
}

/** Explanations of the predictions, or NOT_SUPPORTED naming the model's kind and why. */
export function explainModel(
  model: StoredModel,
  raw: RawInputs,
  predictions: readonly Prediction[],
  label: string,
): Explanation[] {
  const calibrator = 'calibrator' in model ? model.calibrator : undefined;
  return inCalibratedSpace(calibrator, explainMargins(model, raw, predictions, label));
}

/**
 * The explanations of a calibrated model moved into the space it serves from, where that is exact: Platt maps the
 * log-odds z to a·z + b, so every SHAP value scales by a and the base value becomes a·E + b; temperature divides
 * each log-probability by T, and softmax is unchanged by a per-row constant, so z/T is a logit of the served
 * probabilities (φ/T, E/T). Isotonic is not affine, nor is anything over a forest's averaged probability: those
 * stay in the model's own margin, and say so.
 */
export function inCalibratedSpace(calibrator: Calibrator | undefined, explanations: Explanation[]): Explanation[] {
  if (calibrator === undefined) return explanations;
  return explanations.map((e) => {
    const affine =
      calibrator.kind === 'platt' && e.space === 'log-odds'
        ? { scale: calibrator.a, shift: calibrator.b }
        : calibrator.kind === 'temperature' && e.space === 'softmax-logit'
          ? { scale: 1 / calibrator.temperature, shift: 0 }
          : null;
    if (affine === null) return { ...e, calibrated: false };
    return {
      ...e,
      expectedValue: affine.scale * e.expectedValue + affine.shift,
      contributions: Object.fromEntries(Object.entries(e.contributions).map(([k, v]) => [k, affine.scale * v])),
      calibrated: true,
    };
  });
}

function explainMargins(model: StoredModel, raw: RawInputs, predictions: readonly Prediction[], label: string): Explanation[] {
  assertExplainable(model, label);
  if (model.format === 'hearth.trees/1') return explainPredictions(model, raw, predictions);
  if (model.format !== 'hearth.linear/1') throw new HearthError('INTERNAL', `no explainer for ${model.format}`);
  const classes = model.classes ?? [];
  // The explained output: the value, the positive class's log-odds (binary, one margin), or the predicted class's
  // softmax logit (multiclass, one margin per class).
  const outputOf = (i: number): number => {
    const p = predictions[i]!;
    return model.task === 'multiclass' && 'label' in p ? Math.max(0, classes.indexOf(p.label)) : 0;
  };
  return explainLinear(model, raw, outputOf).map((e, i) => ({
    output:
      model.task === 'regression' ? model.target : model.task === 'binary' ? (classes[1] ?? '') : (classes[outputOf(i)] ?? ''),
    space: model.task === 'regression' ? 'value' : model.task === 'binary' ? 'log-odds' : 'softmax-logit',
    method: 'linear-shap',
    expectedValue: e.expectedValue,
    contributions: e.contributions,
  }));
}
