import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { HearthError, httpStatusOf, serializeError, type SerializedError } from '../contracts/errors.js';
import type { Engine } from '../engine/engine.js';
import { bearerToken, type TokenVerifier } from './auth.js';
import { allowed, FailureThrottle, RefusalLog, tokenThrottleKey, type Permission, type Principal } from '../security/access.js';
import { hostChecker, networkOf } from './hosts.js';
import { dispatch } from './dispatch.js';
import { drain, trackResponses } from './drain.js';
import { answerClientError } from './client-error.js';
import { installRequestId, installRequestLog, requestIdOf, type RequestLogOptions } from './request-log.js';
import type { CallContext, Handlers } from './handlers.js';
import { openApiDocument } from './openapi.js';
import { jsonShapeProblem } from './json-shape.js';
import { httpResult } from './http-download.js';
import { replicaRouteRefusal } from './replica.js';
import { installReadiness } from './readiness.js';
import { isProtected, publicRoutes } from './protected-paths.js';
import { turnEnd } from '../accel/turns.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as, once the onRequest guard has checked its token or session; null before, and on open routes. */
    hearthPrincipal: Principal | null;
  }
}

export interface HttpServerOptions {
  engine: Engine;
  handlers: Handlers;
  auth: TokenVerifier;
  host?: string;
  port?: number;
  /** Names clients reach the server by besides loopback and `host` (the config's `allowedHosts`); see hosts.ts. */
  allowedHosts?: readonly string[];
  /** The built web console (dist/renderer); served without a token, since it holds code, not data. */
  staticDir?: string;
  logger?: boolean;
  /** One JSON line per request (request-log.ts); none when absent. */
  requestLog?: RequestLogOptions;
  /** PEM certificate chain and private key: the server then speaks HTTPS only (and cookies are Secure). */
  tls?: { cert: Buffer; key: Buffer };
  /** A host's own readiness condition (a standby's first restore): a reason while unmet, else null. */
  readinessGate?: () => string | null;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
  /** Stops within `ms`, letting requests already accepted finish (drain.ts); whether any connection had to be cut. */
  drain(ms: number): Promise<{ cut: boolean }>;
}

/** The console's Content-Security-Policy: its own scripts only; recharts needs inline style attributes. */
export const consoleCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

function sendError(reply: FastifyReply, error: SerializedError): FastifyReply {
  return reply.status(httpStatusOf[error.code]).send(error);
}

/**
 * A request's JSON arguments. A text/plain, text/csv or octet-stream body arrives as a stream (uploads use those
 * types): anywhere arguments are expected it is refused, instead of the stream object reaching validation.
 */
