import { workerData } from 'node:worker_threads';
import type { HelperData } from './histogram.js';
import { addLeafValues, gradientsAndLoss } from './gradients.js';
import { takeBlocks, waitWhile } from './handoff.js';
import { accumulateHistogram, instantiateKernel, type FixedPoint } from './kernel.js';

/**
 * A histogram helper thread: waits for a row range, fills its own shared histogram (a SharedArrayBuffer, or its
 * slice of the shared wasm memory, through its own instance of the kernel), signals done.
 */
const data = workerData as HelperData;
const { control, F, rows, gradHess, bins } = data;
const shared = { next: new Int32Array(data.shared, 0, 1), scales: new Float64Array(data.shared, 8, 2) };
// The fixed point's units do not matter here: the caller turns the summed integers back into gradients.
const scale = (): FixedPoint => ({ scaleG: shared.scales[0]!, scaleH: shared.scales[1]!, unitG: 1, unitH: 1 });
/** Zeroes this thread's histogram and adds blocks of [start, end) to it as the shared counter hands them out. */
const fill: (start: number, end: number) => void =
  data.kind === 'typescript'
    ? (start, end) => {
        data.hist.fill(0);
        const fixed = scale();
        takeBlocks(shared.next, start, end, (from, to) =>
          accumulateHistogram(bins, F, rows, from, to, gradHess, data.hist, fixed),
        );
      }
    : ((kernel, at) => (start: number, end: number) => {
        const { scaleG, scaleH } = scale();
        kernel.histogram(at.bins, F, at.rows, start, start, at.gradHess, at.hist, at.gather, scaleG, scaleH, true);
        takeBlocks(shared.next, start, end, (from, to) =>
          kernel.histogram(at.bins, F, at.rows, from, to, at.gradHess, at.hist, at.gather, scaleG, scaleH, false),
        );
      })(instantiateKernel(data.module, data.memory), data.at);
const gradients = data.gradients;
let seen = 0;
for (;;) {
  waitWhile(control, 0, seen);
  const seq = Atomics.load(control, 0);
  if (seq < 0) break;
  if (seq === seen) continue;
  seen = seq;
  const start = Atomics.load(control, 2);
  const end = Atomics.load(control, 3);
  // What to do: 1 is the gradients' pass (histogram.ts Work.Gradients), 2 a tree's leaf values added to the margins
  // (Work.Leaves), anything else a histogram.
  const work = Atomics.load(control, 4);
  if (work === 1 && gradients !== null) {
    const { task, margins, targets, weights, huberDelta, loss } = gradients;
    loss[0] = gradientsAndLoss(task, margins, targets, weights, huberDelta, gradHess, start, end);
  } else if (work === 2 && gradients !== null) addLeafValues(gradients.margins, rows, gradients.leaves, start, end);
  else fill(start, end);
  Atomics.store(control, 1, seq);
  Atomics.notify(control, 1);
}
