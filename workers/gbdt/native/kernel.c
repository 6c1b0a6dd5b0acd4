// The GBDT tree builder's histogram and partition loops (and the bins' one transpose) at native speed (the split
// search and the histogram subtraction are split.c's, on the same addon): the same
// algorithms as the wasm kernel (workers/gbdt/assembly/kernel.ts) and the TypeScript loops (workers/gbdt/kernel.ts),
// over the same shared wasm memory and byte offsets into it, in the same order and precision, so every kernel grows
// the same trees bit for bit. What native code adds over wasm: prefetching a deep node's scattered rows ahead of the
// copy that gathers them, and a compiler's scheduling (measured on synth 1M's 32 features: a 31-leaf tree 0.80-0.93x
// wasm's time, a deep node's histogram 0.83x, a whole fit in a fresh process about 0.9x). SSE2 where the target has it (every x86-64); elsewhere (arm64) the same additions one double at a time.
//
// bind(view, n, F) takes a Uint8Array over the whole of a training's shared memory and the training's rows and
// features, and returns the kernel's functions over it (no global state: trainings in one process each bind their
// own memory). Wasm traps on a bad offset; C would read or write past the memory, so every call checks what it is
// given: each offset and count an integer in [0, 2^32], each range inside the memory, F and n the bound ones, every row
// index in `rows` below n. A failed check throws a RangeError and touches nothing (a bad row index: nothing past the
// memory; the outputs are then undefined).
#include <node_api.h>
#include "split.h"
#include "bins.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#include <emmintrin.h>
#define KERNEL_SSE2 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#elif defined(KERNEL_SSE2)
#define PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define PREFETCH(p) ((void)0)
#endif

/** What each of a bind's functions works on: the memory, the training's shape, and a reference that keeps it alive. */
typedef struct {
  uint8_t *base;
  uint64_t length;
  uint32_t rows;
  uint32_t features;
  napi_ref view;
} Memory;

/** Rows a gathered histogram copies at a time: their bins and gradients stay in L1 between the two loops. */
#define GATHER_BLOCK 64
/** How many rows ahead the gather prefetches a row's bins and gradients: far enough to cover an L3 or DRAM miss. */
#define PREFETCH_AHEAD 24
/** Bytes a gathered row's copy may read past its F bytes (whole 16-byte vectors, as the wasm kernel). */
#define OVERREAD 15
#define MAX_FEATURES 65536

/** Adds one row's (g, h) (float32, widened) to the bins its F bytes name: the wasm kernel's addRow. */
static inline void add_row(const uint8_t *row, int F, const float *grad, double *out) {
#ifdef KERNEL_SSE2
  const __m128d gh = _mm_cvtps_pd(_mm_castpd_ps(_mm_load_sd((const double *)grad)));
#define ADD_AT(o) _mm_storeu_pd((o), _mm_add_pd(_mm_loadu_pd(o), gh))
#else
  const double g = (double)grad[0], h = (double)grad[1];
#define ADD_AT(o) ((o)[0] += g, (o)[1] += h)
#endif
  const int F4 = F & ~3;
  double *p = out;
  int f = 0;
  for (; f < F4; f += 4) {
    // Four bytes read one by one (the compiler joins them where it can): no byte order assumed.
    const uint8_t b0 = row[f], b1 = row[f + 1], b2 = row[f + 2], b3 = row[f + 3];
    double *o0 = p + ((size_t)b0 << 1);
    double *o1 = p + 512 + ((size_t)b1 << 1);
    double *o2 = p + 1024 + ((size_t)b2 << 1);
    double *o3 = p + 1536 + ((size_t)b3 << 1);
    ADD_AT(o0);
    ADD_AT(o1);
    ADD_AT(o2);
    ADD_AT(o3);
    p += 2048;
  }
  for (; f < F; f++) {
    double *o = p + ((size_t)row[f] << 1);
    ADD_AT(o);
    p += 512;
  }
#undef ADD_AT
}

