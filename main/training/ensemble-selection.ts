import type { PredictionMatrix } from '../models/linear-model.js';
import { blendPredictions } from '../models/ensemble-model.js';

/**
 * Ensemble selection (Caruana et al., 2004): greedy forward selection with replacement over the candidates'
 * out-of-fold predictions. Starts from the best single candidate; each round adds the candidate whose addition
 * scores best; the best blend seen in any round wins. Weights are selection counts over their total.
 * `score` must be higher-is-better. Returns the weights (one per candidate) and the blend's score.
 */
export function selectEnsemble(
  candidates: readonly PredictionMatrix[],
  score: (prediction: PredictionMatrix) => number,
  rounds = 20,
): { weights: number[]; score: number } {
  const singles = candidates.map(score);
  let first = 0;
  singles.forEach((s, i) => {
    if (s > singles[first]!) first = i;
  });
  const counts = new Array<number>(candidates.length).fill(0);
  counts[first] = 1;
  let best = { counts: [...counts], score: singles[first]! };
  const weightsOf = (c: number[]): number[] => {
    const total = c.reduce((s, v) => s + v, 0);
    return c.map((v) => v / total);
  };
  for (let round = 1; round < rounds; round++) {
    let pick = -1;
    let pickScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < candidates.length; c++) {
      counts[c]!++;
      const blended = score(blendPredictions([...candidates], weightsOf(counts)));
      counts[c]!--;
      if (blended > pickScore) {
        pickScore = blended;
        pick = c;
      }
    }
    counts[pick]!++;
    if (pickScore > best.score) best = { counts: [...counts], score: pickScore };
  }
  return { weights: weightsOf(best.counts), score: best.score };
}

/** The rows `indices` of a prediction matrix. */
export function takePrediction(prediction: PredictionMatrix, indices: Int32Array): PredictionMatrix {
  if (prediction.kind === 'regression')
    return { kind: 'regression', values: Float64Array.from(indices, (i) => prediction.values[i]!) };
  const k = prediction.classes.length;
  const probabilities = new Float64Array(indices.length * k);
  indices.forEach((i, row) => probabilities.set(prediction.probabilities.subarray(i * k, i * k + k), row * k));
  return { kind: 'classification', classes: prediction.classes, probabilities };
}
