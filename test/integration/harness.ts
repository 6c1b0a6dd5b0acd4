import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';

export const testToken = 'test-token-0123456789';

export interface Harness {
  engine: Engine;
  client: Client;
  server?: RunningServer;
  dataDir: string;
  close(): Promise<void>;
}

/** An engine on a fresh data folder, reached over HTTP (a real server on a free loopback port) or in-process. */
export async function startHarness(kind: 'http' | 'in-process'): Promise<Harness> {
  const tmp = tempDir();
  const engine = Engine.open(tmp.dir);
  const handlers = createHandlers(engine);
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
