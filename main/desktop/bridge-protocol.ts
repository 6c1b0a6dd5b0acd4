import { z } from 'zod';
import type { ApiEvent } from '../contracts/api.js';
import type { CallOutcome } from '../contracts/transport.js';

/**
 * What the renderer may send over the one IPC channel: an API call, a file's bytes to ingest, or one of the desktop's
 * own actions (main/desktop/desktop-actions.ts: checked again there, in full, before anything is done).
 */
export type BridgeRequest =
  | { kind: 'call'; method: string; args: unknown }
  | { kind: 'upload'; fileName: string; data: ArrayBuffer }
  | { kind: 'desktop'; payload: unknown };

export type BridgeReply = CallOutcome;

/**
 * What the shell sends the engine process: the renderer's call or upload as it came, or (`local`) an API call the
 * shell itself built from a checked desktop action, run as the CLI's are (in-process: local paths and SQL sources).
 * `backup-to` and `predict-file` carry paths the shell's own dialogs returned.
 * `shutdown` closes the store and ends the process (before a restore). The renderer can send neither: the bridge
 * schema below does not carry them.
 */
export type EngineRequest =
  | Exclude<BridgeRequest, { kind: 'desktop' }>
  | { kind: 'local'; method: 'datasets.ingest' | 'datasets.ingest-query' | 'models.import'; args: unknown }
  /** `hearth backup create --to FILE`: a path the user chose in the shell's save dialog. */
  | { kind: 'backup-to'; to: string; passphrase?: string }
  /** `hearth predict --model REF FILE --out FILE`: both paths chosen in the shell's open and save dialogs. */
  | { kind: 'predict-file'; model: string; input: string; out: string }
  | { kind: 'shutdown' };

/** Messages from the engine utility process to the shell. */
export type EngineHostMessage = { type: 'reply'; id: string; reply: BridgeReply } | { type: 'event'; event: ApiEvent };

const maxUploadBytes = 2 * 1024 * 1024 * 1024;

/** The shape check at the main-process end of the bridge (the engine validates arguments again with zod). */
export const bridgeRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('call'), method: z.string().regex(/^[a-z]+\.[a-z-]+$/), args: z.unknown() }),
  z.object({
    kind: z.literal('upload'),
    fileName: z.string().max(255),
    data: z.instanceof(ArrayBuffer).refine((d) => d.byteLength <= maxUploadBytes, 'larger than 2 GiB'),
  }),
  z.object({ kind: z.literal('desktop'), payload: z.unknown() }),
]);

export function isBridgeRequest(value: unknown): value is BridgeRequest {
  return bridgeRequestSchema.safeParse(value).success;
}
