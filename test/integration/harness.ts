import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';
import { randomUUID } from 'node:crypto';
import type { ApiEvent } from '../../main/contracts/api.js';
import type { CallOutcome, Transport } from '../../main/contracts/transport.js';
import { runEngineHost } from '../../main/api/engine-host.js';
import { isBridgeRequest, type BridgeRequest, type EngineHostMessage } from '../../main/desktop/bridge-protocol.js';

export const testToken = 'test-token-0123456789';

export interface Harness {
  engine: Engine;
  client: Client;
  server?: RunningServer;
  dataDir: string;
  close(): Promise<void>;
}

/** An engine on a fresh data folder, reached over HTTP (a real server on a free loopback port) or in-process. */
export async function startHarness(kind: 'http' | 'in-process' | 'ipc'): Promise<Harness> {
  const tmp = tempDir();
  const engine = Engine.open(tmp.dir);
  const handlers = createHandlers(engine);
  if (kind === 'ipc') {
    return {
      engine,
      client: createClient(ipcTransport(engine)),
      dataDir: tmp.dir,
      close: async () => {
        engine.close();
        tmp.cleanup();
      },
    };
  }
  if (kind === 'in-process') {
    return {
      engine,
      client: createClient(inProcessTransport(engine, handlers)),
      dataDir: tmp.dir,
      close: async () => {
        engine.close();
        tmp.cleanup();
      },
    };
  }
  const server = await startHttpServer({ engine, handlers, auth: loadTokenVerifier(engine.db, testToken), port: 0 });
  return {
    engine,
    server,
    client: createClient(httpTransport({ baseUrl: server.url, token: testToken })),
    dataDir: tmp.dir,
    close: async () => {
      await server.close();
      engine.close();
      tmp.cleanup();
    },
  };
}

/**
 * The desktop path without Electron: requests pass the main process's bridge check, then the engine host's
 * message adapter (what runs in the utility process), exactly as the preload and main.ts would carry them.
 */
function ipcTransport(engine: Engine): Transport {
  const pending = new Map<string, (reply: CallOutcome) => void>();
  const eventListeners = new Set<(event: ApiEvent) => void>();
  let deliver: ((message: { data: unknown }) => void) | undefined;
  runEngineHost(
    {
      on: (_event, listener) => (deliver = listener),
      postMessage: (message: unknown) => {
        const m = message as EngineHostMessage;
        if (m.type === 'reply') {
          pending.get(m.id)?.(m.reply);
          pending.delete(m.id);
        } else for (const l of eventListeners) l(m.event);
      },
    },
    engine,
  );
  const send = (request: BridgeRequest): Promise<CallOutcome> => {
    // Structured clone, as IPC does: nothing but data crosses.
    const cloned = structuredClone(request);
    if (!isBridgeRequest(cloned))
      return Promise.resolve({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'malformed bridge request' } });
    const id = randomUUID();
    return new Promise((resolve) => {
      pending.set(id, resolve);
      deliver!({ data: { id, request: cloned } });
    });
  };
  return {
    call: (method, args) => send({ kind: 'call', method, args }),
    upload: async (data, fileName) => send({ kind: 'upload', fileName, data: await data.arrayBuffer() }),
    subscribe: (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
  };
}

/** Polls a training job until it is no longer queued or running. */
export async function waitForJob(client: Client, jobId: string) {
  for (;;) {
    const job = await client.call('training.get', { jobId });
    if (job.status !== 'queued' && job.status !== 'running') return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}
