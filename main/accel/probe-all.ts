import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
    return probeHere();
  }
}

export async function probeHere(): Promise<Probes> {
  const [tfjs, onnxruntime, gbdt] = await Promise.all([
    probeInWorker('accel-probe.js', 'the TensorFlow.js back ends'),
    loadOrt().then(probeOrtProviders),
    probeInWorker('gbdt-probe.js', 'the GBDT kernels'),
  ]);
  return { tfjs, onnxruntime, gbdt };
}

async function probeInChild(): Promise<Probes> {
  return (await jsonFromChild(import.meta.url)) as Probes;
}

/** A probe that runs in a worker thread of its own (workers/<script>), which posts its probes once. */
function probeInWorker(script: string, what: string): Promise<BackendProbe[]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL(`../../workers/${script}`, import.meta.url));
    worker.once('message', (message: { ok: true; probes: BackendProbe[] } | { ok: false; reason: string }) => {
      void worker.terminate();
      if (message.ok) resolve(message.probes);
      else reject(new HearthError('INTERNAL', `probing ${what} failed: ${message.reason}`));
    });
    worker.once('error', (error) => reject(new HearthError('INTERNAL', `probing ${what} failed: ${error.message}`)));
  });
}

// The child: probe here, print the answer as one JSON document, and end (a GPU stack may hold the event loop).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await probeHere())}\n`);
  process.exit(0);
}
