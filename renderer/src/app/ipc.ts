import type { ApiEvent } from '../../../main/contracts/api.js';
import type { CallOutcome, Transport } from '../../../main/contracts/transport.js';

/** The narrow bridge the desktop preload exposes: three functions, nothing else. */
export interface HearthBridge {
  call(method: string, args: unknown): Promise<CallOutcome>;
  upload(data: ArrayBuffer, fileName: string): Promise<CallOutcome>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
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