/**
 * Zeroes `out` (F x 256 bins x 2 doubles) and adds rows[start, end) into it, each bin's rows in row order. A deep
 * node's rows (spread over twice their count or more) are first copied a block at a time into `buf`, with the rows
 * PREFETCH_AHEAD on already requested; dense rows are read in place. The wasm kernel's histogram, with prefetch.
 * Returns 0, or -1 at a row index not below n (the sums are then incomplete).
 */
static int histogram(const uint8_t *bins, uint32_t n, int F, const int32_t *rows, int start, int end,
                     const float *gradHess, double *out, uint8_t *buf) {
  memset(out, 0, (size_t)F << 12);
  if (end <= start) return 0;
  const size_t stride = (size_t)F;
  const int gather = (int64_t)rows[end - 1] - rows[start] >= 2 * (int64_t)(end - start);
  const size_t pad = (stride + 15) & ~(size_t)15;
  float *gradBuf = (float *)(buf + pad * GATHER_BLOCK);
  for (int block = start; block < end; block += GATHER_BLOCK) {
    const int stop = end - block > GATHER_BLOCK ? block + GATHER_BLOCK : end;
    if (gather) {
      uint8_t *to = buf;
      float *gradTo = gradBuf;
      for (int k = block; k < stop; k++) {
        // A prefetch never faults, so the row ahead need not be checked yet.
        if (k + PREFETCH_AHEAD < end) {
          const size_t ahead = (size_t)(uint32_t)rows[k + PREFETCH_AHEAD];
          PREFETCH(bins + ahead * stride);
          PREFETCH(gradHess + 2 * ahead);
        }
        const uint32_t r = (uint32_t)rows[k];
        if (r >= n) return -1;
        // Whole 16-byte vectors: a row's last one reads up to 15 bytes past it (inside the memory: bind's caller
        // checked OVERREAD bytes past the bins), into the row's padding.
        const uint8_t *from = bins + (size_t)r * stride;
#ifdef KERNEL_SSE2
        for (size_t v = 0; v < pad; v += 16)
          _mm_storeu_si128((__m128i *)(to + v), _mm_loadu_si128((const __m128i *)(from + v)));
#else
        memcpy(to, from, pad);
#endif
        memcpy(gradTo, gradHess + 2 * (size_t)r, 8);
        to += pad;
        gradTo += 2;
      }
      for (int k = block; k < stop; k++) {
        const size_t i = (size_t)(k - block);
        add_row(buf + i * pad, F, gradBuf + 2 * i, out);
      }
    } else {
      for (int k = block; k < stop; k++) {
        const uint32_t r = (uint32_t)rows[k];
        if (r >= n) return -1;
        add_row(bins + (size_t)r * stride, F, gradHess + 2 * (size_t)r, out);
      }
    }
  }
  return 0;
}

/** out[i] += add[i] for `count` doubles: the sum of the threads' histograms, in the caller's order. */
static void add_into(double *out, const double *add, size_t count) {
  size_t i = 0;
#ifdef KERNEL_SSE2
  for (; i + 1 < count; i += 2) _mm_storeu_pd(out + i, _mm_add_pd(_mm_loadu_pd(out + i), _mm_loadu_pd(add + i)));
#endif
  for (; i < count; i++) out[i] += add[i];
}

/**
 * The wasm kernel's partitionSide: rows[start, end) by one feature's column and a 256-entry go-left table, the left
 * rows in place from `start`, the right rows to `right`, each side in its old order; returns how many went left, or
 * -1 at a row index not below n. Branch-free but for that check: every row is written to both sides and only its
 * own side advances.
 */
