import { HearthError } from '../../contracts/errors.js';
import type { EnsembleModel } from '../ensemble-model.js';
import type { LinearModel } from '../linear-model.js';
import type { MlpModel } from '../mlp-model.js';
import type { TrainedModel } from '../model.js';
import type { RawInputs } from '../preprocess.js';
import type { TreeModel } from '../tree-model.js';
import { keepMembers } from './ensemble.js';
import { linearToFloat32, sparsifyLinear } from './linear.js';
import type { Targets } from './loss.js';
import { mlpToFloat16, mlpToInt8, pruneDeadUnits } from './mlp.js';
import {
  dropUnusedFeatures,
  keepTrees,
  pruneOnValidation,
  lossByRound,
  treeContributions,
  treeRounds,
  treesToFloat32,
  truncateRounds,
  usedFeatures,
} from './trees.js';

/**
 * A variant is named by its steps, joined by "+", applied in order to the original model:
 *   rounds-N   the first N boosting rounds            prune-N   the N trees kept by pruning on validation
 *   narrow     drop the features no tree uses          f32       float32 thresholds and leaves (trees), weights (linear)
 *   f16        float16 weights (MLP)                   int8      int8 weights, activations quantised per row (MLP)
 *   dead       hidden units that never fire removed    l1-P      L1 soft-threshold zeroing about P% of weights
 *   members-K  the K heaviest ensemble members     leaves-N  the run refitted with N leaves per tree (first)
 * The name is the recipe: choosing a variant recomputes it from the original model and the same rows.
 */
export interface Variant {
  id: string;
  /** For people and the lineage: "float32, 61 of 100 trees". */
  description: string;
  model: TrainedModel;
  /** Pruning's own record: the validation loss before and after (what it promises not to exceed). */
  validationLoss?: { before: number; after: number };
}

/** The rows a variant is shaped on: validation rows (pruning, the best round) and a sample of training rows. */
export interface CompressRows {
  validation: { raw: RawInputs; targets: Targets } | null;
  training: RawInputs | null;
}

type Step =
  { kind: 'rounds' | 'prune' | 'members' | 'l1' | 'leaves'; n: number } | { kind: 'narrow' | 'f32' | 'f16' | 'int8' | 'dead' };

const stepPattern = /^(?:(rounds|prune|members|l1|leaves)-([1-9][0-9]{0,5})|(narrow|f32|f16|int8|dead))$/;

export function parseVariant(id: string): Step[] {
  if (id.length === 0 || id.length > 200) throw new HearthError('VALIDATION_FAILED', 'a variant is named by 1 to 200 characters');
  const steps = id.split('+').map((part): Step => {
    const m = stepPattern.exec(part);
    if (m === null)
      throw new HearthError(
        'VALIDATION_FAILED',
        `"${part}" is not a compression step (rounds-N, prune-N, narrow, f32, f16, int8, dead, l1-P, members-K, leaves-N)`,
      );
    return m[1] !== undefined
      ? { kind: m[1] as 'rounds' | 'prune' | 'members' | 'l1' | 'leaves', n: Number(m[2]) }
      : { kind: m[3] as 'narrow' | 'f32' | 'f16' | 'int8' | 'dead' };
  });
  // A step applied twice is not idempotent for every learner: int8 again quantises the first int8's integers and
  // drops its scales, f16 after int8 reads those integers as weights; each would register a model that answers
  // nonsense under a name that looks like a recipe. Each step comes once, and the weights are quantised once.
  const kinds = steps.map((s) => s.kind);
  const twice = kinds.find((k, i) => kinds.indexOf(k) !== i);
  if (twice !== undefined) throw new HearthError('VALIDATION_FAILED', `"${twice}" comes once in a variant, not twice`);
  if (kinds.includes('f16') && kinds.includes('int8'))
    throw new HearthError('VALIDATION_FAILED', 'a variant takes f16 or int8, not both: the weights are quantised once');
  return steps;
}

/**
 * A recipe that starts with a refit (leaves-N): N and the steps after it (null when none). Null when the recipe does
 * not start with one. The refit trains, so the compressor does it; applyVariant applies the rest to the refitted model.
 */
export function refitStep(id: string): { leaves: number; rest: string | null } | null {
  const steps = parseVariant(id);
  const first = steps[0]!;
  if (first.kind !== 'leaves') return null;
  const plus = id.indexOf('+');
  return { leaves: first.n, rest: plus < 0 ? null : id.slice(plus + 1) };
}

