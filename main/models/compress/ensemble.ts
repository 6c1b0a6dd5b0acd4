import { HearthError } from '../../contracts/errors.js';
import type { EnsembleModel } from '../ensemble-model.js';

/** The `count` members of largest weight (in their order), their weights rescaled to sum to 1. */
export function keepMembers(model: EnsembleModel, count: number): EnsembleModel {
  if (!Number.isInteger(count) || count < 1 || count > model.members.length)
    throw new HearthError('VALIDATION_FAILED', `members must be 1…${model.members.length}, not ${count}`);
  const kept = model.members
    .map((_, m) => m)
    .sort((a, b) => model.weights[b]! - model.weights[a]! || a - b)
    .slice(0, count)
    .sort((a, b) => a - b);
  const total = kept.reduce((s, m) => s + model.weights[m]!, 0);
  return {
    ...model,
    members: kept.map((m) => model.members[m]!),
    weights: kept.map((m) => (total > 0 ? model.weights[m]! / total : 1 / count)),
  };
}
