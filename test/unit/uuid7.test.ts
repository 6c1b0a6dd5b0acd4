import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidV7 } from '../../main/crypto/uuid7.js';

const layout = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('UUID version 7', () => {
  it('is a UUID of version 7 and variant 10, its first 48 bits the time in milliseconds', () => {
    const id = uuidV7(Date.UTC(2026, 11, 3, 10, 0, 0, 123));
    assert.match(id, layout);
    assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), Date.UTC(2026, 11, 3, 10, 0, 0, 123));
  });

  it('sorts in the order made, within a millisecond, past the counter and when the clock steps back', () => {
    const made: string[] = [];
    const t = Date.UTC(2027, 0, 1);
    for (let i = 0; i < 10_000; i++) made.push(uuidV7(t)); // more than the 12-bit counter holds in one millisecond
    for (let i = 0; i < 100; i++) made.push(uuidV7(t - 5_000));
    made.push(uuidV7(t + 60_000));
    for (const id of made) assert.match(id, layout);
    for (let i = 1; i < made.length; i++) assert.ok(made[i - 1]! < made[i]!, `${made[i - 1]} then ${made[i]}`);
    assert.equal(new Set(made).size, made.length);
  });

  it('keeps 62 random bits: ids made in the same millisecond differ beyond the counter', () => {
    const t = Date.UTC(2028, 0, 1);
    const tails = new Set(Array.from({ length: 1000 }, () => uuidV7(t).slice(19)));
    assert.equal(tails.size, 1000);
  });

  // Last: ids made after these borrow from the latest time seen, as a clock that stepped back does.
  it('writes every byte of the 48-bit time in its place', () => {
    for (const [ms, prefix] of [
      // Ascending, and past the earlier tests' times: an earlier one would borrow the latest time seen.
      [0x200000000001, '20000000-0001'],
      [0x7f0123456789, '7f012345-6789'],
      [0xfedcba987654, 'fedcba98-7654'],
      [0xffffffffffff, 'ffffffff-ffff'],
    ] as const) {
      const made = uuidV7(ms);
      assert.match(made, layout);
      assert.equal(made.slice(0, 13), prefix);
    }
  });
});
