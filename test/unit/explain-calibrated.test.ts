import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Prediction } from '../../main/contracts/api.js';
import { explainModel, inCalibratedSpace } from '../../main/models/explain.js';
import { predictModel } from '../../main/models/model.js';
import { knownLinear } from '../fixtures/known-linear.js';

const logit = (p: number): number => Math.log(p / (1 - p));
const sum = (e: { expectedValue: number; contributions: Record<string, number> }): number =>
  e.expectedValue + Object.values(e.contributions).reduce((s, v) => s + v, 0);

describe('explanations of a calibrated model', () => {
  // x1 = 3 (scaled (3 − 1)/2 = 1), colour green: margin 0.2 + 0.8·1 + 1·(−0.3) = 0.7 (weights 0.8 | 0.5, −0.3, 1.1).
  const raw = { rows: 1, numeric: [Float64Array.of(3)], categorical: [['green']] };
  const predictions: Prediction[] = [{ label: 'good', probabilities: { bad: 0.3, good: 0.7 } }];

  it('Platt: contributions scale by a, the base value is a·E + b, and they add up to the served log-odds', () => {
    const plain = explainModel(knownLinear(0.2), raw, predictions, 'm')[0]!;
    assert.equal(plain.calibrated, undefined);
    assert.ok(Math.abs(sum(plain) - 0.7) < 1e-12, `${sum(plain)}`);
    const model = { ...knownLinear(0.2), calibrator: { kind: 'platt' as const, a: 0.5, b: -0.3 } };
    const e = explainModel(model, raw, predictions, 'm')[0]!;
    assert.equal(e.calibrated, true);
    // 0.5·0.7 − 0.3 = 0.05: the log-odds of the probability the model serves.
    assert.ok(Math.abs(sum(e) - 0.05) < 1e-12, `${sum(e)}`);
    const served = predictModel(model, raw);
    assert.ok(served.kind === 'classification');
    assert.ok(Math.abs(sum(e) - logit(served.probabilities[1]!)) < 1e-9);
    assert.ok(Math.abs(e.expectedValue - (0.5 * plain.expectedValue - 0.3)) < 1e-12);
    for (const [k, v] of Object.entries(plain.contributions)) assert.ok(Math.abs(e.contributions[k]! - 0.5 * v) < 1e-12, k);
  });

  it('isotonic has no additive form: the margin is explained as it was, and the answer says so', () => {
    const plain = explainModel(knownLinear(0.2), raw, predictions, 'm')[0]!;
    const model = { ...knownLinear(0.2), calibrator: { kind: 'isotonic' as const, x: [0.1, 0.9], y: [0.2, 0.8] } };
    const e = explainModel(model, raw, predictions, 'm')[0]!;
    assert.equal(e.calibrated, false);
    assert.deepEqual(e.contributions, plain.contributions);
    assert.equal(e.expectedValue, plain.expectedValue);
  });

  it('temperature divides a softmax logit and its contributions by T; a probability-space forest is left as it is', () => {
    const logitSpace = {
      output: 'b',
      space: 'softmax-logit' as const,
      method: 'treeshap' as const,
      expectedValue: 1.2,
      contributions: { u: 0.6, v: -0.2 },
    };
    const [e] = inCalibratedSpace({ kind: 'temperature', temperature: 2 }, [logitSpace]);
    assert.deepEqual(e, { ...logitSpace, expectedValue: 0.6, contributions: { u: 0.3, v: -0.1 }, calibrated: true });
    const [f] = inCalibratedSpace({ kind: 'temperature', temperature: 2 }, [{ ...logitSpace, space: 'probability' }]);
    assert.equal(f!.calibrated, false);
    assert.equal(f!.expectedValue, 1.2);
  });
});