static int partition_side(const uint8_t *column, uint32_t n, int32_t *rows, int start, int end, const uint8_t *toLeft,
                          int32_t *right) {
  int32_t *left = rows + start;
  int32_t *const first = left;
  for (int k = start; k < end; k++) {
    const int32_t r = rows[k];
    if ((uint32_t)r >= n) return -1;
    // Exactly 1 goes left, as the TypeScript loop's === 1: any other byte in a hostile table would step the two
    // cursors past their checked ranges.
    const int go = toLeft[column[r]] == 1;
    *left = r;
    *right = r;
    left += go;
    right += go ^ 1;
  }
  return (int)(left - first);
}

/** The wasm kernel's transpose: row-major bins (n x F) to column-major (F x n), the rows read in order. */
static void transpose(const uint8_t *bins, uint8_t *columns, size_t n, size_t F) {
  for (size_t i = 0; i < n; i++)
    for (size_t f = 0; f < F; f++) columns[f * n + i] = bins[i * F + f];
}

// ---- Node-API glue --------------------------------------------------------------------------------------------

static int argsOf(napi_env env, napi_callback_info info, size_t want, napi_value *argv, Memory **memory) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)memory) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "gbdt kernel: too few arguments");
    return 0;
  }
  return 1;
}

static int fail(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return 0;
}

/** An offset or count: an integer in [0, 2^32] (wasm32's reach); NaN, infinities and fractions are refused. */
static int intArg(napi_env env, napi_value value, int64_t *out) {
  double x;
  if (napi_get_value_double(env, value, &x) != napi_ok || !(x >= 0 && x <= 4294967296.0) || x != (double)(int64_t)x)
    return fail(env, "gbdt kernel: an offset or count is not an integer in [0, 2^32]");
  *out = (int64_t)x;
  return 1;
}

/** Whether [at, at + bytes) lies in the memory; throws a RangeError when not. (Both below 2^50: no overflow.) */
static int inside(napi_env env, const Memory *memory, int64_t at, int64_t bytes) {
  if (at < 0 || bytes < 0 || (uint64_t)(at + bytes) > memory->length)
    return fail(env, "gbdt kernel: a range passes the end of the training memory");
  return 1;
}

/** The call's first `count` arguments (at most 8) as offsets or counts (intArg), and its memory. */
static int intArgs(napi_env env, napi_callback_info info, size_t count, Memory **m, int64_t *a) {
  napi_value argv[8];
  if (!argsOf(env, info, count, argv, m)) return 0;
  for (size_t i = 0; i < count; i++)
    if (!intArg(env, argv[i], &a[i])) return 0;
  return 1;
}

/** Whether `at` is a multiple of `size` (C's int32, float and double accesses need their alignment); throws if not. */
static int aligned(napi_env env, int64_t at, int64_t size) {
  if (at % size != 0) return fail(env, "gbdt kernel: an offset is not aligned to its elements");
  return 1;
}

/** A row range [start, end) that C's ints hold, start not past end. */
static int rowRange(napi_env env, int64_t start, int64_t end) {
  if (start > end) return fail(env, "gbdt kernel: a range's start is past its end");
  if (end > INT32_MAX) return fail(env, "gbdt kernel: a row range passes 2^31 - 1");
  return 1;
}

/** The bound training's row-major bins at `at`: n x F bytes and the gather's over-read, in the memory. */
static int binsInside(napi_env env, const Memory *m, int64_t at) {
  return inside(env, m, at, (int64_t)m->rows * m->features + OVERREAD);
}

static napi_value jsHistogram(napi_env env, napi_callback_info info) {
  Memory *m;
  int64_t a[8];
  if (!intArgs(env, info, 8, &m, a)) return NULL;
  const int64_t binsAt = a[0], F = a[1], rowsAt = a[2], start = a[3], end = a[4], gradAt = a[5], outAt = a[6], bufAt = a[7];
  if (F != m->features) {
    fail(env, "gbdt kernel: a histogram's feature count is not the training's");
    return NULL;
  }
  const int64_t pad = (F + 15) & ~(int64_t)15;
  if (!aligned(env, rowsAt, 4) || !aligned(env, gradAt, 4) || !aligned(env, outAt, 8) || !aligned(env, bufAt, 4) ||
      !rowRange(env, start, end) || !inside(env, m, outAt, F << 12) || !inside(env, m, rowsAt, end * 4) ||
      !inside(env, m, bufAt, GATHER_BLOCK * (pad + 8)) || !binsInside(env, m, binsAt) ||
      !inside(env, m, gradAt, (int64_t)m->rows * 8))
    return NULL;
  if (histogram(m->base + binsAt, m->rows, (int)F, (const int32_t *)(m->base + rowsAt), (int)start, (int)end,
                (const float *)(m->base + gradAt), (double *)(m->base + outAt), m->base + bufAt) < 0)
    fail(env, "gbdt kernel: a row index is not below the training's row count");
  return NULL;
}