/** The pruning path: from all trees, the cheapest 5% of those left removed at each step (never fewer than one). */
interface PrunePath {
  counts: number[];
  kept: Map<number, number[]>;
  loss: Map<number, number>;
  fullLoss: number;
}
const pathCache = new WeakMap<TreeModel, WeakMap<CompressRows, PrunePath>>();

function prunePath(model: TreeModel, rows: CompressRows): PrunePath {
  let byRows = pathCache.get(model);
  if (byRows === undefined) pathCache.set(model, (byRows = new WeakMap()));
  const cached = byRows.get(rows);
  if (cached !== undefined) return cached;
  if (rows.validation === null) throw new HearthError('VALIDATION_FAILED', 'pruning needs validation rows; this run kept none');
  if (model.aggregation !== 'sum')
    throw new HearthError('NOT_SUPPORTED', 'a forest is not pruned on validation (its trees are alike): use rounds-N');
  const { raw, targets } = rows.validation;
  const parts = treeContributions(model, raw);
  // The counts on the path are fixed by the number of trees alone, so a chosen prune-N is the one evaluated.
  const counts: number[] = [];
  for (let left = model.trees.length; left > 1;) {
    left -= Math.max(1, Math.ceil(left * 0.05));
    counts.push(left);
  }
  const path = pruneSteps(model, parts, targets, counts);
  byRows.set(rows, path);
  return path;
}

function pruneSteps(model: TreeModel, parts: Float64Array[], targets: Targets, counts: number[]): PrunePath {
  const kept = new Map<number, number[]>();
  const loss = new Map<number, number>();
  const result = pruneOnValidation(model, parts, targets, counts);
  for (const [count, step] of result.steps) {
    kept.set(count, step.kept);
    loss.set(count, step.loss);
  }
  return { counts, kept, loss, fullLoss: result.fullLoss };
}

/** The validation-optimal number of rounds (the fewest that reach the lowest loss). */
export function bestRound(model: TreeModel, rows: CompressRows): number {
  if (rows.validation === null || model.aggregation !== 'sum') return treeRounds(model);
  const losses = lossByRound(model, treeContributions(model, rows.validation.raw), rows.validation.targets);
  let best = 0;
  losses.forEach((l, r) => {
    if (l < losses[best]!) best = r;
  });
  return best + 1;
}

