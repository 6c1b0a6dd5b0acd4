import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request as httpRequest } from 'node:http';
import { allowed, methodPermission, roles, type Permission, type Role } from '../../main/security/access.js';
import { foldedPath, normalisedPath } from '../../main/api/protected-paths.js';
import { apiSchemas, type ApiMethod } from '../../main/contracts/api.js';
import { startHarness, testToken, type Harness } from './harness.js';

/**
 * Every protected route under many spellings of its path, with no token, a wrong token and each role. The guard must
 * decide on the path the router matches, so no spelling is answered 200 without a role that grants the route.
 * Requests go out through node:http with the path as written (fetch would resolve dot segments client-side).
 */

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  permission: Permission;
  /** A body every handler refuses (so a granted call changes nothing): validation fails after the role check. */
  body?: string;
}

const routes: Route[] = [
  ...Object.keys(apiSchemas).map((m): Route => ({
    method: 'POST',
    path: `/api/${m}`,
    permission: methodPermission[m as ApiMethod],
    body: '[]',
  })),
  { method: 'PUT', path: '/api/uploads', permission: 'ingest', body: '[]' },
  { method: 'GET', path: '/api/events', permission: 'read' },
  { method: 'GET', path: '/metrics', permission: 'read' },
  { method: 'GET', path: '/openapi.json', permission: 'info' },
  { method: 'POST', path: '/v1/models/probe/predict', permission: 'predict', body: '{"rows":"x"}' },
  { method: 'POST', path: '/v1/models/probe/feedback', permission: 'ingest', body: '{"labels":"x"}' },
  { method: 'POST', path: '/v1/datasets/probe/rows', permission: 'ingest', body: '{"rows":"x"}' },
];

const hex = (c: string): string => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** Other ways to write one path that a server, a proxy or a decoder may read as the same path. */
export function spellings(path: string): string[] {
  const [first, ...rest] = path.slice(1).split('/') as [string, ...string[]];
  const tail = rest.length > 0 ? `/${rest.join('/')}` : '';
  const last = rest.at(-1) ?? first;
  const out = [
    path,
    `/${hex(first[0]!)}${first.slice(1)}${tail}`, // /%61pi/…
    `/${[...first].map(hex).join('')}${tail}`, // every letter of the prefix encoded
    `/${hex(first[0]!).toUpperCase()}${first.slice(1)}${tail}`, // upper-case hex digits
    `/%25${hex(first[0]!).slice(1)}${first.slice(1)}${tail}`, // double-encoded
    `//${first}${tail}`,
    `///${first}${tail}`,
    `/./${first}${tail}`,
    `/x/../${first}${tail}`,
    `/%2e/${first}${tail}`,
    `/x/%2e%2e/${first}${tail}`,
    `/${first.toUpperCase()}${tail.toUpperCase()}`,
    `/${first[0]!.toUpperCase()}${first.slice(1)}${tail}`,
    `${path}/`,
    `${path}?x=1`,
    `${path}%3Fx=1`,
    `/${first}%2F${rest.join('%2F')}`,
    `/${first}\\${rest.join('\\')}`,
  ];
  if (rest.length > 0) {
    out.push(`/${first}//${rest.join('/')}`);
    out.push(`/${first}/./${rest.join('/')}`);
    out.push(`/${[first, ...rest.slice(0, -1), `${hex(last[0]!)}${last.slice(1)}`].join('/')}`);
  }
  return [...new Set(out)];
}

function send(
  baseUrl: string,
  route: Route,
  path: string,
  authorization: string | undefined,
): Promise<{ status: number; code: string | undefined }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: route.method,
        path,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(route.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // The event stream never ends on its own: its status says enough.
        if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status, code: undefined });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: string }).code;
          } catch {
            code = undefined;
          }
          resolve({ status, code });
        });
      },
    );
    req.on('error', reject);
    req.end(route.body);
  });
}

