import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { ApiEvent } from '../contracts/api.js';
import { serializeError } from '../contracts/errors.js';
import type { CallOutcome } from '../contracts/transport.js';
import { resolveDataDir } from '../engine/data-dir.js';
import { Engine } from '../engine/engine.js';
import { dispatch } from './dispatch.js';
import { createHandlers, type Handlers } from './handlers.js';
import { predictFile } from '../serving/batch.js';
import { predictionsCsv } from '../serving/predictions-csv.js';

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
        | { kind: 'backup-to'; to: string; passphrase?: string }
        | { kind: 'predict-file'; model: string; input: string; out: string }
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
    } else if (request.kind === 'backup-to') {
      // The same engine.backup as `hearth backup create --to FILE`; the shell took the path from its save dialog.
      engine.backup({ to: request.to, ...(request.passphrase === undefined ? {} : { passphrase: request.passphrase }) }).then(
        (info) => respond({ ok: true, result: info }),
        (error: unknown) => respond({ ok: false, error: serializeError(error) }),
      );
    } else if (request.kind === 'predict-file') {
      // The same batch scoring and CSV as `hearth predict --out`, written beside the target then renamed onto it (the
      // save dialog already asked before replacing a file), so a failed run leaves no half-written output.
      predictFile(engine, request.model, request.input)
        .then((batch) => {
          const temporary = join(dirname(request.out), `.hearth-${randomBytes(6).toString('hex')}.tmp`);
          writeFileSync(temporary, predictionsCsv(batch), { flag: 'wx' });
          renameSync(temporary, request.out);
          return {
            model: batch.model,
            version: batch.version,
            rows: batch.predictions.length,
            quarantined: batch.quarantined,
            out: request.out,
            executionProvider: batch.executionProvider,
          };
        })
        .then(
          (result) => respond({ ok: true, result }),
          (error: unknown) => respond({ ok: false, error: serializeError(error) }),
        );
    } else {
      engine.saveUpload(Readable.from(Buffer.from(request.data))).then(
        (uploadId) => respond({ ok: true, result: { uploadId } }),
        (error: unknown) => respond({ ok: false, error: serializeError(error) }),
      );
    }
  });
}
