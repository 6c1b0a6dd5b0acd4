import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NumericColumn } from '../../main/table/frame.js';
import { profileColumn, quantileSorted } from '../../main/stats/profile.js';
import { seededRandom } from '../../main/stats/random.js';

function column(values: Float64Array): NumericColumn {
  return { kind: 'numeric', name: 'x', type: 'number', values };
}

describe('column profile', () => {
  it('is exact on a small column, against hand-computed values', () => {
    const p = profileColumn(column(Float64Array.from([4, 1, Number.NaN, 3, 2, 2])), 6);
    assert.equal(p.sampled, false);
    assert.deepEqual([p.count, p.missing, p.distinct, p.min, p.max, p.mean], [5, 1, 4, 1, 4, 2.4]);
    assert.ok(Math.abs(p.std! - Math.sqrt(((4 - 2.4) ** 2 + (1 - 2.4) ** 2 + (3 - 2.4) ** 2 + 2 * (2 - 2.4) ** 2) / 4)) < 1e-12);
    // numpy's linear interpolation: the median of [1, 2, 2, 3, 4] is 2, the 25th percentile is 2.
    assert.deepEqual(
      p.quantiles.map((q) => q.value),
      [1.2, 2, 2, 3, 3.8],
    );
    assert.deepEqual(p.topValues[0], { value: '2', count: 2 });
    assert.equal(
      p.histogram.reduce((s, b) => s + b.count, 0),
      5,
    );
  });

  it('keeps counts and moments exact on a large column and estimates order statistics from a sample', () => {
    const random = seededRandom(1);
    const n = 400_000;
    const values = Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? Number.NaN : Math.floor(random() * 10_000)));
    const p = profileColumn(column(values), n);
    const present = values.filter((v) => !Number.isNaN(v)).sort();
    assert.equal(p.sampled, true);
    assert.equal(p.count, present.length);
    assert.equal(p.missing, n - present.length);
    assert.equal(p.min, present[0]);
    assert.equal(p.max, present[present.length - 1]);
    assert.ok(Math.abs(p.mean! - present.reduce((s, v) => s + v, 0) / present.length) < 1e-6);
    for (const q of p.quantiles) assert.ok(Math.abs(q.value - quantileSorted(present, q.p)) < 100, `p${q.p}: ${q.value}`);
    assert.ok(Math.abs(p.distinct - new Set(present).size) / new Set(present).size < 0.05, `distinct ${p.distinct}`);
  });
});
