import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { medianInPlace } from '../../main/models/preprocess.js';

describe('the median the preprocessor imputes with', () => {
  it('equals the median of the sorted values, odd and even counts, with ties', () => {
    assert.equal(medianInPlace(Float64Array.from([5])), 5);
    assert.equal(medianInPlace(Float64Array.from([3, 1, 2])), 2);
    assert.equal(medianInPlace(Float64Array.from([4, 1, 3, 2])), 2.5);
    assert.equal(medianInPlace(Float64Array.from([7, 7, 7, 7])), 7);
    assert.equal(medianInPlace(Float64Array.from([-1.5, 1e9, 0, -1e9, 2])), 0);
    // Many small random arrays with heavy ties, against a plain sort.
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 2000; t++) {
      const n = 1 + Math.floor(random() * 50);
      const values = Float64Array.from({ length: n }, () => Math.floor(random() * 8) - 3);
      const sorted = [...values].sort((a, b) => a - b);
      const expected = n % 2 === 1 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      assert.equal(medianInPlace(values), expected, `[${sorted.join(', ')}]`);
    }
  });
});
