import assert from 'node:assert/strict';
import { once } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, it } from 'node:test';
import { startWorker } from '../../main/accel/worker-thread.js';

// V8's own answer, read through its natives syntax (turned on for this test process only): does this isolate hand
// optimisation to a background thread?
v8.setFlagsFromString('--allow-natives-syntax');
const concurrentHere = (): boolean => vm.runInThisContext('%IsConcurrentRecompilationSupported()') as boolean;

describe('worker threads', () => {
  it('optimise on their own thread, while the main isolate keeps compiling in the background', async () => {
    assert.equal(concurrentHere(), true);
    const worker = startWorker(
      "require('node:worker_threads').parentPort.postMessage(new Function('return %IsConcurrentRecompilationSupported()')())",
      { eval: true },
    );
    const [inWorker] = (await once(worker, 'message')) as [boolean];
    await worker.terminate();
    assert.equal(inWorker, false);
    assert.equal(concurrentHere(), true);
  });

  it('end mid-loop, one after another, without taking the process down', async () => {
    // What a cancelled fit does: its worker is ended while hot code is being optimised.
    for (let i = 0; i < 20; i++) {
      const worker = startWorker(
        `const { parentPort } = require('node:worker_threads');
         const fns = Array.from({ length: 50 }, (_, k) => new Function('n', 'let s = ' + k + '; for (let j = 0; j < n; j++) s += Math.sqrt(j + ' + k + '); return s'));
         parentPort.postMessage('hot');
         for (;;) for (const f of fns) f(100);`,
        { eval: true },
      );
      await once(worker, 'message');
      await new Promise((resolve) => setTimeout(resolve, 2 + (i % 5) * 3));
      assert.equal(await worker.terminate(), 1);
    }
  });
});
