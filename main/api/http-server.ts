import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { httpStatusOf, type SerializedError } from '../contracts/errors.js';
import type { Engine } from '../engine/engine.js';
import { bearerToken, type TokenVerifier } from './auth.js';
import { dispatch } from './dispatch.js';
import type { Handlers } from './handlers.js';
import { openApiDocument } from './openapi.js';

export interface HttpServerOptions {
  engine: Engine;
  handlers: Handlers;
  auth: TokenVerifier;
  host?: string;
  port?: number;
  /** The built web console (dist/renderer); served without a token, since it holds code, not data. */
  staticDir?: string;
  logger?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** The console's Content-Security-Policy: its own scripts only; recharts needs inline style attributes. */
export const consoleCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

function sendError(reply: FastifyReply, error: SerializedError): FastifyReply {
  return reply.status(httpStatusOf[error.code]).send(error);
}

function isProtected(url: string): boolean {
  return (
    url.startsWith('/api/') ||
    url === '/api' ||
    url.startsWith('/v1/') ||
    url.startsWith('/openapi.json') ||
    url.startsWith('/metrics')
  );
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { engine, handlers, auth } = options;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 64 * 1024 * 1024 });
  // Uploads stream straight to disk instead of being buffered.
  app.addContentTypeParser(['application/octet-stream', 'text/csv', 'text/plain'], (_request, payload, done) =>
    done(null, payload),
  );

  app.addHook('onRequest', async (request, reply) => {
    if (!isProtected(request.url)) return;
    if (!auth.verify(bearerToken(request.headers.authorization))) {
      await sendError(reply.header('www-authenticate', 'Bearer realm="hearth"'), {
        code: 'UNAUTHORIZED',
        message: 'a valid API token is required (Authorization: Bearer <token>)',
      });
    }
  });

  app.get('/healthz', async () => ({ status: 'ok', version: engine.version }));
  app.get('/openapi.json', async () => openApiDocument(engine.version));

  app.put('/api/uploads', async (request, reply) => {
    const body = request.body as Readable | undefined;
    if (body === undefined || typeof body.pipe !== 'function') {
      return sendError(reply, { code: 'VALIDATION_FAILED', message: 'send the file as application/octet-stream or text/csv' });
    }
    try {
      return { uploadId: await engine.saveUpload(body) };
    } catch (error) {
      const e = error as SerializedError;
      return sendError(reply, { code: e.code ?? 'INTERNAL', message: e.message });
    }
  });

  app.get('/api/events', (request, reply) => {
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
    const outcome = await dispatch(handlers, request.params.method, request.body, { transport: 'http' });
    return outcome.ok ? outcome.result : sendError(reply, outcome.error);
  });

  app.post('/v1/models/:name/predict', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const outcome = await dispatch(handlers, 'models.predict', { ...body, name: request.params.name }, { transport: 'http' });
    return outcome.ok ? outcome.result : sendError(reply, outcome.error);
  });

  // Prometheus scrapes this with the API token (`authorization: { credentials: … }` in its scrape config).
  app.get('/metrics', async (_request, reply) => {
    const text = await options.engine.servingMetrics.text();
    return reply.header('content-type', options.engine.servingMetrics.contentType).send(text);
  });

  // Late labels: {id, label}, or {labels: [{id, label}, …]}, for rows predict answered with those ids.
  app.post('/v1/models/:name/feedback', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const labels = Array.isArray(body.labels) ? body.labels : [{ id: body.id, label: body.label }];
    const outcome = await dispatch(handlers, 'models.feedback', { name: request.params.name, labels }, { transport: 'http' });
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
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    if (error.statusCode === 413) return sendError(reply, { code: 'PAYLOAD_TOO_LARGE', message: error.message });
    if (error.statusCode !== undefined && error.statusCode < 500)
      return sendError(reply, { code: 'VALIDATION_FAILED', message: error.message });
    console.error('[hearth] unexpected HTTP error:', error);
    return sendError(reply, { code: 'INTERNAL', message: 'internal error' });
  });

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7420 });
  return { app, url: address.replace('[::1]', 'localhost'), close: () => app.close() };
}
