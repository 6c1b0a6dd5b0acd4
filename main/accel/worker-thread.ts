import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';

let compilesOnOwnThread = false;

/**
 * Starts a worker thread. Every worker in Hearth starts here (lint forbids `new Worker` elsewhere), for one reason:
 * on Node 20 a worker whose isolate ends while V8 optimises one of its functions on a background thread can abort
 * the whole process ("NodePlatform::ForIsolate … Assertion failed: (data.first) != nullptr"): Node unregisters the
 * isolate before disposing of it, and the compile job, allocating, asks the platform for the gone isolate's task
 * runner. A cancelled fit ends its worker mid-loop, exactly then; it took down a CI run.
 *
 * So isolates started from here optimise on their own thread. V8 reads the flag when it creates an isolate: the
 * process's main isolate keeps compiling in the background (serving latency is unchanged), workers compile inline,
 * which costs a fit a few milliseconds once per hot function. The flag is process-wide and set once, before the
 * first worker, from whichever thread gets here first.
 */
export function startWorker(script: URL | string, options?: WorkerOptions): Worker {
  if (!compilesOnOwnThread) {
    v8.setFlagsFromString('--no-concurrent-recompilation');
    compilesOnOwnThread = true;
  }
  // eslint-disable-next-line no-restricted-syntax -- the one place a worker is constructed
  return new Worker(script, options);
}

/** The threads a fit uses unless told otherwise: as many as the machine has, up to four. */
export function defaultFitThreads(): number {
  return Math.min(4, availableParallelism());
}
