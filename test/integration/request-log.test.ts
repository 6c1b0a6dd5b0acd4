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
  it("takes a balancer's X-Request-Id when it is a plain token, makes its own otherwise, and answers with it", async () => {
    const { url, lines } = await serverLogging('all');
    const send = async (id: string | null, auth = token): Promise<string | null> => {
      const response = await fetch(`${url}/api/datasets.list`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${auth}`,
          'content-type': 'application/json',
          ...(id === null ? {} : { 'x-request-id': id }),
        },
        body: '{}',
      });
      await response.arrayBuffer();
      return response.headers.get('x-request-id');
    };
    const given = '3f1e9c0a-7b2d-4c55-9e1f-0a6b8d2c4e71';
    assert.equal(await send(given), given);
    // Refused requests carry it too: the one a user reports is the one to look for.
    assert.equal(await send('nginx-4b1c', wrongToken), 'nginx-4b1c');
    // Too long, a space, a quote, a JSON-breaking character: not taken (each gets an id of the server's own).
    const odd = ['x'.repeat(129), 'a b', 'id"}', 'id,other', ''];
    const made: (string | null)[] = [];
    for (const id of odd) made.push(await send(id));
    const none = await send(null);
    for (const id of [...made, none]) assert.match(id ?? '', /^req-[0-9a-z]+$/);
    assert.equal(new Set([...made, none]).size, odd.length + 1, 'a distinct id each');
    for (let i = 0; i < 50 && lines.length < 8; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      lines.map((l) => l.fields.requestId),
      [given, 'nginx-4b1c', ...made, none].map(String),
    );
  });
});
