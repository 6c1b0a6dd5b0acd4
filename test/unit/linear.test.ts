import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Design } from '../../main/models/preprocess.js';
import { designFromRaw, linearMargins, rawInputsFromRecords } from '../../main/models/preprocess.js';
import { explainLinear, predictLinear, predictLinearDesign, type LinearModel } from '../../main/models/linear-model.js';
import { HearthError } from '../../main/contracts/errors.js';
import { explainRefusal } from '../../main/models/explain.js';
import { seededRandom } from '../../main/stats/random.js';
import { foldPairs, splitByScheme, splitRows, stratifiedFolds } from '../../main/training/split.js';
import { fitLinear, meanLoss } from '../../workers/linear/fit-linear.js';
import { searchSpace } from '../../main/training/trainer.js';

function gaussianDesign(rows: number, columns: number, seed: number): Design {
  const random = seededRandom(seed);
  const numeric = Array.from({ length: columns }, () => Float64Array.from({ length: rows }, () => random() * 2 - 1));
  return {
    rows,
    numeric,
    categorical: [Int32Array.from({ length: rows }, () => Math.floor(random() * 3))],
    offsets: [columns],
    dimension: columns + 3,
  };
}

/** Dense copy of a design: the reference solutions below use plain matrix algebra. */
function dense(design: Design): number[][] {
  return Array.from({ length: design.rows }, (_, i) => {
    const row = design.numeric.map((c) => c[i]!);
    design.categorical.forEach((codes, k) => {
      const width = (design.categorical[k + 1] === undefined ? design.dimension : design.offsets[k + 1]!) - design.offsets[k]!;
      for (let j = 0; j < width; j++) row.push(codes[i] === j ? 1 : 0);
    });
    return row;
  });
}

