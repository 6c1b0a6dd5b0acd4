import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learners } from '../../main/training/learners/index.js';
import { searchSpace, type TrainArgs } from '../../main/training/trainer.js';

const base: TrainArgs = { dataset: 'd', target: 'y', algorithm: 'gbdt' };

test('every algorithm has its learner, and only those', () => {
  assert.deepEqual(Object.keys(learners).sort(), ['forest', 'gbdt', 'linear', 'mlp']);
});

test('what the trainer asks of each learner matches what it did before the split', () => {
  // Only boosting holds out rows for early stopping inside a search's folds, and by default only for runs over 10,000
  // training rows (scikit-learn's rule): on wine's 114-row folds, 11 held-out rows stopped boosting at the wrong round.
  const earlyStoppers = (runRows: number, args: TrainArgs = base): string[] =>
    Object.entries(learners)
      .filter(([, l]) => l.earlyStopsInSearch(l.decideDefaults(args, runRows)))
      .map(([name]) => name);
  assert.deepEqual(earlyStoppers(10_001), ['gbdt']);
  assert.deepEqual(earlyStoppers(10_000), []);
  assert.deepEqual(earlyStoppers(142), []);
  // Asked for, at any size; turned off, at none.
  assert.deepEqual(earlyStoppers(142, { ...base, earlyStoppingRounds: 5 }), ['gbdt']);
  assert.deepEqual(earlyStoppers(50_000, { ...base, earlyStoppingRounds: 0 }), []);
  assert.equal(learners.gbdt.decideDefaults(base, 142).earlyStoppingRounds, 0);
  assert.equal(learners.gbdt.decideDefaults(base, 20_000).earlyStoppingRounds, 20);
  assert.equal(learners.mlp.decideDefaults({ ...base, algorithm: 'mlp' }, 142).earlyStoppingRounds, undefined);
  // Balanced class weights are compared for the learners that take them.
  assert.deepEqual(
    Object.entries(learners)
      .filter(([, l]) => l.takesClassWeights)
      .map(([name]) => name)
      .sort(),
    ['gbdt', 'mlp'],
  );
});

test('a refit repeats the early-stopped length without early stopping', () => {
  assert.deepEqual(learners.gbdt.fixedIterations(base, { bestRound: 37 }), { ...base, trees: 37, earlyStoppingRounds: 0 });
  assert.equal(learners.gbdt.fixedIterations(base, { bestRound: 0 }), base);
  const mlp: TrainArgs = { ...base, algorithm: 'mlp' };
  assert.deepEqual(learners.mlp.fixedIterations(mlp, { bestEpoch: 12 }), { ...mlp, epochs: 12, earlyStoppingRounds: 0 });
  assert.equal(learners.linear.fixedIterations({ ...base, algorithm: 'linear' }, { iterations: 9 }).algorithm, 'linear');
  assert.equal(learners.forest.fixedIterations({ ...base, algorithm: 'forest' }, { trees: 9 }).trees, undefined);
});

test('the search draws each learner’s parameters from that learner’s grid', () => {
  const draws = searchSpace(7);
  for (let i = 0; i < 14; i++) {
    const { algorithm, ...params } = draws.next().value as { algorithm: keyof typeof learners };
    const grid = learners[algorithm].searchGrid;
    for (const [key, value] of Object.entries(params)) {
      assert.ok(key in grid, `${algorithm}.${key} is in its grid`);
      assert.ok(grid[key]!.includes(value), `${algorithm}.${key}=${String(value)} is a grid value`);
    }
  }
});
