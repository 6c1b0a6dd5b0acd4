import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenDigest } from '../../main/crypto/token-digest.js';

describe('token digests', () => {
  it("are SHA-256 (FIPS 180-2's 'abc' vector), remembered for a token seen again", () => {
    const digest = tokenDigest('abc');
    assert.equal(digest.hex, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(digest.bytes.toString('hex'), digest.hex);
    assert.equal(tokenDigest('abc'), digest);
  });

  it('stay right when guesses flood the memory, and a very long token is hashed but not kept', () => {
    const first = tokenDigest('hth_first');
    for (let i = 0; i < 1000; i++) tokenDigest(`guess-${i}`);
    const again = tokenDigest('hth_first');
    assert.equal(again.hex, first.hex);
    const long = 'x'.repeat(10_000);
    assert.notEqual(tokenDigest(long), tokenDigest(long));
    assert.equal(tokenDigest(long).hex, tokenDigest(long).hex);
  });
});
