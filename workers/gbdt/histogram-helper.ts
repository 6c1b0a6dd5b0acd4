import { workerData } from 'node:worker_threads';
import { accumulateHistogram } from './histogram.js';

/** A histogram helper thread: waits for a row range, fills its own shared histogram, signals done. */
const { control, hist, bins, F, rows, gradHess } = workerData as {
  control: Int32Array;
  hist: Float64Array;
  bins: Uint8Array;
  F: number;
  rows: Int32Array;
  gradHess: Float32Array;
};
let seen = 0;
for (;;) {
  Atomics.wait(control, 0, seen);
  const seq = Atomics.load(control, 0);
  if (seq < 0) break;
  if (seq === seen) continue;
  seen = seq;
  hist.fill(0);
  accumulateHistogram(bins, F, rows, Atomics.load(control, 2), Atomics.load(control, 3), gradHess, hist);
  Atomics.store(control, 1, seq);
  Atomics.notify(control, 1);
}
