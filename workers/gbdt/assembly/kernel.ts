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
    // Exactly 1 goes left, as the TypeScript loop's === 1 (a table's other bytes would step the cursors apart).
    const go = <usize>(load<u8>(toLeft + <usize>load<u8>(column + <usize>r)) == 1);
    store<i32>(left, r);
    store<i32>(to, r);
    left += go << 2;
    to += (go ^ 1) << 2;
  }
  return <i32>((left - first) >> 2);
}

/**
 * Writes the row-major bins (n × F at `bins`) column-major (F × n at `columns`): one pass that reads the rows in
 * order and writes F streams, once per training (kernel.ts's transpose, as the TypeScript kernel makes it).
 */
export function transpose(bins: usize, columns: usize, n: i32, F: i32): void {
  const rows = <usize>n;
  const stride = <usize>F;
  for (let i: usize = 0; i < rows; i++) {
    const row = bins + i * stride;
    for (let f: usize = 0; f < stride; f++) store<u8>(columns + f * rows + i, load<u8>(row + f));
  }
}

/** Copies `count` int32s from `from` to `to` (overlap allowed): the join of a partition's shares, as memory.copy. */
export function moveInts(to: usize, from: usize, count: i32): void {
  memory.copy(to, from, (<usize>count) << 2);
}

// ---- Binary log loss gradients ----------------------------------------------------------------------------------
// fdlibm's e_exp.c (the exp V8's Math.exp is), for arguments ≤ 0: the TypeScript kernel's expNonPositive (gradients.ts)
// is the same port, so both kernels make the same gradients bit for bit, and both equal Math.exp (a test checks).
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.6533902205465251539e-6;
const P5: f64 = 4.13813679705723846039e-8;
const ln2Hi: f64 = 6.9314718036912381649e-1;
const ln2Lo: f64 = 1.90821492927058770002e-10;
const invLn2: f64 = 1.442695040888963387;
/** fdlibm's thresholds on the high word of |x|, as doubles: 0.5 ln 2, 1.5 ln 2, 2^-28, ~709.78. */
const halfLn2: f64 = reinterpret<f64>(0x3fd62e4300000000);
const oneHalfLn2: f64 = reinterpret<f64>(0x3ff0a2b200000000);
const tiny: f64 = reinterpret<f64>(0x3e30000000000000);
const big: f64 = reinterpret<f64>(0x40862e4200000000);
const underflow: f64 = -7.4513321910194110842e2;
/** Below this |x| the vector path's 2^k is a normal number (k ≥ −1021): fdlibm's scaling by 2^-1000 is not needed. */
const vectorLimit: f64 = 708;

/** e^x for x ≤ 0 or NaN, fdlibm's arithmetic step for step. */
function expNonPositive(x: f64): f64 {
  const ax = -x;
  if (!(ax < big)) {
    if (x != x) return x;
    if (x < underflow) return 0;
  }
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (ax >= halfLn2) {
    if (ax < oneHalfLn2) {
      hi = x + ln2Hi;
      lo = -ln2Lo;
      k = -1;
    } else {
      k = <i32>(invLn2 * x - 0.5);
      hi = x - <f64>k * ln2Hi;
      lo = <f64>k * ln2Lo;
    }
    x = hi - lo;
  } else if (ax < tiny) return 1 + x;
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  if (k >= -1021) return y * reinterpret<f64>((<i64>(0x3ff + k)) << 52);
  return y * reinterpret<f64>((<i64>(0x3ff + k + 1000)) << 52) * reinterpret<f64>((<i64>(0x3ff - 1000)) << 52);
}

/**
 * expNonPositive of two arguments x = −|m| at once, each |m| < vectorLimit: fdlibm's three reductions (k = 0 below
 * 0.5 ln 2, −1 below 1.5 ln 2, else trunc(x/ln 2 − 0.5)) are one formula with k chosen per lane, since with k = 0 or
 * −1 the general formula's operations are exactly the special paths' (x − 0·ln2Hi = x; x − (−1)·ln2Hi = x + ln2Hi;
 * and 0 − a/(2 − c) = a/(c − 2)); 2^-28 and below is 1 + x, as fdlibm.
 */
function expPair(x: v128, ax: v128): v128 {
  let kf = f64x2.trunc(f64x2.sub(f64x2.mul(f64x2.splat(invLn2), x), f64x2.splat(0.5)));
  kf = v128.bitselect(f64x2.splat(-1), kf, f64x2.lt(ax, f64x2.splat(oneHalfLn2)));
  kf = v128.bitselect(f64x2.splat(0), kf, f64x2.lt(ax, f64x2.splat(halfLn2)));
  const hi = f64x2.sub(x, f64x2.mul(kf, f64x2.splat(ln2Hi)));
  const lo = f64x2.mul(kf, f64x2.splat(ln2Lo));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  let poly = f64x2.add(f64x2.splat(P4), f64x2.mul(t, f64x2.splat(P5)));
  poly = f64x2.add(f64x2.splat(P3), f64x2.mul(t, poly));
  poly = f64x2.add(f64x2.splat(P2), f64x2.mul(t, poly));
  poly = f64x2.add(f64x2.splat(P1), f64x2.mul(t, poly));
  const c = f64x2.sub(r, f64x2.mul(t, poly));
  const quotient = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2), c));
  const y = f64x2.sub(f64x2.splat(1), f64x2.sub(f64x2.sub(lo, quotient), hi));
  const k = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(kf));
  const twoPk = i64x2.shl(i64x2.add(k, i64x2.splat(0x3ff)), 52);
  return v128.bitselect(f64x2.add(f64x2.splat(1), x), f64x2.mul(y, twoPk), f64x2.lt(ax, f64x2.splat(tiny)));
}

