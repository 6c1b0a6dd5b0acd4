import type { ApiEvent } from '../contracts/api.js';
import type { CallOutcome } from '../contracts/transport.js';

/** What the renderer may send over the one IPC channel: an API call, or a file's bytes to ingest. */
export type BridgeRequest =
  { kind: 'call'; method: string; args: unknown } | { kind: 'upload'; fileName: string; data: ArrayBuffer };

export type BridgeReply = CallOutcome;

/** Messages from the engine utility process to the shell. */
export type EngineHostMessage = { type: 'reply'; id: string; reply: BridgeReply } | { type: 'event'; event: ApiEvent };

const maxUploadBytes = 2 * 1024 * 1024 * 1024;

/** Shape check at the main-process end of the bridge (the engine validates arguments again with zod). */
export function isBridgeRequest(value: unknown): value is BridgeRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === 'call') return typeof v.method === 'string' && /^[a-z]+\.[a-z-]+$/.test(v.method);
  if (v.kind === 'upload') {
    return (
      typeof v.fileName === 'string' &&
      v.fileName.length <= 255 &&
      v.data instanceof ArrayBuffer &&
      v.data.byteLength <= maxUploadBytes
    );
  }
  return false;
}