/** Solves A·x = b by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

describe('linear learner', () => {
  it('ridge regression equals the closed-form solution', () => {
    const design = gaussianDesign(400, 4, 11);
    const X = dense(design);
    const random = seededRandom(5);
    const y = Float64Array.from(X, (row) => 2 + 3 * row[0]! - 1.5 * row[1]! + 0.5 * row[4]! + 0.1 * (random() - 0.5));
    const l2 = 0.01;
    const fit = fitLinear(design, y, { task: 'regression', classes: 0, l2, maxIterations: 2000 });
    // Minimise (1/2n)‖y − Xw − b‖² + (λ/2)‖w‖²: with centred X and y, (XcᵀXc/n + λI) w = Xcᵀyc/n, b = ȳ − x̄ᵀw.
    const n = X.length;
    const d = X[0]!.length;
    const xMean = Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[j]!, 0) / n);
    const yMean = y.reduce((s, v) => s + v, 0) / n;
    const A = Array.from({ length: d }, (_, i) =>
      Array.from(
        { length: d },
        (_, j) => X.reduce((s, r) => s + (r[i]! - xMean[i]!) * (r[j]! - xMean[j]!), 0) / n + (i === j ? l2 : 0),
      ),
    );
    const rhs = Array.from({ length: d }, (_, i) => X.reduce((s, r, k) => s + (r[i]! - xMean[i]!) * (y[k]! - yMean), 0) / n);
    const w = solve(A, rhs);
    const b = yMean - w.reduce((s, wj, j) => s + wj * xMean[j]!, 0);
    w.forEach((wj, j) => assert.ok(Math.abs(fit.weights[j]! - wj) < 1e-6, `w${j}: ${fit.weights[j]} vs ${wj}`));
    assert.ok(Math.abs(fit.intercepts[0]! - b) < 1e-6);
    assert.ok(fit.converged);
  });

  it('logistic regression reaches the optimum: the penalised gradient vanishes', () => {
    const design = gaussianDesign(600, 3, 2);
    const random = seededRandom(9);
    const margins = linearMargins(design, Float64Array.from([2, -1, 0.5, 0.3, -0.6, 0]), Float64Array.from([0.2]), 1);
    const y = Int32Array.from(margins, (m) => (random() < 1 / (1 + Math.exp(-m)) ? 1 : 0));
    const l2 = 1e-3;
    const fit = fitLinear(design, y, { task: 'binary', classes: 2, l2, maxIterations: 1000 });
    const X = dense(design);
    const fitted = linearMargins(design, fit.weights, fit.intercepts, 1);
    const residual = Array.from(fitted, (m, i) => 1 / (1 + Math.exp(-m)) - y[i]!);
    for (let j = 0; j < design.dimension; j++) {
      const g = X.reduce((s, row, i) => s + residual[i]! * row[j]!, 0) / X.length + l2 * fit.weights[j]!;
      assert.ok(Math.abs(g) < 1e-6, `gradient ${j} = ${g}`);
    }
    assert.ok(Math.abs(residual.reduce((s, r) => s + r, 0) / X.length) < 1e-6);
    // And it recovers the generating direction.
    assert.ok(fit.weights[0]! > 1.2 && fit.weights[1]! < -0.5);
  });

  it('multinomial probabilities sum to one and the loss decreases monotonically', () => {
    const design = gaussianDesign(500, 3, 4);
    const y = Int32Array.from({ length: 500 }, (_, i) => (design.numeric[0]![i]! > 0.3 ? 2 : design.numeric[1]![i]! > 0 ? 1 : 0));
    const losses: number[] = [];
    const fit = fitLinear(design, y, {
      task: 'multiclass',
      classes: 3,
      l2: 1e-3,
      maxIterations: 200,
      onIteration: (_i, loss) => losses.push(loss),
    });
    for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! <= losses[i - 1]! + 1e-12);
    const margins = linearMargins(design, fit.weights, fit.intercepts, 3);
    assert.ok(meanLoss('multiclass', margins, y, 3) < Math.log(3) / 2);
  });

  it('deals stratified folds: every row once, class shares kept', () => {
    const strata = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const rows = Int32Array.from({ length: 1000 }, (_, i) => i);
    const folds = stratifiedFolds(rows, 5, 3, strata);
    assert.equal(folds.length, 5);
    assert.deepEqual(
      [...folds.flatMap((f) => [...f])].sort((a, b) => a - b),
      [...rows],
    );
    for (const f of folds) {
      assert.equal(f.length, 200);
      assert.equal([...f].filter((r) => strata[r] === 1).length, 20);
    }
    assert.deepEqual(folds, stratifiedFolds(rows, 5, 3, strata));
  });

  it('is deterministic and splits stratified by class', () => {
    const strata = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const rows = Int32Array.from({ length: 1000 }, (_, i) => i);
    const a = splitRows(rows, { seed: 1, validationFraction: 0.15, testFraction: 0.15, strata });
    const b = splitRows(rows, { seed: 1, validationFraction: 0.15, testFraction: 0.15, strata });
    assert.deepEqual(a, b);
    assert.equal(a.train.length + a.validation.length + a.test.length, 1000);
    assert.equal([...a.test].filter((r) => strata[r] === 1).length, 15);
    assert.equal([...a.validation].filter((r) => strata[r] === 1).length, 15);
    assert.equal(new Set([...a.train, ...a.validation, ...a.test]).size, 1000);
  });
});

describe('linear prediction from raw inputs', () => {
  // predictLinear builds no design: its margins must be designFromRaw + linearMargins's to the bit, for every output
  // count, missing values (NaN, ""), levels never seen, zero weights and the float32 variant.
  const random = seededRandom(11);
  const model = (outputs: number, precision?: 'float32'): LinearModel => {
    const dimension = 2 + 3 + 2;
    return {
      format: 'hearth.linear/1',
      task: outputs === 1 ? 'binary' : 'multiclass',
      target: 'y',
      classes: outputs === 1 ? ['no', 'yes'] : Array.from({ length: outputs }, (_, c) => `c${c}`),
      preprocessor: {
        features: [
          { kind: 'numeric', name: 'a', sourceType: 'number', median: 0.25, mean: 0.1, std: 1.7 },
          { kind: 'numeric', name: 'b', sourceType: 'integer', median: 3, mean: 2.9, std: 0.3 },
          { kind: 'categorical', name: 'c', categories: ['x', 'y', 'z'], mode: 'y' },
          { kind: 'categorical', name: 'd', categories: ['p', 'q'], mode: 'q' },
        ],
        ignored: [],
      },
      outputs,
      dimension,
      // One zero weight: skipped by both paths.
      weights: Array.from({ length: outputs * dimension }, (_, i) => (i === 1 ? 0 : random() * 4 - 2)),
      intercepts: Array.from({ length: outputs }, () => random() - 0.5),
      ...(precision === undefined ? {} : { precision }),
    };
  };
  const rows = 500;
  const raw = {
    rows,
    numeric: [
      Float64Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? Number.NaN : random() * 10 - 5)),
      Float64Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? Number.NaN : Math.round(random() * 6))),
    ],
    categorical: [
      Array.from({ length: rows }, (_, i) => ['x', 'y', 'z', '', 'unseen'][i % 5]!),
      Array.from({ length: rows }, (_, i) => ['p', 'q', '', 'r'][i % 4]!),
    ],
  };
  for (const [outputs, precision] of [[1], [3], [1, 'float32'], [3, 'float32']] as const) {
    it(`equals the design's margins to the bit (${outputs} output${outputs > 1 ? 's' : ''}${precision ? ', float32' : ''})`, () => {
      const m = model(outputs, precision);
      const fused = predictLinear(m, raw);
      const viaDesign = predictLinearDesign(m, designFromRaw(m.preprocessor, raw));
      assert.equal(fused.kind, 'classification');
      assert.equal(viaDesign.kind, 'classification');
      if (fused.kind !== 'classification' || viaDesign.kind !== 'classification') return;
      assert.deepEqual(fused.probabilities, viaDesign.probabilities);
      // And one row at a time, as serving asks.
      const one = {
        rows: 1,
        numeric: raw.numeric.map((c) => c.subarray(9, 10)),
        categorical: raw.categorical.map((c) => c.slice(9, 10)),
      };
      const single = predictLinear(m, one);
      assert.ok(single.kind === 'classification');
      assert.deepEqual(
        single.probabilities,
        viaDesign.probabilities.subarray(9 * Math.max(2, outputs), 10 * Math.max(2, outputs)),
      );
    });
  }
});

describe('raw inputs of JSON rows', () => {
  it("reads a column named as an object's inherited key from the row's own keys only", () => {
    const features = [
      { kind: 'numeric' as const, name: 'constructor', sourceType: 'number' as const },
      { kind: 'categorical' as const, name: 'toString' },
      { kind: 'categorical' as const, name: '__proto__' },
    ];
    // Rows without those keys: missing values (NaN, ""), not Object.prototype's function or the prototype itself.
    const missing = rawInputsFromRecords({ features }, [{}]);
    assert.ok(Number.isNaN(missing.numeric[0]![0]!));
    assert.deepEqual(missing.categorical, [[''], ['']]);
    // Rows with them (JSON.parse makes "__proto__" an own key): their values.
    const given = rawInputsFromRecords({ features }, [
      JSON.parse('{"constructor": 2.5, "toString": "a", "__proto__": "b"}') as Record<string, unknown>,
    ]);
    assert.equal(given.numeric[0]![0], 2.5);
    assert.deepEqual(given.categorical, [['a'], ['b']]);
  });
});

describe('time and group splits', () => {
  it('trains on the past and tests on the future, and chains folds forward', () => {
    const rows = Int32Array.from({ length: 100 }, (_, i) => i);
    const times = Float64Array.from({ length: 100 }, (_, i) => (i * 37) % 100); // a shuffled time order
    const split = splitByScheme(rows, { kind: 'time', times }, { seed: 1, validationFraction: 0.15, testFraction: 0.15 });
    const latest = (r: Int32Array): number => Math.max(...Array.from(r, (i) => times[i]!));
    const earliest = (r: Int32Array): number => Math.min(...Array.from(r, (i) => times[i]!));
    assert.deepEqual([split.train.length, split.validation.length, split.test.length], [70, 15, 15]);
    assert.ok(latest(split.train) < earliest(split.validation) && latest(split.validation) < earliest(split.test));
    const pairs = foldPairs(split.train, 3, 1, { kind: 'time', times });
    assert.equal(pairs.length, 3);
    for (const p of pairs) assert.ok(latest(p.train) < earliest(p.heldOut));
    assert.deepEqual(
      pairs.map((p) => p.train.length),
      [17, 34, 51],
    );
  });

  it('keeps every group on one side', () => {
    const rows = Int32Array.from({ length: 400 }, (_, i) => i);
    const groups = Int32Array.from({ length: 400 }, (_, i) => i % 40);
    const split = splitByScheme(rows, { kind: 'group', groups }, { seed: 2, validationFraction: 0.15, testFraction: 0.15 });
    const of = (r: Int32Array): Set<number> => new Set(Array.from(r, (i) => groups[i]!));
    const [a, b, c] = [of(split.train), of(split.validation), of(split.test)];
    for (const g of a) assert.ok(!b.has(g) && !c.has(g));
    for (const g of b) assert.ok(!c.has(g));
    assert.equal(a.size + b.size + c.size, 40);
    for (const p of foldPairs(split.train, 4, 2, { kind: 'group', groups })) {
      const held = of(p.heldOut);
      for (const g of of(p.train)) assert.ok(!held.has(g));
    }
  });
});

describe('search sampler', () => {
  it('tries each learner first, then concentrates where the scores are good (TPE)', () => {
    const scored: { candidate: ReturnType<typeof searchSpace> extends Generator<infer C> ? C : never; score: number }[] = [];
    const sampler = searchSpace(3, scored, true);
    const drawn: { algorithm: string; learningRate?: number }[] = [];
    // A made-up objective: gradient boosting with a learning rate near 0.05 is best.
    const score = (c: { algorithm: string; learningRate?: number }): number =>
      c.algorithm === 'gbdt' ? 1 - Math.abs(Math.log((c.learningRate ?? 0.1) / 0.05)) : 0;
    for (let i = 0; i < 60; i++) {
      const candidate = sampler.next().value as { algorithm: 'gbdt' | 'forest' | 'linear'; learningRate?: number };
      drawn.push(candidate);
      scored.push({ candidate, score: score(candidate) });
    }
    assert.deepEqual(
      drawn.slice(0, 3).map((c) => c.algorithm),
      ['gbdt', 'linear', 'forest'],
    );
    const late = drawn.slice(30);
    const gbdtShare = late.filter((c) => c.algorithm === 'gbdt').length / late.length;
    const nearShare =
      late.filter((c) => c.learningRate !== undefined && c.learningRate >= 0.035 && c.learningRate <= 0.08).length / late.length;
    // Random draws give gradient boosting 60% of the time and 3 of 7 learning rates; TPE should beat both.
    assert.ok(gbdtShare > 0.75, `gbdt share ${gbdtShare}`);
    assert.ok(nearShare > 0.5, `near-optimal learning rates ${nearShare}`);
  });
});

describe('exact linear SHAP', () => {
  // Two standardised numerics (x: mean 2, std 4; z: mean 0, std 1) and one one-hot block (a, b); three classes.
  const model: LinearModel = {
    format: 'hearth.linear/1',
    task: 'multiclass',
    target: 'kind',
    classes: ['p', 'q', 'r'],
    preprocessor: {
      features: [
        { kind: 'numeric', name: 'x', sourceType: 'number', median: 2, mean: 2, std: 4 },
        { kind: 'numeric', name: 'z', sourceType: 'number', median: 0, mean: 0, std: 1 },
        { kind: 'categorical', name: 'c', categories: ['a', 'b'], mode: 'a' },
      ],
      ignored: [],
    },
    outputs: 3,
    dimension: 4,
    weights: [1, 0, 0, 0, 0, 2, 0.5, -0.5, -1, 1, 3, 0],
    intercepts: [0, 0.1, -0.3],
    designMeans: [0, 0.5, 0.25, 0.75],
  };
  const raw = { rows: 2, numeric: [Float64Array.of(6, Number.NaN), Float64Array.of(-1, 0.5)], categorical: [['b', 'zzz']] };

  it('gives w·(x − E[x]) per raw feature, one-hot levels summed, for the chosen class, summing to its logit', () => {
    const [first, second] = explainLinear(model, raw, (i) => (i === 0 ? 1 : 2));
    // Row 1, class q (weights 0, 2 | 0.5, −0.5; intercept 0.1): x scaled (6 − 2)/4 = 1, z = −1, level b.
    // E = 0.1 + 2·0.5 + 0.5·0.25 − 0.5·0.75 = 0.85; φx = 0; φz = 2·(−1 − 0.5) = −3;
    // φc = −0.5 − (0.5·0.25 − 0.5·0.75) = −0.25; E + Σφ = −2.4 = 0.1 + 2·(−1) − 0.5.
    assert.ok(Math.abs(first!.expectedValue - 0.85) < 1e-12);
    assert.deepEqual(Object.keys(first!.contributions), ['x', 'z', 'c']);
    assert.ok(Math.abs(first!.contributions.x!) < 1e-12);
    assert.ok(Math.abs(first!.contributions.z! + 3) < 1e-12);
    assert.ok(Math.abs(first!.contributions.c! + 0.25) < 1e-12);
    // Row 2, class r (weights −1, 1 | 3, 0; intercept −0.3): x missing → median 2 → 0; z = 0.5; unseen level → no
    // column. E = −0.3 + 0.5 + 3·0.25 = 0.95; φx = 0; φz = 1·(0.5 − 0.5) = 0; φc = 0 − 0.75 = −0.75; margin −0.3 + 0.5 = 0.2.
    const margins = linearMargins(
      designFromRaw(model.preprocessor, raw),
      Float64Array.from(model.weights),
      Float64Array.from(model.intercepts),
      3,
    );
    for (const [e, margin] of [
      [first!, margins[1]!],
      [second!, margins[5]!],
    ] as const)
      assert.ok(Math.abs(e.expectedValue + Object.values(e.contributions).reduce((s, v) => s + v, 0) - margin) < 1e-12);
    assert.ok(Math.abs(second!.expectedValue - 0.95) < 1e-12);
    assert.ok(Math.abs(second!.contributions.c! + 0.75) < 1e-12);
    assert.ok(Math.abs(margins[5]! - 0.2) < 1e-12);
  });

  it('refuses a model stored without its training means when it has a categorical input, NOT_SUPPORTED', () => {
    const { designMeans: _means, ...old } = model;
    assert.throws(
      () => explainLinear(old, raw, () => 0),
      (e: unknown) => e instanceof HearthError && e.code === 'NOT_SUPPORTED' && /retrain it/.test(e.message),
    );
    // Said beforehand too: what models.schema reports, so the predict form offers no explain box for it.
    assert.match(explainRefusal(old) ?? '', /stored without its training means .* retrain it/);
    assert.equal(explainRefusal(model), null);
    // Numeric-only: E of a standardised column is 0 over the training rows, so the old model still explains.
    const numericOnly: LinearModel = {
      ...old,
      preprocessor: { features: old.preprocessor.features.slice(0, 2), ignored: [] },
      dimension: 2,
      weights: [1, 0, 0, 2, -1, 1],
    };
    const [e] = explainLinear(
      numericOnly,
      { rows: 1, numeric: raw.numeric.map((c) => c.subarray(0, 1)), categorical: [] },
      () => 1,
    );
    assert.deepEqual([e!.expectedValue, e!.contributions.x, e!.contributions.z], [0.1, 0, -2]);
    assert.equal(explainRefusal(numericOnly), null);
  });
});
