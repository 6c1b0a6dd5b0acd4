import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Event streams (GET /api/events) open on each server: they never end by themselves, so a drain ends them. */
const streams = new WeakMap<FastifyInstance, Set<ServerResponse>>();

export function trackStream(app: FastifyInstance, res: ServerResponse): void {
  let open = streams.get(app);
  if (open === undefined) streams.set(app, (open = new Set()));
  open.add(res);
  res.on('close', () => open.delete(res));
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
  server.on('request', (_request, response: ServerResponse) => {
    response.shouldKeepAlive = false;
  });
  for (const res of streams.get(app) ?? []) res.end();
  // A connection that finishes its last response goes idle without closing; close it as soon as it does.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
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
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
