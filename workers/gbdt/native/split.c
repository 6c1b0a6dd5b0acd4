// The split search at native speed: split-search.ts's findSplit (numeric thresholds with missing values on either
// side, one-vs-rest and LightGBM's many-vs-many categorical splits) in C, the same arithmetic in the same order, so
// a native fit grows the trees a TypeScript or wasm one grows, bit for bit (binding.gyp: no FMA contraction, no
// fast-math). In a fresh process the TypeScript search runs cold for much of a short fit (a 255k-row mixed set's
// first fit spent ~200 ms of its 1 s there, against ~70 ms warm); this runs at full speed from its first call.
//
// findSplit(hist, setting, usable, node, out, outSet) takes typed arrays only, reads them within the call and keeps
// nothing: hist is a node's histogram (F x 256 bins x (gradient, hessian) doubles, bin 255 missing), setting the
// search's shape and parameters (nativeSetting in split-search.ts), usable a byte per feature, node its rows, depth
// and gradient sums. It returns 0 (no split), 1 (a threshold) or 2 (a category set in outSet's first 256 bytes), and
// writes [gain, feature, bin, defaultLeft] to out. Every array's type and length, F and each feature's bin count are
// checked first (a failed check throws and reads nothing); the other parameters and the sums are only arithmetic
// (any double, NaN included, gives TypeScript's answer, and none is an index).
#include "split.h"
#include "args.h"

#include <math.h> /* INFINITY only: nothing from libm */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MISSING_BIN 255
#define STRIDE 2
/** setting's fields before the per-feature ones (split-search.ts's settingFields). */
#define SETTING_FIELDS 12
#define MAX_SPLIT_FEATURES 65536

typedef struct {
  double maxDepth, minChildSamples, minChildWeight, minSplitGain, l1, l2, catSmooth, catL2, maxCatThreshold,
      minDataPerGroup, maxCatToOnehot;
} Params;

static double threshold(double g, double l1) {
  if (g > l1) return g - l1;
  if (g < -l1) return g + l1;
  return 0;
}

/** threshold(g, 0): g, and 0 for NaN. */
static double identity(double g) { return g == g ? g : 0; }

static double sidesGain(double GL, double HL, double GR, double HR, double l1, double l2, double parent) {
  const double tl = l1 == 0 ? identity(GL) : threshold(GL, l1);
  const double tr = l1 == 0 ? identity(GR) : threshold(GR, l1);
  return (tl * tl) / (HL + l2) + (tr * tr) / (HR + l2) - parent;
}

static double splitGain(double GL, double HL, double G, double H, double parent, double rowsPerHessian, double l2,
                        const Params *p) {
  const double GR = G - GL;
  const double HR = H - HL;
  if (HL < p->minChildWeight || HR < p->minChildWeight) return -INFINITY;
  if (HL * rowsPerHessian < p->minChildSamples || HR * rowsPerHessian < p->minChildSamples) return -INFINITY;
  return sidesGain(GL, HL, GR, HR, p->l1, l2, parent);
}

/** The best split so far, and its set (the categories that go left) when it is a set. */
typedef struct {
  double gain;
  int feature;
  int bin;
  int defaultLeft;
  int isSet;
  uint8_t set[256];
} Best;

/** The node and its feature being searched: what each candidate is judged against. */
typedef struct {
  double gm, hm, G, H, parent, rowsPerHessian;
  int feature;
} Node;

/** considerSet and consider: a set's candidate (missing right, then left); kept in `best` when it gains more. */
static void consider(const Node *node, double gl, double hl, double l2, const Params *p, const uint8_t *set, Best *best) {
  const int hasMissing = node->hm > 0;
  int found = 0, defaultLeft = 0;
  double bestGain = best->gain;
  for (int missingLeft = 0; missingLeft < (hasMissing ? 2 : 1); missingLeft++) {
    const double HL = missingLeft == 1 ? hl + node->hm : hl;
    const double gain =
        splitGain(missingLeft == 1 ? gl + node->gm : gl, HL, node->G, node->H, node->parent, node->rowsPerHessian, l2, p);
    if (gain > bestGain) {
      bestGain = gain;
      found = 1;
      defaultLeft = hasMissing ? missingLeft == 1 : HL >= node->H - HL;
    }
  }
  if (!found) return;
  best->gain = bestGain;
  best->feature = node->feature;
  best->bin = -1;
  best->defaultLeft = defaultLeft;
  best->isSet = 1;
  memcpy(best->set, set, 256);
}

