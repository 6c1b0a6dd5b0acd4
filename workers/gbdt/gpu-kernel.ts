/**
 * The GBDT histogram pass as a WebGPU compute shader, and the host-side arithmetic around it (gpu-helper.ts runs it).
 *
 * WGSL has no float atomics and no 64-bit integers, and a histogram made with float atomics would depend on the
 * order the GPU's threads happened to run in. So each row's float32 gradient and hessian are scaled by a power of
 * two and rounded to a 64-bit fixed-point integer, and the sums are integer sums, kept as two u32 words with the
 * carry added by hand: integer addition is associative, so the histogram is the same whatever the order, run to run
 * and machine to machine (XGBoost's GPU histograms do the same). The scale is chosen per tree from the largest
 * magnitude so that no sum of every row can overflow (shiftFor); the rounding costs at most half a unit of 2^-shift
 * a row, about 2^-42 of a log-loss gradient at a million rows, far below the float64 rounding of the CPU kernels'
 * sums. The two kinds of sum differ in their last bits, so a GPU fit's trees match the CPU's where no two splits'
 * gains tie to within that (the test compares them), not bit for bit.
 *
 * Layout: the bins row-major as u32 words, four features a word (a row's F bytes padded to `words` × 4); a
 * workgroup takes one word (four features) over a run of rows into a 16 KiB workgroup histogram (4 features × 256
 * bins × gradient and hessian × low and high word: WebGPU's guaranteed workgroup storage, exactly), then adds it
 * into the global histogram, which has the same layout per feature: feature f's bin b's gradient at (f·256 + b)·4
 * (low, high) and its hessian at (f·256 + b)·4 + 2.
 */

export const workgroupSize = 256;
/** u32 words of the global histogram per feature: 256 bins × (gradient, hessian) × (low, high). */
export const wordsPerFeature = 1024;

export const histogramShader = /* wgsl */ `
struct Params {
  count: u32,
  words: u32,
  rowsPerGroup: u32,
  gradShift: i32,
  hessShift: i32,
  // 1: the node is every row in order (a tree's root without subsampling), and no row list was uploaded.
  identity: u32,
}

@group(0) @binding(0) var<storage, read> bins: array<u32>;
@group(0) @binding(1) var<storage, read> rows: array<u32>;
@group(0) @binding(2) var<storage, read> gradHess: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> local: array<atomic<u32>, 4096>;

// v · 2^shift rounded to an integer, as (low, high) words of its 64-bit two's complement. The shift goes in two
// halves so that neither ldexp's exponent leaves float32's range; the product itself stays below 2^62 by the
// choice of shift. Splitting |q| at 2^32 is exact (its bits below and above), and the negation is integer.
fn fixed(v: f32, shift: i32) -> vec2<u32> {
  let half = shift / 2;
  let q = round(ldexp(ldexp(v, half), shift - half));
  let a = abs(q);
  let high = floor(ldexp(a, -32));
  let low = u32(a - ldexp(high, 32));
  let hi = u32(high);
  if (q >= 0.0) {
    return vec2<u32>(low, hi);
  }
  let nlow = ~low + 1u;
  return vec2<u32>(nlow, ~hi + select(0u, 1u, nlow == 0u));
}

fn addLocal(at: u32, v: vec2<u32>) {
  let old = atomicAdd(&local[at], v.x);
  let high = v.y + select(0u, 1u, old > 0xffffffffu - v.x);
  if (high != 0u) {
    atomicAdd(&local[at + 1u], high);
  }
}

fn addGlobal(at: u32, v: vec2<u32>) {
  let old = atomicAdd(&hist[at], v.x);
  let high = v.y + select(0u, 1u, old > 0xffffffffu - v.x);
  if (high != 0u) {
    atomicAdd(&hist[at + 1u], high);
  }
}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  for (var i = t; i < 4096u; i += ${workgroupSize}u) {
    atomicStore(&local[i], 0u);
  }
  workgroupBarrier();
  let word = group.x;
  let begin = group.y * params.rowsPerGroup;
  let end = min(begin + params.rowsPerGroup, params.count);
  for (var k = begin + t; k < end; k += ${workgroupSize}u) {
    var r = k;
    if (params.identity == 0u) {
      r = rows[k];
    }
    let gh = gradHess[r];
    let g = fixed(gh.x, params.gradShift);
    let h = fixed(gh.y, params.hessShift);
    let w = bins[r * params.words + word];
    for (var j = 0u; j < 4u; j++) {
      let at = (j * 256u + ((w >> (8u * j)) & 0xffu)) * 4u;
      addLocal(at, g);
      addLocal(at + 2u, h);
    }
  }
  workgroupBarrier();
  // 2048 sums (4 features × 256 bins × gradient, hessian) of two words each; untouched bins stay zero.
  for (var s = t; s < 2048u; s += ${workgroupSize}u) {
    let v = vec2<u32>(atomicLoad(&local[2u * s]), atomicLoad(&local[2u * s + 1u]));
    if (v.x != 0u || v.y != 0u) {
      addGlobal(word * 4096u + 2u * s, v);
    }
  }
}
`;

