import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutOfFoldStore } from '../../main/training/out-of-fold.js';
import type { PredictionMatrix } from '../../main/models/linear-model.js';
import type { TrainedModel } from '../../main/models/model.js';
import type { Candidate } from '../../main/training/train-args.js';

const oof = (v: number): PredictionMatrix => ({ kind: 'regression', values: Float64Array.of(v) });
const model = {} as TrainedModel;

void test('keeps the best eight candidates’ predictions and fold models, and the best linear ones’ beyond them', () => {
  // Log loss: lower is better. Nine boosted candidates at 0.10…0.18 fill the best eight; a linear one at 0.2 ranks
  // tenth, behind all of them, and is still kept (the one-standard-error rule can choose it, and it is calibrated on
  // its own out-of-fold predictions).
  const store = new OutOfFoldStore((a, b) => a - b);
  const boosted: Candidate[] = Array.from({ length: 9 }, (_, i) => ({ algorithm: 'gbdt', trees: 10 * (i + 1) }));
  boosted.forEach((c, i) => store.keep(c, 0.1 + i / 100, oof(i), model));
  const linear: Candidate = { algorithm: 'linear', l2: 3e-3 };
  store.keep(linear, 0.2, oof(99), model);
  assert.deepEqual(
    store.best.map((k) => k.candidate),
    boosted.slice(0, 8),
  );
  assert.deepEqual(store.of(linear), oof(99));
  assert.equal(store.of(boosted[8]!), undefined);
  // Fold models only for the best eight: the ninth's was let go, the linear one's never kept.
  assert.equal(store.foldModel(boosted[0]!), model);
  assert.equal(store.foldModel(boosted[8]!), undefined);
  assert.equal(store.foldModel(linear), undefined);
  // A better candidate pushes the eighth out, and its fold model with it.
  store.keep({ algorithm: 'mlp' }, 0.05, oof(7), model);
  assert.equal(store.foldModel(boosted[7]!), undefined);
  assert.equal(store.of(boosted[7]!), undefined);
});
