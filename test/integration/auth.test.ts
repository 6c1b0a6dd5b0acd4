import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer } from '../../main/api/http-server.js';
import { apiSchemas } from '../../main/contracts/api.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

describe('HTTP authentication', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('http');
  });
  after(async () => h.close());

  const routes: [string, string][] = [
    ...Object.keys(apiSchemas).map((m): [string, string] => ['POST', `/api/${m}`]),
    ['POST', '/api/no.such-method'],
    ['PUT', '/api/uploads'],
    ['GET', '/api/events'],
    ['POST', '/v1/models/anything/predict'],
    ['GET', '/v1/anything'],
    ['GET', '/openapi.json'],
  ];

  for (const header of [undefined, `Basic ${testToken}`, 'Bearer ', 'Bearer wrong-token']) {
    it(`answers 401 on every /api and /v1 route with ${header === undefined ? 'no' : `"${header.slice(0, 12)}…"`} authorization`, async () => {
      // A wrong bearer token counts as a failed sign-in: after five, the address is refused (429) for a while.
      const guessing = header === 'Bearer wrong-token';
      let failures = 0;
      let retryAfter = 0;
      for (const [method, path] of routes) {
        const response = await fetch(`${h.server!.url}${path}`, {
          method,
          headers: { ...(header === undefined ? {} : { authorization: header }), 'content-type': 'application/json' },
          ...(method === 'GET' ? {} : { body: '{}' }),
        });
        const code = ((await response.json()) as { code: string }).code;
        if (guessing && failures >= 5) {
          assert.deepEqual([response.status, code], [429, 'RATE_LIMITED'], `${method} ${path}`);
          retryAfter = Number(response.headers.get('retry-after'));
        } else {
          assert.deepEqual([response.status, code], [401, 'UNAUTHORIZED'], `${method} ${path}`);
          failures++;
        }
      }
      // Wait out the penalty, so the tests below sign in.
      if (guessing) await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    });
  }

  it('serves /healthz without a token, bound to loopback', async () => {
    assert.match(h.server!.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${h.server!.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ok');
  });

  it('serves an OpenAPI document generated from the schemas, with the token', async () => {
    const response = await fetch(`${h.server!.url}/openapi.json`, { headers: { authorization: `Bearer ${testToken}` } });
    assert.equal(response.status, 200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<
        string,
        { post?: { requestBody: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } } }
      >;
    };
    assert.equal(doc.openapi, '3.1.0');
    for (const method of Object.keys(apiSchemas)) assert.ok(doc.paths[`/api/${method}`], method);
    const train = doc.paths['/api/training.start']!.post!.requestBody.content['application/json']!.schema;
    assert.ok(train.properties?.target);
    assert.ok(doc.paths['/v1/models/{name}/predict']);
  });

  it('answers REST predict for an unknown model with 404 once authenticated', async () => {
    const response = await fetch(`${h.server!.url}/v1/models/unknown/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ a: 1 }] }),
    });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { code: string }).code, 'NOT_FOUND');
  });
});

describe('HTTPS', () => {
  it('serves the API over TLS with the certificate given, and marks the session cookie Secure', async () => {
    const tmp = tempDir();
    const cert = join(tmp.dir, 'cert.pem');
    const key = join(tmp.dir, 'key.pem');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const engine = Engine.open(join(tmp.dir, 'data'));
    const server = await startHttpServer({
      engine,
      handlers: createHandlers(engine),
      auth: loadTokenVerifier(engine.db, testToken),
      port: 0,
      tls: { cert: readFileSync(cert), key: readFileSync(key) },
    });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const request = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
        new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
          (resolve, reject) => {
            const req = httpsRequest(`${server.url}${path}`, { ...init, ca: readFileSync(cert) }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
            });
            req.on('error', reject);
            req.end(init.body);
          },
        );
      const health = await request('/healthz');
      assert.equal(health.status, 200);
      const signIn = await request('/api/session', {
        method: 'POST',
        body: JSON.stringify({ token: testToken }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(signIn.status, 200);
      assert.match(String(signIn.headers['set-cookie']), /; Secure$/);
      // A client that does not trust the certificate is refused by TLS itself.
      await assert.rejects(fetch(`${server.url}/healthz`));
    } finally {
      await server.close();
      engine.close();
      tmp.cleanup();
    }
  });
});