/**
 * The shift for values whose largest magnitude is `maxAbs`, summed over at most `rows` rows: the largest power of
 * two such that rows · maxAbs · 2^shift < 2^61, leaving a factor of 4 below int64's range for rounding.
 */
export function shiftFor(maxAbs: number, rows: number): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 0;
  return Math.floor(61 - Math.log2(Math.max(1, rows)) - Math.log2(maxAbs)) - 1;
}

const two32 = 4294967296;

/**
 * Reads the global histogram (`words` × 4 features, wordsPerFeature u32 each) into the CPU kernels' layout: F × 256
 * bins × (gradient, hessian) float64, each sum its 64-bit integer times 2^-shift.
 */
export function decodeHistogram(raw: Uint32Array, F: number, gradShift: number, hessShift: number, out: Float64Array): void {
  const gradScale = 2 ** -gradShift;
  const hessScale = 2 ** -hessShift;
  for (let f = 0; f < F; f++) {
    const from = f * wordsPerFeature;
    const to = f * 512;
    for (let b = 0; b < 256; b++) {
      const at = from + 4 * b;
      // The high word as signed: (x | 0). One rounding, when the integer has more than 53 significant bits.
      out[to + 2 * b] = ((raw[at + 1]! | 0) * two32 + raw[at]!) * gradScale;
      out[to + 2 * b + 1] = ((raw[at + 3]! | 0) * two32 + raw[at + 2]!) * hessScale;
    }
  }
}

/**
 * Copies `count` rows' (gradient, hessian) pairs from `from` (shared memory) to `to` and returns the largest |gradient|
 * and |hessian| among them; NaN, once found, is the answer (it is not finite). A block copy, then a scan of the
 * thread's own copy: measured 0.3 + 2 ms for 800,000 rows here, where one loop copying element by element and scanning
 * took 10 ms (14 ms a tree on the H200 machine's CPU).
 */
export function copyGradients(from: Float32Array, to: Float32Array, count: number): { grad: number; hess: number } {
  to.set(from.subarray(0, 2 * count));
  let grad = 0;
  let hess = 0;
  for (let i = 0; i < 2 * count; i += 2) {
    const ga = Math.abs(to[i]!);
    const ha = Math.abs(to[i + 1]!);
    // NaN sticks: no comparison with it is true, so once found it stays.
    if (ga > grad) grad = ga;
    else if (ga !== ga) grad = Number.NaN;
    if (ha > hess) hess = ha;
    else if (ha !== ha) hess = Number.NaN;
  }
  return { grad, hess };
}

/** Whether rows[0, count) is 0, 1, …, count − 1: a root whose row list need not be uploaded. */
export function isIdentity(rows: Int32Array, count: number): boolean {
  for (let k = 0; k < count; k++) if (rows[k] !== k) return false;
  return true;
}