describe('route spellings', () => {
  let h: Harness;
  const tokens = new Map<Role, string>();
  before(async () => {
    h = await startHarness('http');
    tokens.set('admin', testToken);
    for (const role of roles) if (role !== 'admin') tokens.set(role, h.engine.access.createToken(`probe-${role}`, role).token);
  });
  after(async () => h.close());

  it('normalises a path the way the router reads it', () => {
    assert.equal(normalisedPath('/%61pi/datasets.list'), '/api/datasets.list');
    assert.equal(normalisedPath('//API/./x/../datasets.list?x'), '/api/datasets.list');
    assert.equal(normalisedPath('/%2561pi/x'), '/api/x');
    assert.equal(normalisedPath('/x/%2e%2e/metrics'), '/metrics');
    assert.equal(normalisedPath('/%zz/../v1/x'), '/v1/x');
  });

  it('reads a plain spelling without the fold, and reads it as the fold would, for any spelling', () => {
    assert.equal(normalisedPath('/V1/Models/birds/predict/'), '/v1/models/birds/predict');
    assert.equal(normalisedPath('/.well-known/x..y'), '/.well-known/x..y');
    // Random paths over the characters that matter to the fold (separators, dots, escapes, case): the shortcut and
    // the full decode-and-fold never disagree.
    const alphabet = ['/', '/', '.', '..', '%', '%2e', '%2f', '%61', '%25', '\\', 'a', 'A', 'v1', 'api', '?', 'x'];
    let seed = 7;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 20_000; i++) {
      let url = '';
      for (let k = 1 + next(8); k > 0; k--) url += alphabet[next(alphabet.length)];
      assert.equal(normalisedPath(url), foldedPath(url.split('?')[0] ?? ''), url);
    }
  });

  it('the %61pi spelling that once read every dataset with no token is refused', async () => {
    const r = await send(
      h.server!.url,
      { method: 'POST', path: '', permission: 'read', body: '{}' },
      '/%61pi/datasets.list',
      undefined,
    );
    assert.deepEqual([r.status, r.code], [401, 'UNAUTHORIZED']);
  });

  it('answers every spelling of every route as the permission table says, for no token and each role', async () => {
    let requests = 0;
    let routedSpellings = 0;
    for (const route of routes) {
      for (const path of spellings(route.path)) {
        const anonymous = await send(h.server!.url, route, path, undefined);
        requests++;
        assert.deepEqual(
          [anonymous.status, anonymous.code],
          [401, 'UNAUTHORIZED'],
          `${route.method} ${path} with no token answered ${anonymous.status}`,
        );
        for (const role of roles) {
          const r = await send(h.server!.url, route, path, `Bearer ${tokens.get(role)!}`);
          requests++;
          assert.notEqual(r.status, 500, `${route.method} ${path} as ${role}: 500`);
          if (allowed(role, route.permission)) {
            // Granted: the router either found the route (the handler refused the body, or answered) or not (404).
            assert.ok(![401, 403].includes(r.status), `${route.method} ${path} as ${role}: ${r.status} ${r.code}`);
            if (r.status !== 404 && path !== route.path) routedSpellings++;
          } else {
            assert.ok(
              [403, 404].includes(r.status),
              `${route.method} ${path} as ${role} (lacks ${route.permission}) answered ${r.status} ${r.code}`,
            );
          }
        }
      }
    }
    // The suite is only worth something if the router did read other spellings as the route.
    assert.ok(routedSpellings > routes.length, `only ${routedSpellings} other spellings reached a route`);
    assert.ok(requests > 5000, `${requests} requests`);
  });
});

describe('route spellings with a wrong token', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('http');
  });
  after(async () => h.close());

  it('never answers a wrong or malformed token with anything but 401 or 429', async () => {
    for (const route of routes)
      for (const path of spellings(route.path))
        for (const authorization of [
          'Bearer hth_wrong',
          `Bearer ${testToken}x`,
          `Basic ${testToken}`,
          `bearer  ${testToken.slice(1)}`,
        ]) {
          const r = await send(h.server!.url, route, path, authorization);
          assert.ok([401, 429].includes(r.status), `${route.method} ${path} with ${authorization}: ${r.status} ${r.code}`);
        }
  });
});
