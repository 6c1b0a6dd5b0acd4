import { Readable } from 'node:stream';
import type { ApiEvent } from '../contracts/api.js';
import { serializeError } from '../contracts/errors.js';
import type { CallOutcome } from '../contracts/transport.js';
import { resolveDataDir } from '../engine/data-dir.js';
import { Engine } from '../engine/engine.js';
import { dispatch } from './dispatch.js';
import { createHandlers, type Handlers } from './handlers.js';

/**
 * The IPC adapter on the engine side: runs inside Electron's utility process and speaks to the shell through
 * `process.parentPort`. It imports nothing from electron; the message shapes are in main/desktop/bridge-protocol.ts.
 */
export interface ParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function runEngineHost(
  port: ParentPort,
  engine: Engine = Engine.open(resolveDataDir()),
  handlers: Handlers = createHandlers(engine),
  /** Asked by the shell before it replaces the data folder (a restore): stop what runs, close the store, exit. */
  shutdown: () => Promise<void> = async () => {
    engine.close();
    process.exit(0);
  },
): void {
  engine.events.subscribe((event) => port.postMessage({ type: 'event', event: event as ApiEvent }));
  port.on('message', ({ data }) => {
    const { id, request } = data as {
      id: string;
      request:
        | { kind: 'call'; method: string; args: unknown }
        | { kind: 'local'; method: string; args: unknown }
        | { kind: 'upload'; fileName: string; data: ArrayBuffer }
        | { kind: 'shutdown' };
    };
    const respond = (reply: CallOutcome): void => port.postMessage({ type: 'reply', id, reply });
    if (request.kind === 'shutdown') {
      void shutdown();
      return;
    }
    if (request.kind === 'call') {
      void dispatch(handlers, request.method, request.args, { transport: 'ipc' }, engine.access).then(respond);
    } else if (request.kind === 'local') {
      // Built by the shell itself from a checked desktop action (main/desktop/desktop-actions.ts), never forwarded
      // from the renderer: the local user on this box, as the CLI is (a SQL source, a file path).
      void dispatch(handlers, request.method, request.args, { transport: 'in-process' }, engine.access).then(respond);
    } else {
      engine.saveUpload(Readable.from(Buffer.from(request.data))).then(
        (uploadId) => respond({ ok: true, result: { uploadId } }),
        (error: unknown) => respond({ ok: false, error: serializeError(error) }),
      );
    }
  });
}