/** scanNumeric: each bin boundary of a numeric feature, missing values right and then left. */
static void scanNumeric(const double *hist, int steps, const Node *node, const Params *p, Best *best) {
  const int hasMissing = node->hm > 0;
  const double G = node->G, H = node->H, parent = node->parent, rowsPerHessian = node->rowsPerHessian;
  const double minChildWeight = p->minChildWeight, minChildSamples = p->minChildSamples, l1 = p->l1, l2 = p->l2;
  double bestGain = best->gain;
  int found = 0, bin = 0, defaultLeft = 0;
  double gl = 0, hl = 0;
  for (int b = 0; b < steps; b++) {
    const double *o = hist + b * STRIDE;
    const double hb = o[1];
    gl += o[0];
    hl += hb;
    if (!(hb > 0)) continue;
    double HR = H - hl;
    if (HR < minChildWeight || HR * rowsPerHessian < minChildSamples) break;
    if (hl >= minChildWeight && hl * rowsPerHessian >= minChildSamples) {
      const double gain = sidesGain(gl, hl, G - gl, HR, l1, l2, parent);
      if (gain > bestGain) {
        bestGain = gain;
        found = 1;
        bin = b;
        defaultLeft = hasMissing ? 0 : hl >= H - hl;
      }
    }
    if (!hasMissing) continue;
    const double HL = hl + node->hm;
    const double GL = gl + node->gm;
    HR = H - HL;
    if (HL >= minChildWeight && HR >= minChildWeight && HL * rowsPerHessian >= minChildSamples &&
        HR * rowsPerHessian >= minChildSamples) {
      const double gain = sidesGain(GL, HL, G - GL, HR, l1, l2, parent);
      if (gain > bestGain) {
        bestGain = gain;
        found = 1;
        bin = b;
        defaultLeft = 1;
      }
    }
  }
  if (!found) return;
  best->gain = bestGain;
  best->feature = node->feature;
  best->bin = bin;
  best->defaultLeft = defaultLeft;
  best->isSet = 0;
}

/** orderedEnds: the first and last k of items ordered by key ascending, stably, by bounded insertion. */
static void orderedEnds(const int *items, int count, const double *keys, int k, int *first, int *last) {
  if (k <= 0) return;
  int nf = 0, nl = 0;
  for (int i = 0; i < count; i++) {
    const int item = items[i];
    const double key = keys[item];
    if (nf < k || key < keys[first[nf - 1]]) {
      int j = nf < k ? nf++ : nf - 1;
      for (; j > 0 && key < keys[first[j - 1]]; j--) first[j] = first[j - 1];
      first[j] = item;
    }
    if (nl < k || !(key < keys[last[nl - 1]])) {
      int j = nl < k ? nl++ : nl - 1;
      for (; j > 0 && !(key < keys[last[j - 1]]); j--) last[j] = last[j - 1];
      last[j] = item;
    }
  }
}

