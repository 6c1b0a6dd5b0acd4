import type { ApiEvent } from './events.js';
import type { SerializedError } from './errors.js';

/** What one call returns on any transport: the result, or a serialized coded error. */
export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: SerializedError };

/** A way to reach the engine: HTTP, the desktop's IPC bridge, or in-process. */
export interface Transport {
  call(method: string, args: unknown): Promise<CallOutcome>;
  /** Sends a file's bytes; resolves to `{ uploadId }` for `datasets.ingest`. */
  upload(data: Blob, fileName: string): Promise<CallOutcome>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}
