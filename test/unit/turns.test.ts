import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextTurn, turnEnd } from '../../main/accel/turns.js';

/** Runs `body` from a timer callback: the turn's I/O part, before its check phase, as a request handler runs. */
const inTurn = (body: () => void): Promise<void> =>
  new Promise((resolve) =>
    setTimeout(() => {
      body();
      resolve();
    }, 0),
  );

/** Several microtask hops: an answer's way from its handler to the socket (Fastify's wrapThenable, reply.send). */
async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('turns', () => {
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

  it('resumes cooperative work after the answers that arrived while it ran, one slice per turn', async () => {
    const order: string[] = [];
    let answered: Promise<unknown> = Promise.resolve();
    // A job of three slices, as a rules check runs, started from a turn's I/O; a request comes in (a timer here) while
    // its first slice runs, and is read in the turn after the one the second slice ends.
    let job: Promise<void> = Promise.resolve();
    await inTurn(() => {
      job = (async () => {
        for (let slice = 0; slice < 3; slice++) {
          order.push(`slice ${slice}`);
          if (slice === 0)
            setTimeout(() => {
              order.push('request read');
              answered = turnEnd().then(() => order.push('answered'));
            }, 0);
          const busyUntil = performance.now() + 5;
          while (performance.now() < busyUntil);
          await nextTurn();
        }
      })();
    });
    await job;
    await answered;
    // Yielding with setImmediate ran slice 2 first: its immediate was queued a turn before the answer's.
    assert.deepEqual(order, ['slice 0', 'slice 1', 'request read', 'answered', 'slice 2']);
  });

  it('starts work that waits two turns (a shadow prediction) after the answers of its turn are sent', async () => {
    const order: string[] = [];
    let done: Promise<unknown> = Promise.resolve();
    await inTurn(() => {
      const shadow = (async () => {
        await nextTurn();
        await nextTurn();
        order.push('shadow starts');
      })();
      const answer = (async () => {
        await turnEnd();
        await hops(6);
        order.push('answer sent');
      })();
      done = Promise.all([shadow, answer]);
    });
    await done;
    assert.deepEqual(order, ['answer sent', 'shadow starts']);
  });
});