/** A categorical feature's candidates: missing against the rest, one against the rest, or many against many. */
static void searchCategorical(const double *hist, int nb, const Node *node, const Params *p, Best *best) {
  int order[256], usedOrder[256], ends[2][256];
  double sortKeys[256];
  uint8_t set[256];
  const double rowsPerHessian = node->rowsPerHessian;
  const int hasMissing = node->hm > 0;
  int present = 0, used = 0;
  for (int b = 0; b < nb; b++) {
    const double *o = hist + b * STRIDE;
    const double hb = o[1];
    if (!(hb > 0)) continue;
    order[present++] = b;
    if (hb * rowsPerHessian >= p->catSmooth) {
      usedOrder[used++] = b;
      sortKeys[b] = o[0] / (hb + p->catSmooth);
    }
  }
  if (present < 2 && !hasMissing) return;
  memset(set, 0, sizeof set);
  if (hasMissing) {
    double g = 0, h = 0;
    for (int k = 0; k < present; k++) {
      const int b = order[k];
      set[b] = 1;
      g += hist[b * STRIDE];
      h += hist[b * STRIDE + 1];
    }
    consider(node, g, h, p->l2, p, set, best);
    memset(set, 0, sizeof set);
  }
  if (present <= p->maxCatToOnehot) {
    for (int k = 0; k < present; k++) {
      const int b = order[k];
      set[b] = 1;
      consider(node, hist[b * STRIDE], hist[b * STRIDE + 1], p->l2, p, set, best);
      set[b] = 0;
    }
    return;
  }
  if (used == 0) return;
  double most = p->maxCatThreshold;
  if ((used + 1) / 2 < most) most = (used + 1) / 2;
  if ((hasMissing ? used : used - 1) < most) most = hasMissing ? used : used - 1;
  // most is at most (used + 1) / 2 <= 128 here, and an integer unless maxCatThreshold is not (then the loops below
  // run to its ceiling, as a JavaScript k < most does).
  // !(most > 0) takes NaN too (a NaN maxCatThreshold): no steps, as k < NaN never holds in JavaScript.
  const int steps = !(most > 0) ? 0 : (int)most + ((double)(int)most < most);
  orderedEnds(usedOrder, used, sortKeys, steps, ends[0], ends[1]);
  for (int e = 0; e < 2; e++) {
    const int *end = ends[e];
    memset(set, 0, sizeof set);
    double gl = 0, hl = 0, group = 0;
    for (int k = 0; k < steps; k++) {
      const int b = end[k];
      const double *o = hist + b * STRIDE;
      gl += o[0];
      hl += o[1];
      group += o[1] * rowsPerHessian;
      set[b] = 1;
      if ((node->H - hl) * rowsPerHessian < p->minDataPerGroup) break;
      if (group < p->minDataPerGroup) continue;
      group = 0;
      consider(node, gl, hl, p->l2 + p->catL2, p, set, best);
    }
  }
}

/** The typed array `value`'s data and element count, when it is one of `type`; throws a TypeError when not. */
static int typedArg(napi_env env, napi_value value, napi_typedarray_type type, void **data, size_t *length) {
  return typed_array_arg(env, value, type, data, length,
                         "gbdt split search: findSplit takes Float64Array and Uint8Array arguments");
}