/** Applies a variant's steps to the original model. */
export function applyVariant(original: TrainedModel, id: string, rows: CompressRows): Variant {
  const steps = parseVariant(id);
  let model: TrainedModel = original;
  const words: string[] = [];
  let validationLoss: Variant['validationLoss'];
  const trees = (what: string): TreeModel => {
    if (model.format !== 'hearth.trees/1') throw new HearthError('VALIDATION_FAILED', `${what} applies to tree models only`);
    return model;
  };
  const mlp = (what: string): MlpModel => {
    if (model.format !== 'hearth.mlp/1') throw new HearthError('VALIDATION_FAILED', `${what} applies to MLPs only`);
    return model;
  };
  let countSteps = 0;
  for (const step of steps) {
    switch (step.kind) {
      case 'rounds': {
        const t = trees('rounds-N');
        if (countSteps++ > 0) throw new HearthError('VALIDATION_FAILED', 'one of rounds-N and prune-N per variant');
        model = truncateRounds(t, step.n);
        words.push(`first ${step.n} of ${treeRounds(t)} rounds (${model.trees.length} of ${t.trees.length} trees)`);
        break;
      }
      case 'prune': {
        const t = trees('prune-N');
        if (countSteps++ > 0 || t !== original) throw new HearthError('VALIDATION_FAILED', 'prune-N comes first, once');
        const path = prunePath(t, rows);
        const kept = path.kept.get(step.n);
        if (kept === undefined)
          throw new HearthError(
            'VALIDATION_FAILED',
            `prune-${step.n} is not on the pruning path of ${t.trees.length} trees (it keeps ${path.counts.slice(0, 40).join(', ')}…)`,
          );
        model = keepTrees(t, kept);
        validationLoss = { before: path.fullLoss, after: path.loss.get(step.n)! };
        words.push(`${step.n} of ${t.trees.length} trees (pruned on validation)`);
        break;
      }
      case 'narrow': {
        const t = trees('narrow');
        model = dropUnusedFeatures(t);
        words.push(`${usedFeatures(t).length} of ${t.features.length} features`);
        break;
      }
      case 'f32':
        if (model.format === 'hearth.trees/1') model = treesToFloat32(model);
        else if (model.format === 'hearth.linear/1') model = linearToFloat32(model);
        else throw new HearthError('VALIDATION_FAILED', 'f32 applies to tree and linear models');
        words.push('float32');
        break;
      case 'f16':
        model = mlpToFloat16(mlp('f16'));
        words.push('float16 weights');
        break;
      case 'int8':
        model = mlpToInt8(mlp('int8'));
        words.push('int8 weights, activations quantised per row');
        break;
      case 'dead': {
        const m = mlp('dead');
        if (m.weights !== undefined) throw new HearthError('VALIDATION_FAILED', 'dead comes before f16 or int8');
        if (rows.training === null) throw new HearthError('VALIDATION_FAILED', 'dead-unit pruning needs training rows');
        const pruned = pruneDeadUnits(m, rows.training);
        if (pruned === null) throw new HearthError('VALIDATION_FAILED', 'no hidden unit is dead on the training rows');
        model = pruned.model;
        words.push(`${pruned.hidden - pruned.removed} of ${pruned.hidden} hidden units (dead ones removed)`);
        break;
      }
      case 'l1': {
        if (model.format !== 'hearth.linear/1') throw new HearthError('VALIDATION_FAILED', 'l1-P applies to linear models');
        if (step.n >= 100) throw new HearthError('VALIDATION_FAILED', 'l1-P takes a percentage below 100');
        const before: LinearModel = model;
        const s = sparsifyLinear(before, step.n / 100);
        model = s.model;
        words.push(
          `L1 soft-threshold: ${s.zero} of ${s.model.weights.length} weights zero, ${s.features} of ${before.preprocessor.features.length} features`,
        );
        break;
      }
      case 'leaves':
        // The compressor refits first and applies the rest here: a refit anywhere else is misplaced.
        throw new HearthError('VALIDATION_FAILED', 'leaves-N comes first, once (it refits the run)');
      case 'members': {
        if (model.format !== 'hearth.ensemble/1') throw new HearthError('VALIDATION_FAILED', 'members-K applies to ensembles');
        const e: EnsembleModel = model;
        model = keepMembers(e, step.n);
        words.push(`${step.n} of ${e.members.length} members`);
        break;
      }
    }
  }
  return { id, description: words.join(', '), model, ...(validationLoss === undefined ? {} : { validationLoss }) };
}

/** The candidate variants worth evaluating for a model: one set per learner (see the step list above). */
export function candidateIds(model: TrainedModel, rows: CompressRows): string[] {
  const ids: string[] = [];
  if (model.format === 'hearth.trees/1') {
    const narrow = usedFeatures(model).length < model.features.length;
    ids.push('f32');
    if (narrow) ids.push('narrow', 'narrow+f32');
    const R = treeRounds(model);
    const counts = new Set<string>();
    const best = bestRound(model, rows);
    if (best < R) counts.add(`rounds-${best}`);
    for (const share of [0.5, 0.25]) {
      const r = Math.max(1, Math.round(R * share));
      if (r < R) counts.add(`rounds-${r}`);
    }
    if (model.aggregation === 'sum' && rows.validation !== null && model.trees.length > 1) {
      const path = prunePath(model, rows);
      for (const share of [0.75, 0.5, 0.33, 0.25, 0.15]) {
        const goal = model.trees.length * share;
        const nearest = path.counts.reduce((a, b) => (Math.abs(b - goal) < Math.abs(a - goal) ? b : a));
        counts.add(`prune-${nearest}`);
      }
    }
    for (const c of counts) ids.push(c, `${c}+narrow+f32`);
  } else if (model.format === 'hearth.mlp/1') {
    ids.push('f16', 'int8');
    if (rows.training !== null && pruneDeadUnits(model, rows.training) !== null) ids.push('dead', 'dead+f16', 'dead+int8');
  } else if (model.format === 'hearth.linear/1') {
    ids.push('f32', 'l1-50', 'l1-75', 'l1-90', 'l1-90+f32');
  } else {
    for (let k = model.members.length - 1; k >= 1; k--) ids.push(`members-${k}`);
  }
  return [...new Set(ids)];
}
