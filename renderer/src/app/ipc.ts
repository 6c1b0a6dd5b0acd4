import type { ApiEvent } from '../../../main/contracts/api.js';
import type { CallOutcome, Transport } from '../../../main/contracts/transport.js';
import { ApiError } from '../../../main/contracts/client.js';

/**
 * The narrow bridge the desktop preload exposes (main/desktop/preload.cts): API calls and uploads, events, and the
 * desktop's own actions (checked again with zod in the main process), nothing else.
 */
export interface HearthBridge {
  call(method: string, args: unknown): Promise<CallOutcome>;
  upload(data: ArrayBuffer, fileName: string): Promise<CallOutcome>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** What only the local user on this box may do: a SQL source, files from its disk, a restore over its data folder. */
  desktop(payload: DesktopPayload): Promise<CallOutcome>;
  /** A dropped file's path on this machine. */
  pathForFile(file: File): string;
  /** The application menu's commands for the console (main/desktop/main.ts toRenderer). */
  onMenu(listener: (command: unknown) => void): () => void;
}

/** The desktop actions' payloads (their schema: main/desktop/desktop-actions.ts). */
export type DesktopPayload =
  | { action: 'ingest-files'; dataset: string; paths: string[]; append?: boolean }
  | { action: 'ingest-query'; args: { name: string; from: string; query: string; append?: boolean } }
  | { action: 'restore'; file: string; passphrase?: string }
  | { action: 'add-watch'; dataset: string; intervalSeconds?: number }
  | { action: 'add-stream'; stream: { mqtt: string; in: string; out: string; model: string; dataset?: string } }
  | { action: 'rotate-key' }
  | { action: 'backup-to'; passphrase?: string }
  | { action: 'predict-file'; model: string };

/** The desktop bridge when the console runs in the desktop app; null in a browser (over HTTP). */
export function desktopBridge(): HearthBridge | null {
  return window.hearth ?? null;
}

/** A desktop action's answer, or its error thrown as the API's calls throw theirs. */
export async function desktopCall<T>(bridge: HearthBridge, payload: DesktopPayload): Promise<T> {
  const outcome = await bridge.desktop(payload);
  if (!outcome.ok) throw new ApiError(outcome.error);
  return outcome.result as T;
}

declare global {
  interface Window {
    hearth?: HearthBridge;
  }
}

export function ipcTransport(bridge: HearthBridge): Transport {
  return {
    call: (method, args) => bridge.call(method, args),
    upload: async (data, fileName) => bridge.upload(await data.arrayBuffer(), fileName),
    subscribe: (listener) => bridge.onEvent(listener),
  };
}
