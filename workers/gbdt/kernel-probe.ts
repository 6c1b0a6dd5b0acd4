import { isDeepStrictEqual } from 'node:util';
import type { BackendProbe } from '../../main/accel/backend-probe.js';
import { missingBin } from '../../main/models/binning.js';
import { seededRandom } from '../../main/stats/random.js';
import { fitBoosting, type BoostInput, type BoostParams } from './boost.js';
import type { KernelChoice, KernelName } from './kernel.js';

/** The kernels in the order `auto` tries them, by the names the run reports and `hearth doctor` lists. */
const kernels: { name: KernelName; choice: KernelChoice; device: string }[] = [
  { name: 'native', choice: 'native', device: `cpu (${process.arch}, C)` },
  { name: 'wasm-simd', choice: 'wasm', device: 'cpu (WebAssembly SIMD)' },
  { name: 'typescript', choice: 'typescript', device: 'cpu (JavaScript)' },
];

/** 3,000 binned rows of five features, one categorical, 5% missing, with a known signal to split on. */
function probeTable(): BoostInput {
  const n = 3000;
  const binCounts = [255, 40, 12, 7, 64];
  const F = binCounts.length;
  const random = seededRandom(29);
  const bins = new Uint8Array(new SharedArrayBuffer(n * F));
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) bins[i * F + f] = random() < 0.05 ? missingBin : Math.floor(random() * binCounts[f]!);
    const b = (f: number): number => (bins[i * F + f] === missingBin ? 0 : bins[i * F + f]!);
    targets[i] = b(0) / 255 - b(1) / 40 + (b(2) % 3 === 0 ? 0.5 : -0.2) + 0.4 * (random() - 0.5) > 0 ? 1 : 0;
  }
  return {
    task: 'binary',
    classes: 0,
    bins,
    F,
    binCounts,
    categorical: [false, false, true, false, false],
    targets,
    validation: null,
  };
}

const probeParams: BoostParams = {
  trees: 6,
  learningRate: 0.3,
  maxLeaves: 15,
  maxDepth: 0,
  minChildSamples: 20,
  minChildWeight: 1e-3,
  minSplitGain: 0,
  l1: 0,
  l2: 1,
  catSmooth: 10,
  catL2: 10,
  maxCatThreshold: 32,
  minDataPerGroup: 50,
  maxCatToOnehot: 4,
  rowSubsample: 1,
  colSubsample: 1,
  earlyStoppingRounds: 0,
  seed: 3,
  threads: 1,
  classWeights: null,
  huberDelta: null,
};

/**
 * Each GBDT kernel probed with a known computation: six trees grown on a small table, which must be the TypeScript
 * kernel's trees bit for bit (the kernels' contract: the same model whichever runs). A kernel that does not load, or
 * grows other trees, is unusable, with the reason. `native`: whether to run the native kernel here.
 */
export function probeGbdtKernels(native = true): BackendProbe[] {
  const input = probeTable();
  const reference = fitBoosting(input, { ...probeParams, kernel: 'typescript' });
  return kernels.map(({ name, choice, device }) => {
    const probe = { name, preferred: true, software: false };
    if (choice === 'typescript')
      return { ...probe, usable: true, device, reason: 'always available: the reference the others must match' };
    // Run only in the probe child: in the host a crash in native code would end the host too.
    if (choice === 'native' && !native)
      return {
        ...probe,
        usable: false,
        device: null,
        reason: 'not probed: the probe process could not run, and this one does not load native code for a report',
        notProbed: true,
      };
    try {
      const fit = fitBoosting(input, { ...probeParams, kernel: choice });
      if (!isDeepStrictEqual(fit.trees, reference.trees))
        return {
          ...probe,
          usable: false,
          device: null,
          reason: 'grew other trees than the TypeScript kernel on the probe table',
          wrongAnswer: true,
        };
      return { ...probe, usable: true, device, reason: "loads, and grows the TypeScript kernel's trees bit for bit" };
    } catch (error) {
      return {
        ...probe,
        usable: false,
        device: null,
        reason: (error instanceof Error ? error.message : String(error)).split('\n')[0]!,
      };
    }
  });
}