/** addInto's and moveInts' arguments: to, from, and a count of `size`-byte elements, each range in the memory. */
static int copyArgs(napi_env env, napi_callback_info info, int64_t size, Memory **m, int64_t *a) {
  return intArgs(env, info, 3, m, a) && aligned(env, a[0], size) && aligned(env, a[1], size) &&
         inside(env, *m, a[0], a[2] * size) && inside(env, *m, a[1], a[2] * size);
}

static napi_value jsAddInto(napi_env env, napi_callback_info info) {
  Memory *m;
  int64_t a[3];
  if (copyArgs(env, info, 8, &m, a)) add_into((double *)(m->base + a[0]), (const double *)(m->base + a[1]), (size_t)a[2]);
  return NULL;
}

/**
 * partitionSide's and partition's shared part: the call's arguments (column, rows, start, end, toLeft, and the right
 * rows' place) checked into `a`, then partition_side over them. Returns how many rows went left, or -1 after throwing
 * (a failed check, or a row index not below n).
 */
static int partitionRun(napi_env env, napi_callback_info info, Memory **m, int64_t *a) {
  if (!intArgs(env, info, 6, m, a)) return -1;
  const Memory *memory = *m;
  const int64_t column = a[0], rows = a[1], start = a[2], end = a[3], toLeft = a[4], right = a[5];
  if (!aligned(env, rows, 4) || !aligned(env, right, 4) || !rowRange(env, start, end) ||
      !inside(env, memory, rows, end * 4) || !inside(env, memory, toLeft, 256) ||
      !inside(env, memory, right, (end - start) * 4) || !inside(env, memory, column, memory->rows))
    return -1;
  const int left = partition_side(memory->base + column, memory->rows, (int32_t *)(memory->base + rows), (int)start,
                                  (int)end, memory->base + toLeft, (int32_t *)(memory->base + right));
  if (left < 0) fail(env, "gbdt kernel: a row index is not below the training's row count");
  return left;
}

/** A JavaScript number of `x`. */
static napi_value int32Of(napi_env env, int x) {
  napi_value result;
  napi_create_int32(env, x, &result);
  return result;
}

static napi_value jsPartitionSide(napi_env env, napi_callback_info info) {
  Memory *m;
  int64_t a[6];
  const int left = partitionRun(env, info, &m, a);
  return left < 0 ? NULL : int32Of(env, left);
}

/** The wasm kernel's partition: partitionSide into `scratch`, then the right rows copied back after the left. */
static napi_value jsPartition(napi_env env, napi_callback_info info) {
  Memory *m;
  int64_t a[6];
  const int left = partitionRun(env, info, &m, a);
  if (left < 0) return NULL;
  const int start = (int)a[2], end = (int)a[3];
  memmove(m->base + a[1] + 4 * ((size_t)start + (size_t)left), m->base + a[5], (size_t)(end - start - left) * 4);
  return int32Of(env, start + left);
}

static napi_value jsMoveInts(napi_env env, napi_callback_info info) {
  Memory *m;
  int64_t a[3];
  if (copyArgs(env, info, 4, &m, a)) memmove(m->base + a[0], m->base + a[1], (size_t)a[2] * 4);
  return NULL;
}

