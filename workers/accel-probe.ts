import { parentPort } from 'node:worker_threads';
import { firstLine } from '../main/accel/webgpu.js';
import { probeBackends } from './mlp/backend.js';

/**
 * Probes every TensorFlow.js back end in a thread of its own: registering one changes tfjs' process-wide state and
 * loads native libraries, which the engine's own thread should not carry for a report.
 */
const port = parentPort!;
probeBackends().then(
  (probes) => port.postMessage({ ok: true, probes }),
  (error: unknown) => port.postMessage({ ok: false, reason: firstLine(error) }),
);
