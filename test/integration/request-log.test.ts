import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import type { RequestLogMode } from '../../main/api/request-log.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';

const token = 'log-test-token-5f3c9a1e7b';
const wrongToken = 'wrong-token-d41d8cd98f00b204';
const secretInUrl = 'url-secret-0c8e2a';
const secretInBody = 'body-secret-77aa19';

interface Line {
  level: string;
  event: string;
  message: string;
  fields: Record<string, unknown>;
}

describe('HTTP request log (server.requestLog)', () => {
  const tmp = tempDir();
  let engine: Engine;
  const servers: RunningServer[] = [];
  before(() => {
    engine = Engine.open(tmp.dir);
  });
  after(async () => {
    for (const s of servers) await s.close();
    engine.close();
    tmp.cleanup();
  });

  async function serverLogging(mode: RequestLogMode): Promise<{ url: string; lines: Line[] }> {
    const lines: Line[] = [];
    const server = await startHttpServer({
      engine,
      handlers: createHandlers(engine),
      auth: loadTokenVerifier(engine.db, token),
      port: 0,
      requestLog: { mode, write: (level, event, message, fields) => lines.push({ level, event, message, fields }) },
    });
    servers.push(server);
    return { url: server.url, lines };
  }

  /** The same traffic for each mode: a success, a refused token, a bad call with a secret in it, no route. */
  async function traffic(url: string): Promise<void> {
    const call = (path: string, auth: string, body: unknown): Promise<Response> =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await call('/api/datasets.list', token, {})).status, 200);
    assert.equal((await call('/api/datasets.list', wrongToken, {})).status, 401);
    assert.equal((await call(`/api/datasets.version?token=${secretInUrl}`, token, { name: secretInBody })).status, 404);
    assert.equal((await fetch(`${url}/no/such/${secretInUrl}?token=${token}`)).status, 404);
  }

  it('all: one line per request with id, method, route pattern, status and ms; no token, URL or body', async () => {
    const { url, lines } = await serverLogging('all');
    await traffic(url);
    // onResponse runs after the answer is sent: wait for the last one.
    for (let i = 0; i < 50 && lines.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines.length, 4, JSON.stringify(lines));
    assert.deepEqual(
      lines.map((l) => [l.event, l.level, l.fields.method, l.fields.route, l.fields.status]),
      [
        ['request', 'info', 'POST', '/api/:method', 200],
        ['request', 'warn', 'POST', '/api/:method', 401],
        ['request', 'warn', 'POST', '/api/:method', 404],
        ['request', 'warn', 'GET', null, 404],
      ],
    );
    for (const l of lines) {
      assert.deepEqual(Object.keys(l.fields), ['requestId', 'method', 'route', 'status', 'ms']);
      assert.equal(typeof l.fields.ms, 'number');
      assert.ok((l.fields.ms as number) >= 0 && (l.fields.ms as number) < 30_000);
    }
    assert.equal(new Set(lines.map((l) => l.fields.requestId)).size, 4, 'a distinct id per request');
    const text = JSON.stringify(lines);
    for (const secret of [token, wrongToken, secretInUrl, secretInBody, 'Bearer', 'authorization'])
      assert.ok(!text.includes(secret), `${secret} reached the log: ${text}`);
  });

  it('errors (the default) logs status 400 and up only; off logs nothing', async () => {
    const errors = await serverLogging('errors');
    await traffic(errors.url);
    for (let i = 0; i < 50 && errors.lines.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      errors.lines.map((l) => l.fields.status),
      [401, 404, 404],
    );
    const off = await serverLogging('off');
    await traffic(off.url);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(off.lines, []);
  });
});
