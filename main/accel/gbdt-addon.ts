import { createRequire } from 'node:module';
import type { GbdtKernelName } from '../contracts/api.js';

/**
 * The native GBDT addon (workers/gbdt/native: the histogram and partition loops, the split search, binning's matrix
 * fill), built by `npm run build:native` into dist/workers/gbdt/kernel.node. Optional: where it is missing (no C
 * compiler when Hearth was built), the wasm and TypeScript code does the same work and gives the same results.
 */
export interface BinFill {
  /** binning.ts's numeric fill of out[i * F + f] for i in [start, end) (bins.c's fillNumeric). */
  fillNumeric(
    values: Float64Array,
    rows: Int32Array,
    upper: Float64Array,
    first: Uint8Array,
    low: number,
    scale: number,
    out: Uint8Array,
    F: number,
    f: number,
    start: number,
    end: number,
  ): void;
  /** The values of `rows` that are not NaN, in order, into `out`; how many (bins.c's gatherPresent). */
  gatherPresent(values: Float64Array, rows: Int32Array, out: Float64Array): number;
  /** Sorts in place as stats.ts's sortFloat64 does, to the bit (bins.c's sortDoubles); returns `values`. */
  sortDoubles(values: Float64Array): Float64Array;
  /** binning.ts's fill of a categorical feature from level codes through `byCode` (bins.c's fillCodes). */
  fillCodes(
    codes: Int32Array,
    rows: Int32Array,
    byCode: Uint8Array,
    out: Uint8Array,
    F: number,
    f: number,
    start: number,
    end: number,
  ): void;
}

/**
 * The GBDT kernel a HEARTH_GBDT_KERNEL value names (native; wasm or wasm-simd; typescript or ts), null for the
 * automatic choice (unset, empty or auto), undefined for anything else. Every fit reads it (workers/gbdt/kernel.ts),
 * and `hearth doctor` shows what it selects.
 */
export function gbdtKernelNamed(value: string | undefined): GbdtKernelName | null | undefined {
  if (value === undefined || value === '' || value === 'auto') return null;
  const names: Record<string, GbdtKernelName> = {
    native: 'native',
    wasm: 'wasm-simd',
    'wasm-simd': 'wasm-simd',
    typescript: 'typescript',
    ts: 'typescript',
  };
  return Object.hasOwn(names, value) ? names[value] : undefined;
}

let addon: Record<string, unknown> | Error | undefined;

/** The addon's exports (loaded once per thread), or why it cannot be had. */
export function gbdtAddon(): Record<string, unknown> | Error {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)('../../workers/gbdt/kernel.node') as Record<string, unknown>;
    } catch (e) {
      addon = new Error(`the native GBDT kernel did not load (run npm run build:native): ${(e as Error).message}`);
    }
  }
  return addon;
}

/** Binning's native sample, sort and matrix fill, where the addon loads (and has them); null where not. */
export function nativeBinFill(): BinFill | null {
  const loaded = gbdtAddon();
  if (loaded instanceof Error) return null;
  const names = ['fillNumeric', 'fillCodes', 'gatherPresent', 'sortDoubles'];
  // An addon built before binning's functions were added to it has none of them: the TypeScript loops then.
  if (names.some((name) => typeof loaded[name] !== 'function')) return null;
  return loaded as unknown as BinFill;
}

/** The addon's sort of doubles (sortFloat64's order, to the bit), where the addon loads with it; null where not. */
export function nativeSortDoubles(): ((values: Float64Array) => Float64Array) | null {
  const fill = nativeBinFill();
  return fill === null ? null : (values) => fill.sortDoubles(values);
}
