import { parentPort, workerData } from 'node:worker_threads';
import type { HelperData } from './histogram.js';
import { waitWhile } from './handoff.js';
import { instantiateKernel } from './kernel.js';
import { runClaimedShares, type ShareResources } from './shares.js';
import { splitSearch } from './split-search.js';

/**
 * A helper thread of a HistogramPool: waits for a task, claims and runs its shares (shares.ts) through its own
 * instance of the kernel (over the shared wasm memory, or the TypeScript loops over shared arrays; split searches
 * with its own scratch), and goes back to waiting; a sequence number of −1 ends it.
 */
function run(data: HelperData): void {
  const { task, index } = data;
  const resources: ShareResources = {
    task,
    shareLoss: data.shareLoss,
    F: data.F,
    rows: data.rows,
    gradHess: data.gradHess,
    bins: data.bins,
    gradients: data.gradients,
    splits:
      data.splits === null
        ? null
        : {
            ...data.splits,
            search: splitSearch(
              data.F,
              data.splits.setting.binCounts,
              data.splits.setting.categorical,
              data.splits.setting.params,
              data.kind !== 'typescript' && data.native,
            ),
          },
    kernel:
      data.kind === 'typescript'
        ? { kind: 'typescript', hists: data.hists }
        : {
            kind: 'wasm',
            exports: instantiateKernel(data.module, data.memory, data.native, data.bins.length / data.F, data.F),
            memory: new Float64Array(data.memory.buffer),
            at: { ...data.at, gather: data.at.gathers[index]! },
          },
  };
  let seen = 0;
  for (;;) {
    waitWhile(task, 0, seen);
    const seq = Atomics.load(task, 0);
    if (seq < 0) break;
    if (seq === seen) continue;
    seen = seq;
    runClaimedShares(resources, seq);
  }
}

// Started with its data, or parked ahead of a fit (prestartHelpers) until the pool sends it; a parked helper that
// ends its fit closes its port, so the thread ends as one started with its data does.
if (workerData !== null && workerData !== undefined) run(workerData as HelperData);
else
  parentPort!.once('message', (data: HelperData) => {
    run(data);
    parentPort!.close();
  });
