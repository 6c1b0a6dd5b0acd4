import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Which requests get a log line: none, those answered 400 or above, or every one (`server.requestLog`). */
export type RequestLogMode = 'off' | 'errors' | 'all';

export interface RequestLogOptions {
  mode: RequestLogMode;
  /** The host's JSON logger (cli/daemon.ts daemonLog in `hearth serve`): one call a request. */
  write: (level: 'info' | 'warn' | 'error', event: string, message: string, fields: Record<string, unknown>) => void;
}

/**
 * One log line per answered request: its id, method, route pattern, status and milliseconds. The route is the
 * pattern (`/api/models/:name/predict`), never the URL a client sent, whose path or query may carry a token, a
 * session or a user's data; no header and no body are read, so a token cannot reach the log by any path. A request
 * that matched no route logs `route: null`.
 */
export function installRequestLog(app: FastifyInstance, options: RequestLogOptions): void {
  if (options.mode === 'off') return;
  // Callback hooks, not async ones: they run on every request, and an async hook costs a promise and a turn each.
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    if (options.mode === 'errors' && status < 400) return done();
    const route = request.routeOptions.url ?? null;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    try {
      options.write(
        status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
        'request',
        `${request.method} ${route ?? '(no route)'} ${status} ${ms} ms`,
        { requestId: request.id, method: request.method, route, status, ms },
      );
    } catch {
      // The answer has gone: a log line that cannot be written (stderr closed) must not fail it, nor call done twice.
    }
    done();
  });
}

/** What a request id taken from a header may hold: a UUID, nginx's $request_id, a trace id; nothing to escape. */
const givenId = /^[A-Za-z0-9._:-]{1,128}$/;
let nextId = 0;
/** The ids this server makes: req-0, req-1, … (base 36). */
const ownPrefix = 'req-';

/**
 * A request's id (Fastify's genReqId): the X-Request-Id a balancer or client sent, when it is a plain token of at
 * most 128 characters, so one request reads the same in the balancer's log and here; otherwise one of our own.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  // Not one spelled as ours: a client could give its requests the id of another's line in the log.
  if (typeof given === 'string' && givenId.test(given) && !given.startsWith(ownPrefix)) return given;
  return `${ownPrefix}${(nextId++).toString(36)}`;
}

/** Every answer names its request id (X-Request-Id), the one the request log writes. */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
