import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '../../main/contracts/errors.js';
import { rawInputsFromRecords } from '../../main/models/preprocess.js';

const prep = { features: [{ kind: 'numeric' as const, name: 'x1', sourceType: 'number' as const, median: 0, mean: 1, std: 2 }] };

describe('a request row’s numbers', () => {
  it('refuses "Infinity" and "-Infinity" as it refuses "NaN": a prediction from them has no probabilities', () => {
    for (const value of ['Infinity', '-Infinity', 'NaN', '1e999']) {
      assert.throws(
        () => rawInputsFromRecords(prep, [{ x1: value }]),
        (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED' && /"x1" must be a number/.test(e.message),
        value,
      );
    }
  });

  it('reads a blank string as missing, not as 0, and keeps 1e308 and padded numbers', () => {
    const raw = rawInputsFromRecords(prep, [{ x1: '   ' }, { x1: '' }, { x1: '1e308' }, { x1: ' 2.5 ' }, { x1: 1e308 }]);
    assert.deepEqual([...raw.numeric[0]!], [Number.NaN, Number.NaN, 1e308, 2.5, 1e308]);
  });
});
