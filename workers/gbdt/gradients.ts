/**
 * One pass over rows [start, end) of a single-output model (binary log loss, squared error or Huber): the gradients
 * and hessians at the current margins, written for the next tree, and the sum of the rows' loss at those margins
 * (unweighted, as marginLoss reports it), returned. Boosting needs both after every tree; one pass reads the margins
 * once and, for log loss, shares one exponential between the probability and the loss: exp(-|m|) is the term both
 * need, which also keeps either from overflowing.
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
    // logarithm per 32 rows instead of a log1p per row, a third of this pass. It equals the per-row sum but for
    // rounding (~1e-14 relative, against marginLoss's own sum).
    let product = 1;
    for (let i = start; i < end; i++) {
      const m = margins[i]!;
      const y = targets[i]!;
      const w = weights === null ? 1 : weights[i]!;
      const e = Math.exp(-Math.abs(m));
      const q = m >= 0 ? 1 / (1 + e) : e / (1 + e);
      gradHess[2 * i] = (q - y) * w;
      gradHess[2 * i + 1] = Math.max(q * (1 - q), 1e-16) * w;
      product *= 1 + e;
      loss += (m > 0 ? m : 0) - y * m;
      if ((i & 31) === 31) {
        loss += Math.log(product);
        product = 1;
      }
    }
    loss += Math.log(product);
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
