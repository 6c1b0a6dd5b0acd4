import { parentPort, workerData } from 'node:worker_threads';
import { probeGbdtKernels } from './gbdt/kernel-probe.js';

/** Probes the GBDT kernels in a thread of its own: the native one loads an addon, which a report should not crash. */
const port = parentPort!;
try {
  port.postMessage({ ok: true, probes: probeGbdtKernels((workerData as { native?: boolean } | null)?.native !== false) });
} catch (error) {
  port.postMessage({ ok: false, reason: error instanceof Error ? error.message.split('\n')[0] : String(error) });
}
