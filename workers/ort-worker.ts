import { parentPort } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../main/contracts/errors.js';
import type { OrtProviderName } from '../main/contracts/api.js';
import { createSession, type LoadedSession, type Placement } from '../main/accel/onnx-runtime.js';
import { packTensors, unpackTensors, type PackedTensors } from '../main/accel/tensor-wire.js';

/**
 * Messages between the serving pool (main/serving/session-pool.ts) and one of its ONNX Runtime threads. Feeds and
 * outputs travel packed (tensor-wire.ts): one string and one transferred buffer instead of a structured clone.
 */
export type OrtWorkerRequest =
  | { type: 'load'; key: string; model: Uint8Array; provider: OrtProviderName; decided?: Placement }
  | { type: 'run'; id: number; key: string; feeds: PackedTensors; fetches: string[] }
  | { type: 'release'; key: string };

export type OrtWorkerReply =
  | { type: 'loaded'; key: string; placement: Placement }
  | { type: 'load-failed'; key: string; error: SerializedError }
  | { type: 'ran'; id: number; outputs: PackedTensors }
  | { type: 'run-failed'; id: number; error: SerializedError };

/**
 * One serving thread: holds a session per model version it has been sent, and runs batches on it. ONNX Runtime's
 * Node binding runs a graph synchronously on the calling thread, so without these threads a large batch would stop
 * the server answering anything else.
 */
const sessions = new Map<string, Promise<LoadedSession>>();
const port = parentPort!;

port.on('message', (message: OrtWorkerRequest) => {
  if (message.type === 'load') {
    // This thread only runs graphs: each run in place, with no extra turn of its event loop.
    const loading = createSession(message.model, message.provider, message.decided, true);
    sessions.set(message.key, loading);
    loading.then(
      (s) => port.postMessage({ type: 'loaded', key: message.key, placement: s.placement } satisfies OrtWorkerReply),
      (error: unknown) => {
        sessions.delete(message.key);
        port.postMessage({ type: 'load-failed', key: message.key, error: serializeError(error) } satisfies OrtWorkerReply);
      },
    );
  } else if (message.type === 'release') {
    const s = sessions.get(message.key);
    sessions.delete(message.key);
    void s?.then((session) => session.release()).catch(() => undefined);
  } else {
    void run(message.id, message.key, message.feeds, message.fetches);
  }
});

async function run(id: number, key: string, feeds: PackedTensors, fetches: string[]): Promise<void> {
  try {
    const session = sessions.get(key);
    if (session === undefined) throw new Error(`no session for ${key} on this thread`);
    const outputs = packTensors(await (await session).run(unpackTensors(feeds), fetches));
    port.postMessage({ type: 'ran', id, outputs } satisfies OrtWorkerReply, [outputs.bytes]);
  } catch (error) {
    port.postMessage({ type: 'run-failed', id, error: serializeError(error) } satisfies OrtWorkerReply);
  }
}
