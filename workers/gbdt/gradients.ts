/*
 * fdlibm's e_exp.c (the exp V8's Math.exp is), for arguments ≤ 0, as the wasm kernel's binaryGradients has it: both
 * kernels run the same arithmetic rather than one calling Math.exp and trusting the engine's to stay fdlibm's.
 */
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.6533902205465251539e-6;
const P5 = 4.13813679705723846039e-8;
const ln2Hi = 6.9314718036912381649e-1;
const ln2Lo = 1.90821492927058770002e-10;
const invLn2 = 1.442695040888963387;
const fromHighWord = (high: number): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, high);
  return view.getFloat64(0);
};
/** fdlibm's thresholds on the high word of |x|, as doubles: 0.5 ln 2, 1.5 ln 2, 2^-28, ~709.78. */
const halfLn2 = fromHighWord(0x3fd62e43);
const oneHalfLn2 = fromHighWord(0x3ff0a2b2);
const tiny = fromHighWord(0x3e300000);
const big = fromHighWord(0x40862e42);
const underflow = -7.4513321910194110842e2;
/** 2^k at powersOfTwo[k + 1075], k from −1074 to 0: halving is exact down to the smallest subnormal. */
const powersOfTwo = new Float64Array(1076);
for (let k = 0, v = 1; k >= -1074; k--, v /= 2) powersOfTwo[k + 1075] = v;
const twoToMinus1000 = powersOfTwo[75]!;

/** e^x for x ≤ 0 or NaN, fdlibm's arithmetic step for step (bit-equal to Math.exp there: a test checks). */
export function expNonPositive(x: number): number {
  const ax = -x;
  if (!(ax < big)) {
    if (x !== x) return x;
    if (x < underflow) return 0;
  }
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (ax >= halfLn2) {
    if (ax < oneHalfLn2) {
      hi = x + ln2Hi;
      lo = -ln2Lo;
      k = -1;
    } else {
      k = Math.trunc(invLn2 * x - 0.5);
      hi = x - k * ln2Hi;
      lo = k * ln2Lo;
    }
    x = hi - lo;
  } else if (ax < tiny) return 1 + x;
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  return k >= -1021 ? y * powersOfTwo[k + 1075]! : y * powersOfTwo[k + 1075 + 1000]! * twoToMinus1000;
}

/**
 * One pass over rows [start, end) of a single-output model (binary log loss, squared error or Huber): the gradients
 * and hessians at the current margins, written for the next tree, and the sum of the rows' loss at those margins
 * (unweighted, as marginLoss reports it), returned. Boosting needs both after every tree; one pass reads the margins
 * once and, for log loss, shares one exponential between the probability and the loss: exp(-|m|) is the term both
 * need, which also keeps either from overflowing. The wasm kernel's binaryGradients is the same arithmetic.
 */
export function gradientsAndLoss(
  task: 'binary' | 'regression',
  margins: Float64Array,
  targets: Int32Array | Float64Array,
  weights: Float64Array | null,
  huberDelta: number | null,
  gradHess: Float32Array,
  start: number,
  end: number,
): number {
  let loss = 0;
  if (task === 'binary') {
    // Σ log(1 + e) is taken as the log of products of 32 factors, each in (1, 2] (so a product stays under 2³²): one
    // logarithm per 32 rows instead of a log1p per row, a third of this pass. The logarithms are summed apart from
    // the rows' other terms and added last (so the wasm kernel, which has no log, hands its products back to be
    // summed the same way). It equals the per-row sum but for rounding (~1e-14 relative, against marginLoss's).
    let product = 1;
    let logs = 0;
    for (let i = start; i < end; i++) {
      const m = margins[i]!;
      const y = targets[i]!;
      const w = weights === null ? 1 : weights[i]!;
      const e = expNonPositive(-Math.abs(m));
      const q = m >= 0 ? 1 / (1 + e) : e / (1 + e);
      gradHess[2 * i] = (q - y) * w;
      gradHess[2 * i + 1] = Math.max(q * (1 - q), 1e-16) * w;
      product *= 1 + e;
      loss += (m > 0 ? m : 0) - y * m;
      if ((i & 31) === 31) {
        logs += Math.log(product);
        product = 1;
      }
    }
    logs += Math.log(product);
    loss += logs;
  } else {
    for (let i = start; i < end; i++) {
      const r = margins[i]! - targets[i]!;
      gradHess[2 * i] = huberDelta === null || Math.abs(r) <= huberDelta ? r : huberDelta * Math.sign(r);
      gradHess[2 * i + 1] = 1;
      loss += 0.5 * r * r;
    }
  }
  return loss;
}

/**
 * The loss the wasm kernel's binaryGradients left in `out` (from index `at`, `count` products after the rows'
 * sum): the products' logarithms summed in order, then added to the sum, as gradientsAndLoss adds them.
 */
export function lossFromProducts(out: Float64Array, at: number, count: number): number {
  return out[at]! + sumOfLogs(out, at + 1, at + 1 + count);
}

/**
 * The logarithms of out[from, to) summed in order. A loop alone in its function: with the addition after it in the
 * same function, V8 entered the loop's on-stack-replaced code on every call and threw it away at that addition
 * (no type feedback there), some hundred deoptimisations a fit.
 */
function sumOfLogs(out: Float64Array, from: number, to: number): number {
  let logs = 0;
  for (let k = from; k < to; k++) logs += Math.log(out[k]!);
  return logs;
}

/**
 * Adds each leaf's value to the margins of its rows, for the rows at positions [start, end) of `rows` (a leaf is a
 * slice of the row array after growth). `leaves` is [count, then start, end, value per leaf]. Every row is in exactly
 * one leaf, so threads given disjoint ranges never write the same margin, and the sums are those of one thread.
 */
export function addLeafValues(margins: Float64Array, rows: Int32Array, leaves: Float64Array, start: number, end: number): void {
  const count = leaves[0]!;
  for (let l = 0; l < count; l++) {
    const from = Math.max(leaves[1 + 3 * l]!, start);
    const to = Math.min(leaves[2 + 3 * l]!, end);
    const v = leaves[3 + 3 * l]!;
    for (let k = from; k < to; k++) margins[rows[k]!]! += v;
  }
}
