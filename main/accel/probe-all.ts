import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from 'node:worker_threads';
import { startWorker } from './worker-thread.js';
import { HearthError } from '../contracts/errors.js';
import type { BackendProbe } from './backend-probe.js';
import { jsonFromChild } from './json-child.js';
import { loadOrt } from './ort-load.js';
import { probeOrtProviders } from './ort-providers.js';

export interface Probes {
  tfjs: BackendProbe[];
  onnxruntime: BackendProbe[];
  gbdt: BackendProbe[];
}

/*
 * Every back end probed in a child process: each GPU probe loads a native stack (Dawn, a Vulkan driver, CUDA) that
 * writes to file descriptor 2 on its own and that can crash the process it runs in. In a child, neither reaches the
 * server or the user's terminal (its stderr is shown with HEARTH_VERBOSE=1, `--verbose`); the host loads a GPU
 * stack only to use it. A child that cannot start or answer leaves the probe to this process, as before.
 */
export async function probeBackends(): Promise<Probes> {
  try {
    return await probeInChild();
  } catch {
    return probeHere(false);
  }
}

/**
 * The probes, in this process. `inChild`: this is the probe child, where the native GBDT kernel is run too; in the
 * host (the child could not start or answer) it is not, since a native crash would take the host down with it.
 */
export async function probeHere(inChild = true): Promise<Probes> {
  const [tfjs, onnxruntime, gbdt] = await Promise.all([
    probeInWorker('accel-probe.js', 'the TensorFlow.js back ends'),
    loadOrt().then(probeOrtProviders),
    probeInWorker('gbdt-probe.js', 'the GBDT kernels', { workerData: { native: inChild } }),
  ]);
  return { tfjs, onnxruntime, gbdt };
}

async function probeInChild(): Promise<Probes> {
  return (await jsonFromChild(import.meta.url)) as Probes;
}

/** How long a probe thread may take to answer before it is ended and the probe reported as failed. */
const probeTimeoutMs = 120_000;

/** A probe that runs in a worker thread of its own (workers/<script>), which posts its probes once. */
function probeInWorker(script: string, what: string, options?: WorkerOptions): Promise<BackendProbe[]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL(`../../workers/${script}`, import.meta.url), options);
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      reject(new HearthError('INTERNAL', `probing ${what} failed: ${why}`));
    };
    // A thread that never answers (a driver that hangs) or ends without a word would leave the report waiting.
    const timer = setTimeout(() => fail(`no answer in ${probeTimeoutMs / 1000} s`), probeTimeoutMs);
    timer.unref();
    worker.once('message', (message: { ok: true; probes: BackendProbe[] } | { ok: false; reason: string }) => {
      if (!message.ok) return fail(message.reason);
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(message.probes);
    });
    worker.once('error', (error) => fail(error.message));
    worker.once('exit', (code) => fail(`its thread ended (code ${code})`));
  });
}

// The child: probe here, print the answer as one JSON document, and end (a GPU stack may hold the event loop).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await probeHere())}\n`);
  process.exit(0);
}
