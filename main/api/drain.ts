import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The responses each server has not finished, so a drain can tell them to close their connection when done. */
const inFlight = new WeakMap<Server, Set<ServerResponse>>();

const eventStreams = new WeakSet<ServerResponse>();

/** Called once per server, before it listens. */
export function trackResponses(server: Server): void {
  const open = new Set<ServerResponse>();
  inFlight.set(server, open);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // The event stream (GET /api/events) writes its head itself after hijacking the reply, so it is known by its route.
    if (request.method === 'GET' && request.url?.split('?')[0] === '/api/events') eventStreams.add(response);
    open.add(response);
    response.on('close', () => open.delete(response));
  });
}

/**
 * Stops a server gracefully: no new connections, requests already accepted answered (a request that arrives on a kept-
 * alive connection meanwhile is answered too, with `Connection: close`, never refused with a 503), event streams
 * ended, idle connections closed as they go idle. After `ms` the connections still open are cut, so a stop takes a
 * bounded time (the server sets return503OnClosing: false for the same reason). Resolves with whether it had to cut any.
 */
export async function drain(app: FastifyInstance, ms: number, beforeClose: () => void): Promise<{ cut: boolean }> {
  beforeClose();
  const server = app.server;
  // An answer still to come says `Connection: close`: its client then does not send another request on a
  // connection the server is about to close (a reset before any answer). Event streams never end by themselves.
  for (const response of inFlight.get(server) ?? []) {
    if (eventStreams.has(response)) response.end();
    else if (!response.headersSent) response.shouldKeepAlive = false;
  }
  server.on('request', (_request, response: ServerResponse) => {
    response.shouldKeepAlive = false;
  });
  // Node's close() shuts the connections idle at that instant, and a kept-alive client may be sending its next request
  // on one just then: it would see a reset. For a grace period they stay open (a request on them is answered, with
  // Connection: close); then those still idle are closed as they go idle.
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => undefined;
  let sweep: NodeJS.Timeout | undefined;
  const grace = setTimeout(
    () => {
      server.closeIdleConnections = closeIdle;
      sweep = setInterval(closeIdle, 50);
      closeIdle();
    },
    Math.min(1000, ms / 2),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const closed = app.close();
    const cut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms))),
    ]);
    if (cut) {
      server.closeAllConnections();
      await closed;
    }
    return { cut };
  } finally {
    clearTimeout(grace);
    clearInterval(sweep);
    server.closeIdleConnections = closeIdle;
    clearTimeout(timer);
  }
}
