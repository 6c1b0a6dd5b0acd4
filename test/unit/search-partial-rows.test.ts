import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boostingWithinNoise } from '../../main/training/search.js';

// Log loss: lower is better.
const better = (a: number, b: number): number => a - b;
const entry = (algorithm: string, folds: number[]) => {
  const mean = folds.reduce((a, b) => a + b, 0) / folds.length;
  const std = Math.sqrt(folds.reduce((a, b) => a + (b - mean) ** 2, 0) / (folds.length - 1));
  return { candidate: { algorithm }, result: { mean, std, folds } };
};

void test('an MLP that leads boosting by less than one standard error on a share of the rows gives way to boosting', () => {
  // MLP folds 0.254, 0.256, 0.258: mean 0.256, std 0.002, standard error 0.002/√3 = 0.00115. Boosting trails by 0.0005.
  const mlp = entry('mlp', [0.254, 0.256, 0.258]);
  const gbdt = entry('gbdt', [0.2555, 0.2565, 0.2575]);
  const kept = boostingWithinNoise([mlp, gbdt], better);
  assert.deepEqual(kept.results, [gbdt]);
  assert.match(
    kept.note!,
    /^search: mlp led boosting by 0\.00050 on a share of the rows, less than one standard error across folds \(0\.0012\)/,
  );
});

void test('a clear lead stands, and a boosted leader or a board without boosting is left as it is', () => {
  const mlp = entry('mlp', [0.25, 0.251, 0.252]);
  const gbdt = entry('gbdt', [0.26, 0.261, 0.262]);
  // Boosting trails by 0.01, far past the standard error 0.00058.
  assert.deepEqual(boostingWithinNoise([mlp, gbdt], better), { results: [mlp, gbdt], note: null });
  assert.deepEqual(boostingWithinNoise([gbdt, mlp], (a, b) => b - a).results, [gbdt, mlp]);
  const linear = entry('linear', [0.3, 0.31, 0.32]);
  assert.deepEqual(boostingWithinNoise([mlp, linear], better), { results: [mlp, linear], note: null });
});
