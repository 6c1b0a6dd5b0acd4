import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { turnEnd } from '../../main/api/turn-end.js';

describe('turnEnd', () => {
  it("releases answers in the check phase of the turn they waited in, after the turn's other work", async () => {
    const order: string[] = [];
    const a = turnEnd().then(() => order.push('a'));
    const b = turnEnd().then(() => order.push('b'));
    await Promise.resolve();
    order.push('microtasks drained');
    setImmediate(() => order.push('a later immediate'));
    await Promise.all([a, b]);
    assert.deepEqual(order, ['microtasks drained', 'a', 'b']);
    // A lone answer waits one hop of the loop, no more.
    const started = performance.now();
    await turnEnd();
    assert.ok(performance.now() - started < 50);
  });

  it('lets a full batch of four go at once, so no more than four requests are held', async () => {
    const released: number[] = [];
    const waits = [0, 1, 2, 3, 4, 5].map((i) => turnEnd().then(() => released.push(i)));
    // Four filled a batch: released before the turn ends, in the order they waited.
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(released, [0, 1, 2, 3]);
    await Promise.all(waits);
    assert.deepEqual(released, [0, 1, 2, 3, 4, 5]);
  });
});
