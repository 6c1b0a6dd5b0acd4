import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boostingWithinNoise,
  chooseWithinNoise,
  linearPenaltyPath,
  regularisedWithinNoise,
  type BoardNoise,
  strongerLinearPenalties,
} from '../../main/training/one-standard-error.js';
import type { Candidate, LeaderboardEntry } from '../../main/training/train-args.js';

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

// The board as the search leaves it, sorted by rank (log loss, lower is better).
const linearEntry = (trial: number, l2: number | undefined, cv: number, cvStd: number, folds = 3): LeaderboardEntry => ({
  trial,
  algorithm: 'linear',
  params: l2 === undefined ? { algorithm: 'linear' } : { algorithm: 'linear', l2 },
  cvMetric: cv,
  cvStd,
  cv_folds: Array.from({ length: folds }, () => cv),
  fitSeconds: 0.01,
});
const rankOf = (e: LeaderboardEntry): number => e.cvCalibrated ?? e.cvMetric;
/** The search's reading of a board of log losses: each entry's standard error from its own folds' spread. */
const noise = (
  eligible: (e: LeaderboardEntry) => boolean = () => true,
  fullRows: (e: LeaderboardEntry) => boolean = () => true,
): BoardNoise => ({
  rankOf,
  better,
  eligible,
  standardError: (e) => e.cvStd / Math.sqrt(e.cv_folds?.length ?? 3),
  fullRows,
});

void test('a linear leader gives way to the linear candidate within one standard error of it nearest the prior', () => {
  // Wine, seed 1, three folds of ~95 fitted rows (prior L2 1/95): L2 1e-5 at 0.0218 with std 0.0223 (standard error
  // 0.0129); 1e-4 at 0.0238 and 1e-3 at 0.032 are within it, 1e-2 at 0.0623 is not. 1e-3 is nearest the prior.
  const board = [
    linearEntry(3, 1e-5, 0.0218, 0.0223),
    linearEntry(1, undefined, 0.0238, 0.0178),
    linearEntry(4, 1e-3, 0.032, 0.0135),
    { ...linearEntry(2, undefined, 0.05, 0.01), algorithm: 'gbdt', params: { algorithm: 'gbdt' } } as LeaderboardEntry,
    linearEntry(5, 1e-2, 0.0623, 0.0083),
  ];
  const rule = regularisedWithinNoise(board, noise(), 1 / 95);
  assert.deepEqual(rule.entry, { algorithm: 'linear', l2: 1e-3 });
  assert.match(
    rule.note!,
    /^search: linear with L2 0\.001 chosen over L2 0\.00001: within one standard error.*nearer the prior L2 0\.011/,
  );
  // The grid's stronger penalties not yet scored: the half-decades and 1e-1 (1e-4 is the default's, scored; 1e-3
  // and 1e-2 too).
  assert.deepEqual(strongerLinearPenalties(board[0]!.params as Candidate, board), [3e-4, 3e-3, 3e-2, 0.1]);
  assert.deepEqual(strongerLinearPenalties({ algorithm: 'linear', l2: 1e-3 }, [board[0]!]), [3e-3, 1e-2, 3e-2, 1e-1]);
});

void test('a clear lead stands, a linear candidate with other parameters is not a penalty step, a tree leader is left alone', () => {
  // 1e-3 trails by 0.01, past the standard error 0.0058.
  const clear = [linearEntry(1, 1e-4, 0.05, 0.01), linearEntry(2, 1e-3, 0.06, 0.01)];
  assert.deepEqual(regularisedWithinNoise(clear, noise(), 1e-2), { entry: null, note: null });
  const weighted = [
    linearEntry(1, 1e-4, 0.05, 0.01),
    {
      ...linearEntry(2, 1e-2, 0.0501, 0.01),
      params: { algorithm: 'linear', l2: 1e-2, classWeight: 'balanced' },
    } as LeaderboardEntry,
  ];
  assert.equal(regularisedWithinNoise(weighted, noise(), 1e-2).entry, null);
  // A tree leader with a clear lead over every linear candidate (0.02 behind, past its standard error 0.0058) stays.
  const trees = [
    { ...linearEntry(1, undefined, 0.04, 0.01), algorithm: 'gbdt', params: { algorithm: 'gbdt' } } as LeaderboardEntry,
  ];
  assert.deepEqual(regularisedWithinNoise([...trees, linearEntry(2, 1e-2, 0.06, 0.01)], noise(), 1e-2), {
    entry: null,
    note: null,
  });
});

