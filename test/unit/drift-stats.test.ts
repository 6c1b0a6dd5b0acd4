import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnDrift, datasetDrift } from '../../main/stats/drift.js';
import { estimateBinary, estimateMulticlass } from '../../main/monitoring/performance.js';
import { nativeSortDoubles } from '../../main/accel/gbdt-addon.js';
import { seededRandom } from '../../main/stats/random.js';
import {
  chiSquareSf,
  gammaQ,
  jensenShannon,
  kolmogorovSf,
  kolmogorovSmirnovSf,
  ksTwoSample,
  sortFloat64,
  radixSortFloat64,
  useNativeFloat64Sort,
  normalCdf,
  psi,
  std,
  wasserstein,
} from '../../main/stats/stats.js';

// Samples and expected values computed with SciPy 1.17 (stats.ks_2samp(method='asymp'), stats.wasserstein_distance,
// stats.chisquare, spatial.distance.jensenshannon, special.gammaincc, stats.kstwobign, stats.norm).
const a = [
  2.041, -2.556, 0.418, -0.568, -0.453, -0.216, -2.02, -0.232, -0.865, 3.323, 0.226, -0.353, -0.281, -0.668, -1.055, -0.391,
  0.482, -0.239, 0.958, -0.2, 0.024, 1.546, 0.545, -0.505, -0.183, 0.541, 1.935, -0.27, -0.244, 1.002, -0.886, -0.292, 0.883,
  0.58, 0.092, 0.67, -2.828, 1.021, -0.96, -1.669,
];
const b = [
  0.832, 1.341, -0.034, -0.792, 0.531, 0.437, 2.187, 1.397, 0.733, 1.834, 0.253, -0.611, 1.201, 1.199, 0.242, -0.439, 0.775,
  -2.493, 1.328, 1.09, -1.467, 0.574, -0.657, 1.409, -1.941, -0.597, 1.351, 1.888, -2.09, -0.098, 0.894, -0.231, 2.409, -0.929,
  0.925, -0.758, 2.187, 0.474, 0.053, -1.562, 2.518, 1.403, 1.404, 1.865, 0.919, -0.267, -0.46, -0.46, 2.144, -1.252,
];
const repeat = (value: string, times: number): string[] => Array.from({ length: times }, () => value);
const sorted = (v: number[]) => Float64Array.from(v).sort();
const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe('drift statistics against SciPy', () => {
  it('radix-sorts doubles exactly as a comparison sort does', () => {
    let state = 99;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const values = Float64Array.from({ length: 50_000 }, (_, i) =>
      i % 97 === 0
        ? 0
        : i % 89 === 0
          ? -0
          : i % 83 === 0
            ? Infinity
            : i % 79 === 0
              ? -Infinity
              : (random() - 0.5) * 10 ** (random() * 20 - 10),
    );
    const expected = Array.from(values).sort((x, y) => x - y || (Object.is(x, -0) ? -1 : Object.is(y, -0) ? 1 : 0));
    assert.deepEqual(Array.from(sortFloat64(values.slice())), expected);
    // Keys whose low digits are all equal skip those passes: small integers skip two (the sorted keys end where they
    // started), integers below 2³⁶ one (they end in the scratch buffer and are copied back). A subarray of a larger
    // buffer is sorted in place and the rest of the buffer left alone.
    for (const scale of [1_000, 2 ** 36]) {
      const buffer = Float64Array.from({ length: 10_000 }, () => Math.floor(random() * scale) * (random() < 0.3 ? -1 : 1));
      const part = buffer.subarray(1_000, 9_000);
      const sorted = Array.from(part).sort((x, y) => x - y || (Object.is(x, -0) ? -1 : Object.is(y, -0) ? 1 : 0));
      const outside = [...buffer.subarray(0, 1_000), ...buffer.subarray(9_000)];
      assert.deepEqual(Array.from(sortFloat64(part)), sorted, `integers below ${scale}`);
      assert.deepEqual(Array.from(part), sorted, 'in place');
      assert.deepEqual([...buffer.subarray(0, 1_000), ...buffer.subarray(9_000)], outside);
    }
  });

  it('hands large sorts to the native sort the engine installs, loaded once, and to its own without one', () => {
    const random = seededRandom(5);
    const values = Float64Array.from({ length: 5_000 }, (_, i) =>
      i % 50 === 0 ? -0 : i % 51 === 0 ? 0 : (random() - 0.5) * 1e6,
    );
    const bits = (v: Float64Array): bigint[] =>
      Array.from(new BigInt64Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
    const expected = bits(radixSortFloat64(values.slice()));
    let loads = 0;
    let calls = 0;
    useNativeFloat64Sort(() => {
      loads++;
      return (v) => {
        calls++;
        return radixSortFloat64(v);
      };
    });
    assert.deepEqual(bits(sortFloat64(values.slice())), expected);
    assert.deepEqual(bits(sortFloat64(values.slice())), expected);
    sortFloat64(values.slice(0, 100));
    assert.deepEqual([loads, calls], [1, 2], 'loaded at the first large sort, and short arrays stay with TypedArray sort');
    // The GBDT addon's sort, as the engine installs it (where the addon is built: CI builds it): the same bits, and
    // a subarray of a larger buffer sorted in place with the rest left alone.
    assert.ok(nativeSortDoubles() !== null, 'the native addon is built here (npm run build:native)');
    useNativeFloat64Sort(nativeSortDoubles);
    assert.deepEqual(bits(sortFloat64(values.slice())), expected);
    const buffer = values.slice();
    const part = buffer.subarray(1_000, 4_500);
    const sortedPart = bits(radixSortFloat64(part.slice()));
    sortFloat64(part);
    assert.deepEqual(bits(part), sortedPart);
    assert.deepEqual(bits(buffer.subarray(0, 1_000)), bits(values.subarray(0, 1_000)));
    assert.deepEqual(bits(buffer.subarray(4_500)), bits(values.subarray(4_500)));
    // A loader with nothing to give leaves the radix sort in place.
    useNativeFloat64Sort(() => null);
    assert.deepEqual(bits(sortFloat64(values.slice())), expected);
  });

  it('special functions', () => {
    close(normalCdf(1.96), 0.9750021048517795, 1e-7, 'Φ(1.96)');
    close(normalCdf(-3.1), 0.0009676032132183563, 1e-8, 'Φ(−3.1)');
    close(gammaQ(2.5, 3.7), 0.1925504330793957, 1e-12, 'Q(2.5, 3.7)');
    close(gammaQ(30, 25), 0.8178960840225449, 1e-12, 'Q(30, 25)');
    close(chiSquareSf(10.3, 4), 0.03566633907007916, 1e-12, 'χ²₄ sf(10.3)');
    close(chiSquareSf(0.5, 1), 0.47950012218695337, 1e-12, 'χ²₁ sf(0.5)');
    const kolmogorov: [number, number][] = [
      [0.1, 1],
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [1.2, 0.11224966667072497],
      [2.5, 7.453306344157342e-6],
    ];
    for (const [x, expected] of kolmogorov) close(kolmogorovSf(x), expected, 1e-12, `K sf(${x})`);
    close(kolmogorovSmirnovSf(0.28, 22), 0.05114376664876974, 1e-12, 'kstwo.sf(0.28, 22)');
    // SciPy switches to an asymptotic series above n = 140; Marsaglia–Tsang–Wang agree with it to 1e-7 here.
    close(kolmogorovSmirnovSf(0.05, 500), 0.15866260223815387, 1e-7, 'kstwo.sf(0.05, 500)');
    assert.ok(kolmogorovSmirnovSf(0.2, 500) < 1e-15, 'far in the tail');
  });

  it('Kolmogorov–Smirnov, Wasserstein, chi-square, Jensen–Shannon, PSI', () => {
    const ks = ksTwoSample(sorted(a), sorted(b));
    close(ks.statistic, 0.28, 1e-12, 'D');
    close(ks.pValue, 0.05114376664876974, 1e-10, 'KS p');
    close(wasserstein(sorted(a), sorted(b)), 0.504515, 1e-12, 'W1');
    close(wasserstein(sorted(a), sorted(b)) / std(sorted(a)), 0.4347835521267978, 1e-12, 'W1 / std');
    close(jensenShannon([0.5, 0.3, 0.2], [0.3, 0.3, 0.4]), 0.17211473103812178, 1e-12, 'JS');
    close(psi([0.5, 0.3, 0.2], [0.3, 0.3, 0.4]), 0.2407945608651872, 1e-12, 'PSI');
    // Reference 50/30/20 of 100, current 30/12/8 of 50: χ² = 2, p = e^−1.
    const drift = columnDrift({
      name: 'colour',
      kind: 'categorical',
      reference: [...repeat('red', 50), ...repeat('green', 30), ...repeat('blue', 20)],
      current: [...repeat('red', 30), ...repeat('green', 12), ...repeat('blue', 8)],
    });
    assert.equal(drift.test, 'chisquare');
    close(drift.statistic, 2, 1e-12, 'χ²');
    close(drift.pValue!, 0.36787944117144245, 1e-12, 'χ² p');
    assert.equal(drift.drifted, false);
  });

  it('compares a column of 300,000 distinct categories without overflowing the stack (red team, pass 3)', () => {
    const values = (prefix: string) => Array.from({ length: 300_000 }, (_, i) => `${prefix}${i}`);
    for (const test of ['jensenshannon', 'psi'] as const) {
      const drift = columnDrift({ name: 't', kind: 'categorical', reference: values('a'), current: values('b') }, { test });
      assert.equal(drift.drifted, true, test);
    }
  });

  it('groups a many-levelled column: no drift from sampling noise, drift when rare levels turn common', () => {
    let state = 9;
    const random = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    // 1,100 airports, Zipf-like: level k drawn with weight ~ 1/(k+1).
    const draw = (rows: number, reversed = false): string[] =>
      Array.from({ length: rows }, () => {
        const k = Math.min(1_099, Math.floor(Math.exp(random() * Math.log(1_100))) - 1);
        return `AP${reversed ? 1_099 - k : k}`;
      });
    const reference = draw(50_000);
    const same = columnDrift({ name: 'airport', kind: 'categorical', reference, current: draw(2_000) });
    // Level by level this read 0.24 (drift at 0.1); grouped, 18 common levels, the reference's others, new levels.
    assert.equal(same.test, 'jensenshannon');
    assert.ok(same.statistic < 0.1 && !same.drifted, `statistic ${same.statistic}`);
    assert.ok(same.distribution.bins.length <= 20 && same.distribution.bins.some((b) => b.endsWith('other levels)')));
    // A real level spelt like a group is not taken for one: the new levels' group is renamed.
    const spelt = columnDrift({
      name: 'airport',
      kind: 'categorical',
      reference: [...reference, '(levels not in the reference)'],
      current: [...draw(2_000), '(levels not in the reference)', 'ZZ1'],
    });
    assert.ok(spelt.distribution.bins.includes('(levels not in the reference)*'), spelt.distribution.bins.join(' | '));
    const moved = columnDrift({ name: 'airport', kind: 'categorical', reference, current: draw(2_000, true) });
    assert.ok(moved.drifted && moved.statistic > 0.3, `statistic ${moved.statistic}`);
  });

  it('picks the test as Evidently does and applies its thresholds', () => {
    const numeric = columnDrift({ name: 'x', kind: 'numeric', reference: Float64Array.from(a), current: Float64Array.from(b) });
    assert.deepEqual([numeric.test, numeric.threshold, numeric.drifted], ['ks', 0.05, false], 'p = 0.051 is not below 0.05');
    // Two values, small reference: the two-proportion z-test. 60% "no" against 35%: z = 3.54, p = 0.0004.
    const binary = columnDrift({
      name: 'flag',
      kind: 'categorical',
      reference: [...repeat('no', 60), ...repeat('yes', 40)],
      current: [...repeat('no', 35), ...repeat('yes', 65)],
    });
    assert.equal(binary.test, 'z');
    close(binary.statistic, 3.5399616270239433, 1e-9, 'z');
    close(binary.pValue!, 0.0004001852145547602, 1e-7, 'z p');
    assert.equal(binary.drifted, true);
    // A numeric column with five distinct values is compared as categories.
    const levels = columnDrift({
      name: 'level',
      kind: 'numeric',
      reference: Float64Array.from({ length: 500 }, (_, i) => i % 5),
      current: Float64Array.from({ length: 500 }, (_, i) => i % 5),
    });
    assert.deepEqual([levels.kind, levels.test, levels.drifted], ['categorical', 'chisquare', false]);
    // Over 1,000 reference rows: Wasserstein normalised by the reference's spread, and Jensen–Shannon.
    const big = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 3);
    const shifted = big.map((v) => v + 0.6);
    const wide = columnDrift({ name: 'x', kind: 'numeric', reference: big, current: shifted });
    assert.equal(wide.test, 'wasserstein');
    close(wide.statistic, 0.6 / std(big), 1e-9, 'a shift of 0.6 moves W1 by 0.6');
    assert.equal(wide.drifted, true);
    assert.equal(columnDrift({ name: 'x', kind: 'numeric', reference: big, current: big }).drifted, false);
    const cats = columnDrift({
      name: 'c',
      kind: 'categorical',
      reference: Array.from({ length: 2000 }, (_, i) => ['a', 'b', 'c'][i % 3]!),
      current: Array.from({ length: 2000 }, (_, i) => ['a', 'b', 'c', 'd'][i % 4]!),
    });
    assert.equal(cats.test, 'jensenshannon');
    assert.equal(cats.drifted, true);
    // Missing values are left out; an override picks PSI with its own threshold.
    const forced = columnDrift(
      { name: 'x', kind: 'numeric', reference: Float64Array.from([...a, NaN]), current: Float64Array.from(b) },
      { test: 'psi', threshold: 0.5 },
    );
    assert.deepEqual([forced.test, forced.threshold, forced.referenceRows], ['psi', 0.5, 40]);
  });

  it('a data set drifts when at least half its columns do', () => {
    const same = Float64Array.from({ length: 800 }, (_, i) => Math.cos(i * 1.3));
    const report = datasetDrift([
      { name: 'still', kind: 'numeric', reference: same, current: same },
      { name: 'moved', kind: 'numeric', reference: same, current: same.map((v) => v * 3 + 2) },
    ]);
    assert.deepEqual(
      report.columns.map((c) => [c.column, c.drifted]),
      [
        ['still', false],
        ['moved', true],
      ],
    );
    assert.deepEqual([report.drifted, report.share, report.datasetDrifted], [1, 0.5, true]);
    assert.equal(datasetDrift([{ name: 'still', kind: 'numeric', reference: same, current: same }]).datasetDrifted, false);
    // A column never filled in the window is listed as untested rather than failing the report.
    const partial = datasetDrift([
      { name: 'still', kind: 'numeric', reference: same, current: same },
      { name: 'empty', kind: 'categorical', reference: ['a', 'b'], current: [null, null] },
    ]);
    assert.deepEqual(partial.skipped, [{ column: 'empty', reason: 'no values in the current data' }]);
    assert.equal(partial.columns.length, 1);
  });
});

describe('label-free performance estimate (CBPE)', () => {
  it('turns calibrated confidences into the expected confusion matrix and ROC AUC', () => {
    // P(positive) 0.9, 0.8 predicted positive; 0.3, 0.1 predicted negative: expected TP 1.7, FP 0.3, FN 0.4, TN 1.6.
    const m = estimateBinary(Float64Array.from([0.9, 0.8, 0.3, 0.1]), Uint8Array.from([1, 1, 0, 0]));
    close(m.accuracy!, 0.825, 1e-12, 'accuracy');
    close(m.precision!, 0.85, 1e-12, 'precision');
    close(m.recall!, 0.8095238095238094, 1e-12, 'recall');
    close(m.f1!, 0.8292682926829268, 1e-12, 'F1');
    // Expected TPR/FPR along the rows sorted by p, by the trapezoid rule (worked by hand).
    close(m.roc_auc!, 0.8634085213032581, 1e-12, 'ROC AUC');
  });

  it('expects a multiclass model to be right as often as its confidence in its chosen class says', () => {
    close(estimateMulticlass(Float64Array.from([0.9, 0.5, 0.7, 0.4])).accuracy!, 0.625, 1e-12, 'expected accuracy');
  });
});