static napi_value jsTranspose(napi_env env, napi_callback_info info) {
  Memory *m;
  int64_t a[4];
  if (!intArgs(env, info, 4, &m, a)) return NULL;
  if (a[2] != m->rows || a[3] != m->features) {
    fail(env, "gbdt kernel: a transpose's shape is not the training's");
    return NULL;
  }
  if (inside(env, m, a[0], a[2] * a[3]) && inside(env, m, a[1], a[2] * a[3]))
    transpose(m->base + a[0], m->base + a[1], (size_t)a[2], (size_t)a[3]);
  return NULL;
}

static void freeMemory(napi_env env, void *data, void *hint) {
  (void)hint;
  Memory *memory = data;
  napi_delete_reference(env, memory->view);
  free(memory);
}

/** bind(view, n, F): the kernel's functions over the shared memory `view` spans, for a training of n rows x F. */
static napi_value jsBind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool isTyped = false;
  if (argc < 3 || napi_is_typedarray(env, argv[0], &isTyped) != napi_ok || !isTyped) {
    napi_throw_type_error(env, NULL, "gbdt kernel: bind takes a Uint8Array over the training memory, n and F");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  bool plain = true;
  // A plain ArrayBuffer can be detached, transferred or resized under a cached address; a SharedArrayBuffer (a shared
  // wasm memory's) cannot. Node-API answers false here for a SharedArrayBuffer.
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array || offset != 0 || data == NULL || napi_is_arraybuffer(env, buffer, &plain) != napi_ok ||
      plain) {
    napi_throw_type_error(env, NULL, "gbdt kernel: bind takes a Uint8Array from the first byte of a shared memory");
    return NULL;
  }
  int64_t n, F;
  if (!intArg(env, argv[1], &n) || !intArg(env, argv[2], &F)) return NULL;
  if ((uint64_t)length > ((uint64_t)1 << 32) || F < 1 || F > MAX_FEATURES || n >= ((int64_t)1 << 31) ||
      (uint64_t)(n * F) > length) {
    fail(env, "gbdt kernel: the memory is past 4 GiB, or n x F does not fit in it");
    return NULL;
  }
  napi_value kernel;
  napi_create_object(env, &kernel);
  const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"histogram", jsHistogram},         {"addInto", jsAddInto},     {"partition", jsPartition},
             {"partitionSide", jsPartitionSide}, {"moveInts", jsMoveInts},   {"transpose", jsTranspose}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    // Each function owns its record (freed with the function) and a strong reference to the view, so the shared
    // buffer outlives every function taken from the object, however the caller keeps them.
    Memory *memory = malloc(sizeof(Memory));
    if (memory == NULL) {
      napi_throw_error(env, NULL, "gbdt kernel: out of memory");
      return NULL;
    }
    memory->base = data;
    memory->length = length;
    memory->rows = (uint32_t)n;
    memory->features = (uint32_t)F;
    napi_value fn;
    if (napi_create_reference(env, argv[0], 1, &memory->view) != napi_ok) {
      free(memory);
      napi_throw_error(env, NULL, "gbdt kernel: could not hold the memory");
      return NULL;
    }
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, memory, &fn) != napi_ok ||
        napi_add_finalizer(env, fn, memory, freeMemory, NULL, NULL) != napi_ok) {
      // A function made but not finalizable is unreachable once this returns: it is never called.
      napi_delete_reference(env, memory->view);
      free(memory);
      napi_throw_error(env, NULL, "gbdt kernel: could not make its functions");
      return NULL;
    }
    napi_set_named_property(env, kernel, fns[i].name, fn);
  }
  return kernel;
}

NAPI_MODULE_INIT() {
  napi_value bind;
  napi_create_function(env, "bind", NAPI_AUTO_LENGTH, jsBind, NULL, &bind);
  napi_set_named_property(env, exports, "bind", bind);
  add_split_functions(env, exports);
  add_bin_functions(env, exports);
  return exports;
}
