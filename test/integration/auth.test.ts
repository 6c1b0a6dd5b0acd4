import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiSchemas } from '../../main/contracts/api.js';
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

  for (const header of [undefined, 'Bearer wrong-token', `Basic ${testToken}`, 'Bearer ']) {
    it(`answers 401 on every /api and /v1 route with ${header === undefined ? 'no' : `"${header.slice(0, 12)}…"`} authorization`, async () => {
      for (const [method, path] of routes) {
        const response = await fetch(`${h.server!.url}${path}`, {
          method,
          headers: { ...(header === undefined ? {} : { authorization: header }), 'content-type': 'application/json' },
          ...(method === 'GET' ? {} : { body: '{}' }),
        });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.equal(((await response.json()) as { code: string }).code, 'UNAUTHORIZED');
      }
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
