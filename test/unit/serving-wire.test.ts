import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packTensors, unpackTensors } from '../../main/accel/tensor-wire.js';
import { CommitCache, dataVersionWindowMs, openDatabase } from '../../main/store/database.js';
import { tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('tensor wire (feeds and outputs to and from a serving thread)', () => {
  it('round-trips every tensor type, shape and value, a view into a larger buffer included', () => {
    const backing = new Float32Array([9, 1.5, -2.25, 3e-7, 9]);
    const feeds = {
      f32: { type: 'float32' as const, dims: [2, 2], data: backing.subarray(1, 5) },
      bool: { type: 'bool' as const, dims: [3, 1], data: new Uint8Array([1, 0, 1]) },
      f64: { type: 'float64' as const, dims: [1, 1], data: new Float64Array([Math.PI]) },
      i64: { type: 'int64' as const, dims: [2], data: new BigInt64Array([-(2n ** 62n), 7n]) },
      i32: { type: 'int32' as const, dims: [1], data: new Int32Array([-5]) },
      text: { type: 'string' as const, dims: [3, 1], data: ['DALLAS/FORT WORTH', '', 'é "q" \\ \ud800'] },
    };
    const packed = packTensors(feeds);
    // bool's 3 bytes are padded so the float64 after them starts on an 8-byte boundary: 16 + 8 + 8 + 16 + 8 bytes.
    assert.equal(packed.bytes.byteLength, 56);
    const back = unpackTensors(packed);
    assert.deepEqual(Object.keys(back), Object.keys(feeds));
    assert.deepEqual([...(back.f32!.data as Float32Array)], [1.5, -2.25, Math.fround(3e-7), 9]);
    assert.deepEqual(back.f32!.dims, [2, 2]);
    assert.deepEqual([...(back.bool!.data as Uint8Array)], [1, 0, 1]);
    assert.equal((back.f64!.data as Float64Array)[0], Math.PI);
    assert.deepEqual([...(back.i64!.data as BigInt64Array)], [-(2n ** 62n), 7n]);
    assert.deepEqual([...(back.i32!.data as Int32Array)], [-5]);
    assert.deepEqual(back.text, feeds.text);
    assert.ok(back.i64!.data instanceof BigInt64Array && back.bool!.data instanceof Uint8Array);
  });

  it('packs no tensors as an empty layout', () => {
    const packed = packTensors({});
    assert.equal(packed.bytes.byteLength, 0);
    assert.deepEqual(unpackTensors(packed), {});
  });
});

describe('CommitCache', () => {
  it("sees another connection's commit after the turn it was read in and its window, reading once per turn", async () => {
    const file = join(tmp.dir, 'commit-cache.db');
    const db = openDatabase(file);
    const other = openDatabase(file);
    db.exec('CREATE TABLE t (v INTEGER) STRICT; INSERT INTO t VALUES (1)');
    const read = (): number => db.prepare('SELECT v FROM t').pluck().get() as number;
    let loads = 0;
    const a = new CommitCache<number>(db);
    const b = new CommitCache<number>(db);
    const load = (): number => (loads++, read());
    assert.equal(a.get('k', load), 1);
    other.prepare('UPDATE t SET v = 2').run();
    // The same synchronous turn: the store was asked once, so the commit lands at a later turn, once the read's
    // window has passed.
    assert.equal(a.get('k', load), 1);
    await new Promise((resolve) => setTimeout(resolve, dataVersionWindowMs + 5));
    assert.equal(a.get('k', load), 2);
    assert.equal(b.get('k', load), 2);
    assert.equal(loads, 3);
    // Nothing committed since: both stay cached across turns.
    await Promise.resolve();
    assert.equal(a.get('k', load), 2);
    assert.equal(b.get('k', load), 2);
    assert.equal(loads, 3);
    other.close();
    db.close();
  });
});