function jsonBody(request: FastifyRequest): unknown {
  const body = request.body;
  if (typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function')
    throw new HearthError('VALIDATION_FAILED', 'send the arguments as JSON (content-type: application/json)');
  return body;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The largest JSON body: 8 MiB parses in well under a second whatever its shape (jsonShapeProblem). */
const jsonBodyLimit = 8 * 1024 * 1024;
/** A sign-in body holds one token: it is parsed before anyone is known, so it is kept tiny. */
const signInBodyLimit = 4 * 1024;

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { engine, handlers, auth } = options;
  // Refusals Fastify makes before any route or error handler runs (a request the HTTP parser cannot read, a URL
  // whose escapes do not decode) answer with Hearth's coded body too, not Fastify's {statusCode, error, code: FST_…}.
  const common = {
    logger: options.logger ?? false,
    return503OnClosing: false,
    genReqId: requestIdOf,
    // JSON arguments: rows in batches, a pipeline file. Files go through uploads, streamed and not held to this.
    bodyLimit: jsonBodyLimit,
    clientErrorHandler: answerClientError,
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) =>
      sendError(reply, { code: 'VALIDATION_FAILED', message: `malformed request: ${error.message}` }),
  };
  const app = (
    options.tls === undefined
      ? Fastify(common)
      : Fastify({ ...common, https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' } })
  ) as FastifyInstance;
  trackResponses(app.server);
  installRequestId(app);
  if (options.requestLog !== undefined) installRequestLog(app, options.requestLog);
  // Set before any route or plugin: a handler set after `await app.register(...)` (the console's static files) does
  // not reach the routes declared before it, which then answered with Fastify's own {statusCode, error} bodies.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    // A sign-in body that does not parse is a failed sign-in: counted, so an address cannot send them without end.
    if (request.routeOptions.url === '/api/session' && request.method === 'POST') countFailedSignIn(request);
    if (error instanceof HearthError) return sendError(reply, serializeError(error));
    if (error.statusCode === 415)
      return sendError(reply, {
        code: 'VALIDATION_FAILED',
        message: 'unsupported content type: send JSON (application/json), or a file to an upload route',
      });
    if (error.statusCode === 413) return sendError(reply, { code: 'PAYLOAD_TOO_LARGE', message: error.message });
    if (error.statusCode !== undefined && error.statusCode < 500)
      return sendError(reply, { code: 'VALIDATION_FAILED', message: error.message });
    console.error('[hearth] unexpected HTTP error:', error);
    return sendError(reply, { code: 'INTERNAL', message: 'internal error' });
  });
  // JSON is parsed by Fastify's own parser (prototype-poisoning keys refused), after a look at its shape that refuses
  // bodies whose parse alone would hold the event loop for seconds.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const problem = jsonShapeProblem(body as string);
    if (problem !== null) {
      done(new HearthError('VALIDATION_FAILED', problem), undefined);
      return;
    }
    void parseJson(request, body as string, done);
  });
  // Uploads stream straight to disk instead of being buffered.
  app.addContentTypeParser(['application/octet-stream', 'text/csv', 'text/plain'], (_request, payload, done) =>
    done(null, payload),
  );

  // Failed sign-ins are counted per address and per network (hosts.ts networkOf: IPv4 /24, IPv6 /64, loopback as
  // one). A network gets ten times an address's allowance, since its addresses may be many distinct people (a NAT, an
  // office); an attacker rotating through the addresses of one network is still slowed to the doubling penalty after
  // 50 guesses. The price: an attacker who shares an address or network with legitimate users can lock them out for
  // up to 15 minutes; they are told so (429 RATE_LIMITED with Retry-After), and the token-prefix key means their own
  // valid token is never what got blocked.
  const throttle = new FailureThrottle();
  const perAddress = 5;
  const perNetwork = 50;
  /** One failed sign-in, counted against its address and its network (a sign-in body that does not parse, too). */
  function countFailedSignIn(request: FastifyRequest, now = Date.now()): void {
    throttle.failed(addressKey(request), now, perAddress);
    throttle.failed(networkKey(request), now, perNetwork);
  }
  const addressKey = (request: FastifyRequest): string => `address:${request.ip}`;
  const networkKey = (request: FastifyRequest): string => `network:${networkOf(request.ip)}`;
  const hostAllowed = hostChecker(options.host ?? '127.0.0.1', options.allowedHosts ?? []);
  const anonymous = new RefusalLog((entry) => engine.access.audit(entry));
  const sweep = setInterval(() => anonymous.flush(), 60_000);
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    anonymous.flush(Date.now(), true);
  });
  const pathOf = (request: FastifyRequest): string => request.url.split('?')[0] ?? '';
  const cookieName = 'hearth_session';
  const sessionOf = (request: FastifyRequest): string | undefined =>
    request.headers.cookie
      ?.split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${cookieName}=`))
      ?.slice(cookieName.length + 1);
  /** The bootstrap token is the admin "bootstrap"; any other token is looked up among the named ones. */
  const principalOfToken = (token: string | undefined): Principal | null =>
    auth.verify(token) ? { name: 'bootstrap', role: 'admin' } : engine.access.authenticate(token);
  // Who the guard found each request to be: a slot on Fastify's request object (null until the guard sets it), read
  // by the routes. A WeakMap keyed by request did the same at an ephemeron-table entry per request, which the young
  // generation's collections walk.
  app.decorateRequest('hearthPrincipal', null);
  /** A presented token that is unknown, revoked or expired: a guess, counted against its address and its prefix. */
  const refuse = (reply: FastifyReply, request: FastifyRequest, token: string, message: string): Promise<FastifyReply> => {
    const now = Date.now();
    countFailedSignIn(request, now);
    if (token !== '') throttle.failed(tokenThrottleKey(token), now);
    // Each failure is a row of its own, naming the address, until its address or network passes its threshold.
    // Past that they are counted like the tokenless refusals (a row a minute with "+N more"), under the address or,
    // when it is the network that is past, under the network: an attacker rotating through many addresses gets the
    // throttle's doubling penalty between guesses, but each guess would otherwise still be an append-only row.
    const addressPast = throttle.failures(addressKey(request), now) > perAddress;
    if (addressPast || throttle.failures(networkKey(request), now) > perNetwork) {
      anonymous.refused(
        {
          remote: addressPast ? request.ip : networkOf(request.ip),
          action: 'sign-in',
          target: pathOf(request),
          code: 'UNAUTHORIZED',
        },
        now,
      );
    } else {
      engine.access.audit({
        actor: 'unknown',
        role: null,
        transport: 'http',
        remote: request.ip,
        action: 'sign-in',
        target: pathOf(request),
        outcome: 'denied',
        code: 'UNAUTHORIZED',
      });
    }
    return sendError(reply.header('www-authenticate', 'Bearer realm="hearth"'), {
      code: 'UNAUTHORIZED',
      message,
    }) as unknown as Promise<FastifyReply>;
  };

  /**
   * The wait before a key (address, network or token prefix) may try again; a refusal of its own, audited in
   * aggregate, under the network when only the network is blocked (so many addresses of it make one count).
   */
  const throttled = (request: FastifyRequest, reply: FastifyReply, keys: string[]): FastifyReply | null => {
    const wait = Math.max(...keys.map((k) => throttle.retryAfterSeconds(k)));
    if (wait <= 0) return null;
    const network = networkOf(request.ip);
    const byNetwork =
      keys.includes(networkKey(request)) &&
      throttle.retryAfterSeconds(networkKey(request)) > 0 &&
      throttle.retryAfterSeconds(addressKey(request)) === 0;
    anonymous.refused({
      remote: byNetwork ? network : request.ip,
      action: 'sign-in',
      target: pathOf(request),
      code: 'RATE_LIMITED',
    });
    return sendError(reply.header('retry-after', String(wait)), {
      code: 'RATE_LIMITED',
      message: `too many failed sign-ins from ${request.ip}, its network (${network}) or with this token: try again in ${wait} s`,
    });
  };

  /**
   * Who may pass, on every request: answers undefined to let it through (with its principal set), or the reply it
   * sent instead. Synchronous on purpose, and run from a callback hook: an async hook costs each request a promise and
   * a microtask turn, a measurable share of a single-row prediction.
   */
  const guard = (request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply> | undefined => {
    // An absolute-form target (`POST http://evil.example/api/… HTTP/1.1`) names its own authority, which RFC 9112
    // §3.2.2 says overrides Host, so the Host check below would judge the wrong name. Only proxies are sent that
    // form; browsers and Hearth's clients send a path (origin-form) to an origin server, so any other is refused
    // rather than interpreted (asterisk-form `OPTIONS *` included; CONNECT's authority-form never reaches here).
    if (!request.raw.url?.startsWith('/')) {
      anonymous.refused({
        remote: request.ip,
        action: 'connect',
        target: (request.raw.url ?? '').slice(0, 200),
        code: 'VALIDATION_FAILED',
      });
      return sendError(reply, {
        code: 'VALIDATION_FAILED',
        message: 'only origin-form request targets (a path, with the host in the Host header) are served',
      });
    }
    // First of all, on every route (health, the console's files and sign-in included): a request that names a host we
    // are not reached by comes from a DNS-rebinding page, or is misdirected. Even the open routes refuse it, since the
    // console served there would run under the attacker's origin and /healthz tells it which version to attack.
    if (!hostAllowed(request.headers.host)) {
      anonymous.refused({
        remote: request.ip,
        action: 'connect',
        target: request.headers.host ?? null,
        code: 'HOST_NOT_ALLOWED',
      });
      return sendError(reply, {
        code: 'HOST_NOT_ALLOWED',
        message: `this server does not answer for the host "${request.headers.host ?? ''}"; add it to allowedHosts in the config if it is this server's name`,
      });
    }
    const route = request.routeOptions.url;
    const signIn = route === '/api/session';
    // A protected path needs an identity whichever route (or none) serves it; an unmatched request elsewhere goes to
    // the not-found handler, which answers NOT_FOUND or the console's index page: no data.
    const open = (route === undefined || publicRoutes.has(route)) && !isProtected(request.url);
    if (open && !signIn) return;
    // Repeated failures from one address or network, or with one token prefix, are refused for a while before any token is
    // looked at (the sign-in route's token is in its body: its handler checks the prefix).
    const presented = bearerToken(request.headers.authorization);
    // No failure recorded since start: nothing can be blocked, and the keys (an address's network) need not be built.
    const blocked =
      throttle.size === 0
        ? null
        : throttled(request, reply, [
            addressKey(request),
            networkKey(request),
            ...(presented === undefined || signIn ? [] : [tokenThrottleKey(presented)]),
          ]);
    if (blocked !== null) return blocked;
    if (signIn) return;
    if (presented !== undefined) {
      const principal = principalOfToken(presented);
      if (principal === null) return refuse(reply, request, presented, 'this API token is unknown, revoked or expired');
      request.hearthPrincipal = principal;
      return;
    }
    const session = engine.access.session(sessionOf(request), auth.verifyDigest);
    if (session === null) {
      anonymous.refused({ remote: request.ip, action: 'sign-in', target: pathOf(request), code: 'UNAUTHORIZED' });
      return sendError(reply.header('www-authenticate', 'Bearer realm="hearth"'), {
        code: 'UNAUTHORIZED',
        message: 'a valid API token is required (Authorization: Bearer <token>), or a console session',
      });
    }
    // A cookie rides along with any request the browser makes, even one another site starts: changes must come
    // from this origin (SameSite=Strict is the first guard, this the second).
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const origin = request.headers.origin;
      const own = `${request.protocol}://${request.headers.host ?? ''}`;
      if (origin !== own) {
        // Another site's page can make a signed-in browser send these at will: aggregated like the tokenless ones.
        anonymous.refused({ remote: request.ip, action: 'cross-origin', target: pathOf(request), code: 'FORBIDDEN' });
        return sendError(reply, { code: 'FORBIDDEN', message: `cross-origin request refused (Origin ${origin ?? 'missing'})` });
      }
    }
    request.hearthPrincipal = session;
    return undefined;
  };
  app.addHook('onRequest', (request, reply, done) => {
    // A sent refusal ends the request here: Fastify's callback hooks respond without calling done.
    if (guard(request, reply) === undefined) done();
  });

  /**
   * The dispatch context of an authenticated request. A request with no identity has no role: reaching here without
   * one is a bug in the guard above, and it is refused rather than given any default.
   */
  const contextOf = (request: FastifyRequest): CallContext => {
    const principal = request.hearthPrincipal ?? undefined;
    if (principal === undefined) throw new HearthError('UNAUTHORIZED', 'a valid API token is required');
    return { transport: 'http', principal, remote: request.ip };
  };
  /** A route's own role check (routes that do not go through dispatch); a refusal is audited as dispatch audits one. */
  const permit = (request: FastifyRequest, reply: FastifyReply, permission: Permission): boolean => {
    const principal = request.hearthPrincipal ?? undefined;
    const replica = replicaRouteRefusal(handlers, permission);
    if (principal !== undefined && allowed(principal.role, permission) && replica === null) return true;
    const name = (request.params as { name?: unknown } | undefined)?.name;
    engine.access.audit({
      actor: principal?.name ?? 'unknown',
      role: principal?.role ?? null,
      transport: 'http',
      remote: request.ip,
      action: `${request.method} ${request.routeOptions.url ?? pathOf(request)}`,
      target: typeof name === 'string' ? name : null,
      outcome: 'denied',
      code: 'FORBIDDEN',
    });
    void sendError(reply, {
      code: 'FORBIDDEN',
      message: replica ?? `${principal?.name ?? 'this caller'} (${principal?.role ?? 'no role'}) may not ${permission} here`,
    });
    return false;
  };

  // Console sign-in: a token for an HttpOnly, SameSite=Strict session cookie; the token itself is not kept.
  app.post('/api/session', { bodyLimit: signInBodyLimit }, async (request, reply) => {
    const body = jsonBody(request) as { token?: unknown } | undefined;
    const token = typeof body?.token === 'string' ? body.token : '';
    const blocked = throttled(request, reply, token === '' ? [] : [tokenThrottleKey(token)]);
    if (blocked !== null) return blocked;
    const principal = principalOfToken(token);
    if (principal === null) return refuse(reply, request, token, 'this API token is unknown, revoked or expired');
    const session = engine.access.openSession(principal, token);
    engine.access.audit({
      actor: principal.name,
      role: principal.role,
      transport: 'http',
      remote: request.ip,
      action: 'sign-in',
      target: null,
      outcome: 'ok',
      code: null,
    });
    return reply
      .header(
        'set-cookie',
        `${cookieName}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${session.maxAgeSeconds}${request.protocol === 'https' ? '; Secure' : ''}`,
      )
      .send(principal);
  });
  app.get('/api/session', async (request, reply) => {
    const session = engine.access.session(sessionOf(request), auth.verifyDigest);
    return session === null ? sendError(reply, { code: 'UNAUTHORIZED', message: 'not signed in' }) : session;
  });
  app.delete('/api/session', async (request, reply) => {
    const session = engine.access.session(sessionOf(request), auth.verifyDigest);
    engine.access.closeSession(sessionOf(request));
    if (session !== null)
      engine.access.audit({
        actor: session.name,
        role: session.role,
        transport: 'http',
        remote: request.ip,
        action: 'sign-out',
        target: null,
        outcome: 'ok',
        code: null,
      });
    return reply.header('set-cookie', `${cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`).send({ signedOut: true });
  });

  app.get('/healthz', async () => ({ status: 'ok', version: engine.version }));
  installReadiness(app, engine, options.readinessGate);
  app.get('/openapi.json', async () => openApiDocument(engine.version));

  app.put('/api/uploads', async (request, reply) => {
    if (!permit(request, reply, 'ingest')) return reply;
    const body = request.body as Readable | null | undefined;
    if (typeof body !== 'object' || body === null || typeof body.pipe !== 'function') {
      return sendError(reply, { code: 'VALIDATION_FAILED', message: 'send the file as application/octet-stream or text/csv' });
    }
    try {
      // Counted against the caller's upload space: a token name, or the bootstrap admin.
      const declared = Number(request.headers['content-length']);
      const uploadId = await engine.saveUpload(
        body,
        undefined,
        request.hearthPrincipal?.name,
        Number.isSafeInteger(declared) ? declared : undefined,
      );
      // An upload writes to the data folder before any method reads it: who wrote what is in the audit log.
      const principal = request.hearthPrincipal!;
      engine.access.audit({
        actor: principal.name,
        role: principal.role,
        transport: 'http',
        remote: request.ip,
        action: 'uploads.put',
        target: uploadId,
        outcome: 'ok',
        code: null,
      });
      return { uploadId };
    } catch (error) {
      const e = error as SerializedError;
      return sendError(reply, { code: e.code ?? 'INTERNAL', message: e.message });
    }
  });

  app.get('/api/events', (request, reply) => {
    if (!permit(request, reply, 'read')) return reply;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    const unsubscribe = engine.events.subscribe((event) => {
      res.write(`event: ${event.name}\ndata: ${JSON.stringify(event.data)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  app.post('/api/:method', async (request: FastifyRequest<{ Params: { method: string } }>, reply) => {
    const outcome = await dispatch(handlers, request.params.method, jsonBody(request), contextOf(request), engine.access);
    return outcome.ok ? httpResult(request, reply, outcome.result) : sendError(reply, outcome.error);
  });

  app.post('/v1/models/:name/predict', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const body = jsonBody(request) ?? {};
    // The body JSON.parse made is this request's own: the name is set on it rather than on a spread copy, unless it
    // is not a plain object (an array, a number), which the copy turns into one for validation to judge.
    let args: Record<string, unknown>;
    if (isPlainObject(body)) {
      body.name = request.params.name;
      args = body;
    } else args = { ...body, name: request.params.name };
    const outcome = await dispatch(handlers, 'models.predict', args, contextOf(request), engine.access);
    // Answers of requests that arrived together leave together (accel/turns.ts).
    await turnEnd();
    return outcome.ok ? outcome.result : sendError(reply, outcome.error);
  });

  // Prometheus scrapes this with the API token (`authorization: { credentials: … }` in its scrape config).
  app.get('/metrics', async (request, reply) => {
    if (!permit(request, reply, 'read')) return reply;
    const text = await options.engine.servingMetrics.text();
    return reply.header('content-type', options.engine.servingMetrics.contentType).send(text);
  });

  // Rows pushed by an application: JSON ({rows: [...]} or an array) or a CSV body, appended as the next version.
  app.post('/v1/datasets/:name/rows', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const body = request.body as Readable | { rows?: unknown } | unknown[] | null | undefined;
    const source = 'POST /v1/datasets/:name/rows';
    let outcome;
    // A JSON body may be null (or any value): only a parsed stream (a CSV body) has pipe.
    if (typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function') {
      // A CSV body is an upload appended as a file is (`ingest --append`): spooled encrypted, malformed lines kept.
      if (!permit(request, reply, 'ingest')) return reply;
      const uploadId = await engine.saveUpload(body as Readable, undefined, request.hearthPrincipal?.name);
      try {
        outcome = await dispatch(
          handlers,
          'datasets.ingest',
          { name: request.params.name, uploadId, append: true, format: 'csv', fileName: source },
          contextOf(request),
          engine.access,
        );
      } finally {
        engine.discardUpload(uploadId);
      }
    } else {
      const rows = Array.isArray(body) ? body : (body as { rows?: unknown } | undefined)?.rows;
      outcome = await dispatch(
        handlers,
        'datasets.append',
        { name: request.params.name, rows, source },
        contextOf(request),
        engine.access,
      );
    }
    return outcome.ok ? outcome.result : sendError(reply, outcome.error);
  });

  // Late labels: {id, label}, or {labels: [{id, label}, …]}, for rows predict answered with those ids.
  app.post('/v1/models/:name/feedback', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const body = (jsonBody(request) ?? {}) as Record<string, unknown>;
    const labels = Array.isArray(body.labels) ? body.labels : [{ id: body.id, label: body.label }];
    const outcome = await dispatch(
      handlers,
      'models.feedback',
      { name: request.params.name, labels },
      contextOf(request),
      engine.access,
    );
    return outcome.ok ? outcome.result : sendError(reply, outcome.error);
  });

  if (options.staticDir !== undefined && existsSync(options.staticDir)) {
    await app.register(fastifyStatic, {
      root: options.staticDir,
      setHeaders: (res) => {
        res.setHeader('content-security-policy', consoleCsp);
        res.setHeader('x-content-type-options', 'nosniff');
        res.setHeader('referrer-policy', 'no-referrer');
      },
    });
  }
  app.setNotFoundHandler((request, reply) => {
    if (isProtected(request.url) || options.staticDir === undefined || request.method !== 'GET') {
      return sendError(reply, { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
    }
    return reply.header('content-security-policy', consoleCsp).sendFile('index.html');
  });

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7420 });
  // Uploads no one ingests are removed within the hour (an unref'd timer: it never holds the process open).
  const stopSweep = engine.startUploadSweep();
  return {
    app,
    url: address.replace('[::1]', 'localhost'),
    close: () => {
      stopSweep();
      return app.close();
    },
    drain: (ms) => drain(app, ms, stopSweep),
  };
}
