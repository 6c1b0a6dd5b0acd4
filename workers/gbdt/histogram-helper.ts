import { workerData } from 'node:worker_threads';
import type { HelperData } from './histogram.js';
import { addLeafValues, gradientsAndLoss, lossFromProducts } from './gradients.js';
import { waitWhile } from './handoff.js';
import { accumulateHistogram, instantiateKernel } from './kernel.js';

/**
 * A histogram helper thread: waits for a row range, fills its own shared histogram (a SharedArrayBuffer, or its
 * slice of the shared wasm memory, through its own instance of the kernel), signals done.
 */
const data = workerData as HelperData;
const { control, F, rows, gradHess, bins } = data;
const kernel = data.kind === 'wasm' ? instantiateKernel(data.module, data.memory) : null;
const fill: (start: number, end: number) => void =
  data.kind === 'typescript'
    ? (start, end) => {
        data.hist.fill(0);
        accumulateHistogram(bins, F, rows, start, end, gradHess, data.hist);
      }
    : (
        (at) => (start: number, end: number) =>
          kernel!.histogram(at.bins, F, at.rows, start, end, at.gradHess, at.hist, at.gather)
      )(data.at);
/** A share of a large node's partition (wasm only; see HistogramPool.partition): returns how many rows went left. */
const partitionShare = (feature: number, start: number, end: number): number => {
  if (data.kind !== 'wasm') throw new Error('a partition share needs the wasm kernel');
  const { at } = data;
  return kernel!.partitionSide(at.columns + feature * at.n, at.rows, start, end, at.toLeft, at.scratch + start * 4);
};
const gradients = data.gradients;
/** A binary model's gradients through the wasm kernel, when its arrays are in the memory: the rows' loss. */
const wasmBinary =
  data.kind === 'wasm' && data.at.binary !== null && gradients?.task === 'binary'
    ? ((at, binary, memory) => (start: number, end: number) => {
        const count = kernel!.binaryGradients(
          binary.margins,
          binary.targets,
          binary.weights,
          at.gradHess,
          start,
          end,
          binary.losses,
        );
        return lossFromProducts(memory, binary.losses / 8, count);
      })(data.at, data.at.binary, new Float64Array(data.memory.buffer))
    : null;
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
  // (Work.Leaves), 3 a share of a partition (Work.Partition), anything else a histogram.
  const work = Atomics.load(control, 4);
  if (work === 3) Atomics.store(control, 6, partitionShare(Atomics.load(control, 5), start, end));
  else if (work === 1 && gradients !== null) {
    const { task, margins, targets, weights, huberDelta, loss } = gradients;
    loss[0] =
      wasmBinary === null
        ? gradientsAndLoss(task, margins, targets, weights, huberDelta, gradHess, start, end)
        : wasmBinary(start, end);
  } else if (work === 2 && gradients !== null) addLeafValues(gradients.margins, rows, gradients.leaves, start, end);
  else fill(start, end);
  Atomics.store(control, 1, seq);
  Atomics.notify(control, 1);
}