void test('a leader nearest the prior stands; the prior can step to a weaker penalty as well as a stronger one', () => {
  // Breast cancer, seed 3, three folds of ~303 fitted rows (prior 0.0033): L2 3e-3 led at 0.0877 ± 0.0386 (standard
  // error 0.0223); 1e-2 at 0.0922 and 3e-2 at 0.1089 are within it, but 3e-3 is the nearest the prior: it stays (the
  // strongest within the error, 3e-2, scored 0.081 on the test rows against 3e-3's 0.042).
  const board = [linearEntry(2, 3e-3, 0.0877, 0.0386), linearEntry(3, 1e-2, 0.0922, 0.03), linearEntry(4, 3e-2, 0.1089, 0.02)];
  assert.deepEqual(regularisedWithinNoise(board, noise(), 1 / 303), { entry: null, note: null });
  // A strongly penalised leader with a weaker equal nearer the prior gives way to it.
  const strong = [linearEntry(1, 1e-1, 0.05, 0.03), linearEntry(2, 1e-2, 0.055, 0.03), linearEntry(3, 1e-4, 0.056, 0.03)];
  assert.deepEqual(regularisedWithinNoise(strong, noise(), 2e-4).entry, { algorithm: 'linear', l2: 1e-4 });
  // Equally near (1e-3 is a decade from both): the stronger.
  assert.deepEqual(regularisedWithinNoise(strong, noise(), 1e-3).entry, { algorithm: 'linear', l2: 1e-2 });
  assert.deepEqual(regularisedWithinNoise(strong, noise(), 2e-2).entry, { algorithm: 'linear', l2: 1e-2 });
});