/**
 * Binary log loss at the margins of rows [start, end): each row's gradient and hessian (float32, weighted) written
 * to gradHess, as the TypeScript gradientsAndLoss makes them. The loss goes to `out`: out[0] the sum of the rows'
 * max(m, 0) − y·m, then the products of 1 + e^-|m| over each run of rows up to an index ≡ 31 (mod 32), and the
 * last run's; returns how many products. The caller adds their logarithms (wasm has no log) in order. `weights` 0:
 * none. Two rows a step in f64x2 lanes where both |m| < 708 (else, and for an odd row at either end, one at a time).
 */
export function binaryGradients(
  margins: usize,
  targets: usize,
  weights: usize,
  gradHess: usize,
  start: i32,
  end: i32,
  out: usize,
): i32 {
  let lin: f64 = 0;
  let product: f64 = 1;
  let count = 0;
  let i = start;
  const limit = f64x2.splat(vectorLimit);
  while (i < end) {
    const at = (<usize>i) << 3;
    if ((i & 1) == 0 && i + 1 < end) {
      const m = v128.load(margins + at);
      const ax = f64x2.abs(m);
      if (v128.all_true<i64>(f64x2.lt(ax, limit))) {
        const y = v128.load(targets + at);
        const e = expPair(f64x2.neg(ax), ax);
        const onePlus = f64x2.add(f64x2.splat(1), e);
        const q = v128.bitselect(f64x2.div(f64x2.splat(1), onePlus), f64x2.div(e, onePlus), f64x2.ge(m, f64x2.splat(0)));
        let g = f64x2.sub(q, y);
        let h = f64x2.max(f64x2.mul(q, f64x2.sub(f64x2.splat(1), q)), f64x2.splat(1e-16));
        if (weights != 0) {
          const w = v128.load(weights + at);
          g = f64x2.mul(g, w);
          h = f64x2.mul(h, w);
        }
        v128.store(gradHess + at, v128.shuffle<f32>(f32x4.demote_f64x2_zero(g), f32x4.demote_f64x2_zero(h), 0, 4, 1, 5));
        const m0 = f64x2.extract_lane(m, 0);
        const m1 = f64x2.extract_lane(m, 1);
        product *= f64x2.extract_lane(onePlus, 0);
        lin += (m0 > 0 ? m0 : 0) - f64x2.extract_lane(y, 0) * m0;
        product *= f64x2.extract_lane(onePlus, 1);
        lin += (m1 > 0 ? m1 : 0) - f64x2.extract_lane(y, 1) * m1;
        if (((i + 1) & 31) == 31) {
          count++;
          store<f64>(out + ((<usize>count) << 3), product);
          product = 1;
        }
        i += 2;
        continue;
      }
    }
    const m = load<f64>(margins + at);
    const y = load<f64>(targets + at);
    const w: f64 = weights == 0 ? 1 : load<f64>(weights + at);
    const e = expNonPositive(-abs(m));
    const q = m >= 0 ? 1 / (1 + e) : e / (1 + e);
    store<f32>(gradHess + at, <f32>((q - y) * w));
    store<f32>(gradHess + at + 4, <f32>(max(q * (1 - q), 1e-16) * w));
    product *= 1 + e;
    lin += (m > 0 ? m : 0) - y * m;
    if ((i & 31) == 31) {
      count++;
      store<f64>(out + ((<usize>count) << 3), product);
      product = 1;
    }
    i++;
  }
  count++;
  store<f64>(out + ((<usize>count) << 3), product);
  store<f64>(out, lin);
  return count;
}

/**
 * Adds each leaf's value to the margins of its rows, for the rows at positions [start, end) of `rows`: the
 * TypeScript addLeafValues (gradients.ts) over the same leaf table ([count, then start, end, value per leaf]).
 */
export function addLeafValues(margins: usize, rows: usize, leaves: usize, start: i32, end: i32): void {
  const count = <i32>load<f64>(leaves);
  for (let l = 0; l < count; l++) {
    const at = leaves + 8 + <usize>l * 24;
    const from = max(<i32>load<f64>(at), start);
    const to = min(<i32>load<f64>(at + 8), end);
    const value = load<f64>(at + 16);
    for (let k = from; k < to; k++) {
      const m = margins + ((<usize>load<i32>(rows + ((<usize>k) << 2))) << 3);
      store<f64>(m, load<f64>(m) + value);
    }
  }
}
