// AssemblyScript: the GBDT hot loops as WebAssembly (built by `npm run build:wasm` into dist/workers/gbdt/kernel.wasm).
// The memory is imported and shared: the training arrays live in it, laid out by workers/gbdt/kernel.ts, and every
// histogram helper thread instantiates this module over the same memory. All pointers are byte offsets into it.
//
// Each loop does exactly the arithmetic of its TypeScript twin in histogram.ts / tree.ts, in the same order and
// precision (float32 gradients widened to float64, summed per bin in row order), so both kernels grow bit-identical
// trees. SIMD adds a bin's (gradient, hessian) pair in one f64x2 lane-wise add: two IEEE additions, as the scalar code.

/** Rows a gathered histogram copies at a time: their bins and gradients stay in L1 between the two loops. */
const gatherBlock = 64;

/** Bytes of the gather buffer for F features: gatherBlock rows of bins padded to 16 bytes, and their (g, h) pairs. */
export function gatherBytes(F: i32): i32 {
  return gatherBlock * (((F + 15) & ~15) + 8);
}

/**
 * Zeroes `out` (F × 256 bins × 2 float64) and adds rows[start, end) into it. Rows spread thinly over the bins (a deep
 * node's) go through `buf` (gatherBytes(F), this thread's own) a block at a time: the first loop only copies each
 * row's bins and gradients, a body short enough for the CPU to keep many rows' cache misses in flight, where the
 * accumulating loop's 32 dependent adds a row would let it look only a row or two ahead (measured 2–2.7× faster at
 * a quarter to a tenth of the rows). Dense rows (the root's) are read in place. Either way each row's values are
 * added in row order, so the sums are the same.
 */
export function histogram(bins: usize, F: i32, rows: usize, start: i32, end: i32, gradHess: usize, out: usize, buf: usize): void {
  memory.fill(out, 0, (<usize>F) << 12);
  if (end <= start) return;
  const stride = <usize>F;
  const span = load<i32>(rows + ((<usize>(end - 1)) << 2)) - load<i32>(rows + ((<usize>start) << 2));
  const gather = span >= 2 * (end - start);
  const pad = (stride + 15) & ~15;
  const vectors = pad >> 4;
  const gradBuf = buf + pad * gatherBlock;
  for (let block = start; block < end; block += gatherBlock) {
    const stop = min(block + gatherBlock, end);
    if (gather) {
      let to = buf;
      let gradTo = gradBuf;
      for (let k = block; k < stop; k++) {
        const r = <usize>load<i32>(rows + ((<usize>k) << 2));
        // Whole 16-byte vectors: a row's last one reads up to 15 bytes past it, inside the memory (the column-major
        // copy follows the bins), and lands in the row's padding.
        const from = bins + r * stride;
        for (let v: usize = 0; v < vectors; v++) v128.store(to + (v << 4), v128.load(from + (v << 4)));
        store<u64>(gradTo, load<u64>(gradHess + (r << 3)));
        to += pad;
        gradTo += 8;
      }
    }
    for (let k = block; k < stop; k++) {
      const r = <usize>load<i32>(rows + ((<usize>k) << 2));
      const i = <usize>(k - block);
      // One call of addRow, so that binaryen inlines it.
      const row = gather ? buf + i * pad : bins + r * stride;
      const grad = gather ? gradBuf + (i << 3) : gradHess + (r << 3);
      addRow(row, F, grad, out);
    }
  }
}

/** Adds one row's (g, h) (float32 at `grad`, widened) to the bins its F bytes at `row` name. */
function addRow(row: usize, F: i32, grad: usize, out: usize): void {
  const gh = f64x2.promote_low_f32x4(v128.load64_zero(grad));
  const F4 = F & ~3;
  let p = out;
  let f = 0;
  for (; f < F4; f += 4) {
    // Four bins in one load; each feature's 256 bins take 4096 bytes of the histogram.
    const w = load<u32>(row + <usize>f);
    const o0 = p + ((<usize>(w & 0xff)) << 4);
    const o1 = p + 4096 + ((<usize>((w >> 8) & 0xff)) << 4);
    const o2 = p + 8192 + ((<usize>((w >> 16) & 0xff)) << 4);
    const o3 = p + 12288 + ((<usize>(w >> 24)) << 4);
    v128.store(o0, f64x2.add(v128.load(o0), gh));
    v128.store(o1, f64x2.add(v128.load(o1), gh));
    v128.store(o2, f64x2.add(v128.load(o2), gh));
    v128.store(o3, f64x2.add(v128.load(o3), gh));
    p += 16384;
  }
  for (; f < F; f++) {
    const o = p + ((<usize>load<u8>(row + <usize>f)) << 4);
    v128.store(o, f64x2.add(v128.load(o), gh));
    p += 4096;
  }
}

/** out[i] += add[i] for `count` float64s: the sum of the threads' histograms, in the caller's order. */
export function addInto(out: usize, add: usize, count: i32): void {
  const end = out + ((<usize>count) << 3);
  let a = add;
  for (let o = out; o < end; o += 16) {
    v128.store(o, f64x2.add(v128.load(o), v128.load(a)));
    a += 16;
  }
}

/**
 * Partitions rows[start, end) by one feature's column (column-major bins) and a 256-entry go-left table, stably:
 * left rows first, each side in its old order (so a leaf's rows stay ascending and its histogram pass walks the bins
 * forwards). Branch-free: every row is written to both the left run (in place; it never overtakes the reader) and
 * the right rows' scratch, and only the side it belongs to advances. Returns the first right row. The TypeScript
 * partitionRows is the same algorithm.
 */
export function partition(column: usize, rows: usize, start: i32, end: i32, toLeft: usize, scratch: usize): i32 {
  const left = partitionSide(column, rows, start, end, toLeft, scratch);
  memory.copy(rows + ((<usize>(start + left)) << 2), scratch, (<usize>(end - start - left)) << 2);
  return start + left;
}

/**
 * partition's loop alone, for one thread's share of a large node: the left rows in place from `start`, the right
 * rows to `right`, each side in its old order; returns how many went left. The caller joins the threads' shares
 * (lefts in thread order, then rights), which is the single-thread partition exactly.
 */
export function partitionSide(column: usize, rows: usize, start: i32, end: i32, toLeft: usize, right: usize): i32 {
  const first = rows + ((<usize>start) << 2);
  let left = first;
  let to = right;
  const stop = rows + ((<usize>end) << 2);
  for (let p = first; p < stop; p += 4) {
    const r = load<i32>(p);
    const go = <usize>load<u8>(toLeft + <usize>load<u8>(column + <usize>r));
    store<i32>(left, r);
    store<i32>(to, r);
    left += go << 2;
    to += (go ^ 1) << 2;
  }
  return <i32>((left - first) >> 2);
}

/** Copies `count` int32s from `from` to `to` (overlap allowed): the join of a partition's shares, as memory.copy. */
export function moveInts(to: usize, from: usize, count: i32): void {
  memory.copy(to, from, (<usize>count) << 2);
}
