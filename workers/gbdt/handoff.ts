/*
 * How the GBDT threads wait for each other (histogram.ts, histogram-helper.ts): a short spin, then a sleep.
 *
 * A tree hands work between its threads some sixty times (a histogram per split, the gradients between trees), each
 * for a millisecond or less. A thread that goes straight to sleep in Atomics.wait is woken by a futex, and on a
 * virtual machine whose other vCPU was idle the wake-up waits on the hypervisor: measured here, a 30-tree fit on
 * 800k rows took 2.5–4.7 s from run to run with sleeping threads, and 2.4–2.6 s with threads that first spin for
 * about a millisecond (half a millisecond and two did no better). LightGBM's OpenMP threads spin the same way
 * before they block.
 */
const spinMs = 1;

/** Returns once array[index] no longer holds `value`: spins for up to a millisecond, then sleeps until it changes. */
export function waitWhile(array: Int32Array, index: number, value: number): void {
  const until = performance.now() + spinMs;
  while (Atomics.load(array, index) === value) {
    if (performance.now() > until) {
      Atomics.wait(array, index, value, 1000);
    }
  }
}

/** Returns once array[index] holds `value` (a value only ever set, never passed: a helper's done sequence). */
export function waitUntil(array: Int32Array, index: number, value: number): void {
  const until = performance.now() + spinMs;
  for (let seen = Atomics.load(array, index); seen !== value; seen = Atomics.load(array, index)) {
    if (performance.now() > until) Atomics.wait(array, index, seen, 1000);
  }
}
