import { parentPort } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../main/contracts/errors.js';
import type { OrtProviderName } from '../main/contracts/api.js';
import { createSession, type Feeds, type LoadedSession, type Outputs, type Placement } from '../main/accel/onnx-runtime.js';

/** Messages between the serving pool (main/serving/session-pool.ts) and one of its ONNX Runtime threads. */
export type OrtWorkerRequest =
  | { type: 'load'; key: string; model: Uint8Array; provider: OrtProviderName; decided?: Placement }
  | { type: 'run'; id: number; key: string; feeds: Feeds; fetches: string[] }
  | { type: 'release'; key: string };

export type OrtWorkerReply =
  | { type: 'loaded'; key: string; placement: Placement }
  | { type: 'load-failed'; key: string; error: SerializedError }
  | { type: 'ran'; id: number; outputs: Outputs }
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
    const loading = createSession(message.model, message.provider, message.decided);
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

async function run(id: number, key: string, feeds: Feeds, fetches: string[]): Promise<void> {
  try {
    const session = sessions.get(key);
    if (session === undefined) throw new Error(`no session for ${key} on this thread`);
    const outputs = await (await session).run(feeds, fetches);
    const transfer: ArrayBuffer[] = [];
    for (const t of Object.values(outputs)) if (!Array.isArray(t.data)) transfer.push(t.data.buffer as ArrayBuffer);
    port.postMessage({ type: 'ran', id, outputs } satisfies OrtWorkerReply, transfer);
  } catch (error) {
    port.postMessage({ type: 'run-failed', id, error: serializeError(error) } satisfies OrtWorkerReply);
  }
}