void test('a cheap linear model’s whole penalty path is queued, weakest first, without the first candidate’s own', () => {
  assert.deepEqual(
    linearPenaltyPath({ algorithm: 'linear' }).map((c) => c.l2),
    [1e-5, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
  );
  assert.ok(linearPenaltyPath({ algorithm: 'linear', l2: 3e-3 }).every((c) => c.algorithm === 'linear' && c.l2 !== 3e-3));
});

void test('the choice: the leader, or the penalty rule’s equal among the candidates within the limits', () => {
  const wine = [
    linearEntry(3, 1e-5, 0.0218, 0.0223),
    linearEntry(1, undefined, 0.0238, 0.0178),
    linearEntry(4, 1e-3, 0.032, 0.0135),
  ];
  const rule = chooseWithinNoise(wine, noise(), 1 / 95);
  assert.deepEqual(rule.choice, { algorithm: 'linear', l2: 1e-3 });
  assert.deepEqual(rule.leader, { algorithm: 'linear', l2: 1e-5 });
  assert.equal(rule.stepped, true);
  assert.equal(rule.notes.length, 1);
  // Over the limits, the rule's candidate is not chosen: the nearest the prior among the eligible ones is (the
  // default L2 1e-4 is nearer 1/95 than 1e-5).
  const small = chooseWithinNoise(
    wine,
    noise((e) => (e.params as Candidate).l2 !== 1e-3),
    1 / 95,
  );
  assert.deepEqual(small.choice, { algorithm: 'linear' });
  assert.equal(small.stepped, true);
  // Nor is an ineligible leader: the best eligible candidate is chosen, and the rule stands aside.
  assert.deepEqual(
    chooseWithinNoise(
      wine,
      noise((e) => e.trial !== 3),
      1 / 95,
    ),
    {
      choice: { algorithm: 'linear' },
      leader: { algorithm: 'linear' },
      stepped: false,
      notes: [],
    },
  );
});

void test('a leader that is not linear gives way to the linear candidate within one standard error of it nearest the prior', () => {
  // Breast cancer, outer split 4, five folds: the default MLP led at 0.0608 ± 0.0236 (standard error 0.0236/√5 =
  // 0.0106), boosting 0.0629, linear L2 3e-3 0.0672 and 1e-2 0.0701: both within the error, 3e-3 nearest the prior
  // 1/364. On the test rows the MLP scored 0.151 and the linear model 0.126 (logistic regression, the best peer: 0.127).
  const mlp: LeaderboardEntry = {
    ...linearEntry(4, undefined, 0.0608, 0.0236, 5),
    algorithm: 'mlp',
    params: { algorithm: 'mlp' },
  };
  const gbdt: LeaderboardEntry = {
    ...linearEntry(1, undefined, 0.0629, 0.0261, 5),
    algorithm: 'gbdt',
    params: { algorithm: 'gbdt' },
  };
  const board = [mlp, gbdt, linearEntry(9, 3e-3, 0.0672, 0.0227, 5), linearEntry(2, 1e-2, 0.0701, 0.02, 5)];
  const rule = chooseWithinNoise(board, noise(), 1 / 364);
  assert.deepEqual(rule.choice, { algorithm: 'linear', l2: 3e-3 });
  assert.deepEqual(rule.leader, { algorithm: 'mlp' });
  assert.equal(rule.stepped, true);
  assert.match(
    rule.notes[0]!,
    /^search: linear with L2 0\.003 chosen over mlp: within one standard error across folds of the best \(0\.0672 against 0\.0608 ± 0\.011\), the simpler model/,
  );
  // Over a limit, or scored on a share of the rows only, a linear candidate is passed over for the next within the error.
  assert.deepEqual(
    chooseWithinNoise(
      board,
      noise((e) => e.trial !== 9),
      1 / 364,
    ).choice,
    { algorithm: 'linear', l2: 1e-2 },
  );
  assert.deepEqual(
    chooseWithinNoise(
      board,
      noise(undefined, (e) => e.trial !== 9),
      1 / 364,
    ).choice,
    {
      algorithm: 'linear',
      l2: 1e-2,
    },
  );
  // A leader scored on a share of the rows only is not compared at all.
  assert.equal(
    chooseWithinNoise(
      board,
      noise(undefined, (e) => e.trial !== 4),
      1 / 364,
    ).stepped,
    false,
  );
  // The standard error is the search's, in the rank's units: a tighter spread (the calibrated folds') keeps the lead.
  assert.equal(chooseWithinNoise(board, { ...noise(), standardError: () => 0.005 }, 1 / 364).stepped, false);
  // A clear lead stands (wine, outer split 3: boosting 0.0366 ± 0.015, linear 0.108), as does a board without a
  // linear one, and a linear candidate whose score is not a number.
  const wine = [{ ...gbdt, cvMetric: 0.0366, cvStd: 0.015 }, linearEntry(2, 1e-2, 0.108, 0.02, 5)];
  assert.deepEqual(chooseWithinNoise(wine, noise(), 1 / 114), {
    choice: { algorithm: 'gbdt' },
    leader: { algorithm: 'gbdt' },
    stepped: false,
    notes: [],
  });
  assert.equal(chooseWithinNoise([mlp, gbdt], noise(), 1 / 364).stepped, false);
  assert.equal(chooseWithinNoise([mlp, linearEntry(9, 3e-3, Number.NaN, 0.02, 5)], noise(), 1 / 364).stepped, false);
  // Higher is better (ROC AUC): a linear candidate 0.004 behind a leader at 0.95 ± 0.0112 (standard error 0.005).
  const auc = [{ ...mlp, cvMetric: 0.95, cvStd: 0.0112 }, linearEntry(9, 3e-3, 0.946, 0.01, 5)];
  const higher: BoardNoise = { ...noise(), better: (a, b) => b - a };
  assert.deepEqual(chooseWithinNoise(auc, higher, 1 / 364).choice, { algorithm: 'linear', l2: 3e-3 });
  assert.equal(chooseWithinNoise([auc[0]!, linearEntry(9, 3e-3, 0.94, 0.01, 5)], higher, 1 / 364).stepped, false);
});