static napi_value failed(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static napi_value jsFindSplit(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) {
    napi_throw_type_error(env, NULL, "gbdt split search: findSplit takes hist, setting, usable, node, out and outSet");
    return NULL;
  }
  double *hist, *setting, *node, *out;
  uint8_t *usable, *outSet;
  size_t histLength, settingLength, usableLength, nodeLength, outLength, outSetLength;
  if (!typedArg(env, argv[0], napi_float64_array, (void **)&hist, &histLength) ||
      !typedArg(env, argv[1], napi_float64_array, (void **)&setting, &settingLength) ||
      !typedArg(env, argv[2], napi_uint8_array, (void **)&usable, &usableLength) ||
      !typedArg(env, argv[3], napi_float64_array, (void **)&node, &nodeLength) ||
      !typedArg(env, argv[4], napi_float64_array, (void **)&out, &outLength) ||
      !typedArg(env, argv[5], napi_uint8_array, (void **)&outSet, &outSetLength))
    return NULL;
  if (settingLength < SETTING_FIELDS || nodeLength < 4 || outLength < 4 || outSetLength < 256)
    return failed(env, "gbdt split search: a setting, node, out or outSet array is too short");
  const double Fd = setting[0];
  if (!(Fd >= 1 && Fd <= MAX_SPLIT_FEATURES) || Fd != (double)(int)Fd)
    return failed(env, "gbdt split search: the feature count is not an integer in [1, 65536]");
  const int F = (int)Fd;
  if (settingLength < (size_t)SETTING_FIELDS + 2 * (size_t)F || usableLength < (size_t)F ||
      histLength < (size_t)F * 256 * STRIDE)
    return failed(env, "gbdt split search: the setting, usable or hist array is shorter than its features need");
  // Each feature's bin count and kind, read once and checked as read: `setting` may be a view of shared memory that
  // another thread writes, and a count read again after its check could send the loops past `hist` and the
  // 256-entry arrays (an attack review crashed a first version so).
  uint8_t *shape = malloc(2 * (size_t)F);
  if (shape == NULL) {
    napi_throw_error(env, NULL, "gbdt split search: out of memory");
    return NULL;
  }
  for (int f = 0; f < F; f++) {
    const double count = setting[SETTING_FIELDS + f];
    if (!(count >= 1 && count <= MISSING_BIN) || count != (double)(int)count) {
      free(shape);
      return failed(env, "gbdt split search: a feature's bin count is not an integer in [1, 255]");
    }
    shape[f] = (uint8_t)count;
    shape[F + f] = setting[SETTING_FIELDS + F + f] != 0;
  }
  const Params p = {setting[1], setting[2], setting[3], setting[4], setting[5],  setting[6],
                    setting[7], setting[8], setting[9], setting[10], setting[11]};
  const double rows = node[0], depth = node[1], G = node[2], H = node[3];
  napi_value result;
  // searchable: a node too small or too deep for any split.
  if (!(rows >= 2 * p.minChildSamples && (p.maxDepth <= 0 || depth < p.maxDepth))) {
    free(shape);
    napi_create_int32(env, 0, &result);
    return result;
  }
  const double t = threshold(G, p.l1);
  Node n = {0, 0, G, H, (t * t) / (H + p.l2), H > 0 ? rows / H : 0, 0};
  Best best;
  best.gain = p.minSplitGain;
  best.feature = -1;
  best.bin = 0;
  best.defaultLeft = 0;
  best.isSet = 0;
  for (int f = 0; f < F; f++) {
    if (usable[f] == 0) continue;
    const double *base = hist + (size_t)f * 256 * STRIDE;
    n.gm = base[MISSING_BIN * STRIDE];
    n.hm = base[MISSING_BIN * STRIDE + 1];
    n.feature = f;
    const int nb = shape[f];
    if (shape[F + f] == 0)
      scanNumeric(base, n.hm > 0 ? nb : nb - 1, &n, &p, &best);
    else
      searchCategorical(base, nb, &n, &p, &best);
  }
  free(shape);
  if (best.feature < 0) {
    napi_create_int32(env, 0, &result);
    return result;
  }
  out[0] = best.gain;
  out[1] = best.feature;
  out[2] = best.bin;
  out[3] = best.defaultLeft;
  if (best.isSet) memcpy(outSet, best.set, 256);
  napi_create_int32(env, best.isSet ? 2 : 1, &result);
  return result;
}

/**
 * subtract(large, small): large[k] -= small[k] over both (Float64Arrays of one length): the larger child's histogram
 * as its parent's minus the smaller child's, the tree builder's loop (a subtraction each, in index order).
 */
static napi_value jsSubtract(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "gbdt split search: subtract takes two Float64Arrays");
    return NULL;
  }
  double *large, *small;
  size_t largeLength, smallLength;
  if (!typedArg(env, argv[0], napi_float64_array, (void **)&large, &largeLength) ||
      !typedArg(env, argv[1], napi_float64_array, (void **)&small, &smallLength))
    return NULL;
  if (largeLength != smallLength) return failed(env, "gbdt split search: subtract takes two arrays of one length");
  for (size_t k = 0; k < largeLength; k++) large[k] -= small[k];
  return NULL;
}

static napi_value functionOf(napi_env env, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  return fn;
}

void add_split_functions(napi_env env, napi_value exports) {
  napi_set_named_property(env, exports, "findSplit", functionOf(env, "findSplit", jsFindSplit));
  napi_set_named_property(env, exports, "subtract", functionOf(env, "subtract", jsSubtract));
}
