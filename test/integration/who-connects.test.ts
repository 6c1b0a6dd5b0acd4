import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import type { AuditEntry } from '../../main/contracts/api.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir, writeFile } from '../helpers.js';
import { testToken } from './harness.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  code: string | undefined;
  body: string;
}

/**
 * One request with the Host header and source address chosen (fetch forbids setting Host). Every 127/8 address is
 * the loopback interface on Linux, so `from` gives each scenario its own address for the per-address throttle.
 */
function send(
  url: string,
  path: string,
  options: {
    method?: string;
    host?: string;
    token?: string;
    from?: string;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path,
        method: options.method ?? 'GET',
        ...(options.from === undefined ? {} : { localAddress: options.from }),
        headers: {
          host: options.host ?? target.host,
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(body) as { code?: string }).code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, code, body });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('who may connect', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: RunningServer;
  let url: string;
  let port: string;
  const tokens: Record<string, string> = {};
  before(async () => {
    const dataDir = join(tmp.dir, 'data');
    // The names an operator reaches the box by, besides loopback and the bound address, come from the config file.
    Engine.open(dataDir).close();
    writeFile(dataDir, 'hearth.config.json', JSON.stringify({ allowedHosts: ['hearth.example.lan'] }));
    engine = Engine.open(dataDir);
    assert.deepEqual(engine.config?.allowedHosts, ['hearth.example.lan']);
    const staticDir = join(tmp.dir, 'console');
    mkdirSync(staticDir);
    writeFile(staticDir, 'index.html', '<!doctype html><title>Hearth</title>');
    server = await startHttpServer({
      engine,
      handlers: createHandlers(engine),
      auth: loadTokenVerifier(engine.db, testToken),
      port: 0,
      staticDir,
      allowedHosts: engine.config?.allowedHosts ?? [],
    });
    url = server.url;
    port = new URL(url).port;
    for (const role of ['viewer', 'service'] as const) tokens[role] = engine.access.createToken(`${role}-1`, role).token;
  });
  after(async () => {
    // The last test stops the server itself; closing twice is harmless.
    await server?.close().catch(() => undefined);
    engine?.close();
    tmp.cleanup();
  });

  const audit = (): AuditEntry[] => engine.access.auditLog({ limit: 10_000 });

  it('refuses a Host header naming anything but loopback, the bound address or a configured name, on every route', async () => {
    const routes: { method: string; path: string; token?: string; body?: string }[] = [
      { method: 'GET', path: '/healthz' },
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/index.html' },
      { method: 'POST', path: '/api/session', body: JSON.stringify({ token: testToken }) },
      { method: 'POST', path: '/api/datasets.list', token: testToken, body: '{}' },
      { method: 'GET', path: '/openapi.json', token: testToken },
      { method: 'GET', path: '/metrics', token: testToken },
    ];
    // A DNS-rebinding page reaches us under its own name; look-alikes of ours must not pass either.
    const refused = [
      'evil.example',
      `evil.example:${port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'hearth.example.lan.evil.example',
      `[::2]:${port}`,
      'localhost:notaport',
      'evil.example@localhost',
      'localhost:65536',
    ];
    const accepted = [
      'localhost',
      `localhost:${port}`,
      `LOCALHOST.:${port}`,
      `127.0.0.1:${port}`,
      '127.3.4.5',
      `[::1]:${port}`,
      'hearth.example.lan',
      'Hearth.Example.LAN:8443',
    ];
    const wrong: string[] = [];
    for (const route of routes) {
      for (const host of refused) {
        const r = await send(url, route.path, { ...route, host });
        if (r.status !== 421 || r.code !== 'HOST_NOT_ALLOWED')
          wrong.push(`${route.method} ${route.path} Host "${host}": ${r.status} ${r.code}`);
      }
      for (const host of accepted) {
        const r = await send(url, route.path, { ...route, host });
        if (r.status !== 200) wrong.push(`${route.method} ${route.path} Host "${host}": ${r.status} ${r.code}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('audits route-level refusals (uploads, /metrics, /api/events) with who, the route and FORBIDDEN', async () => {
    assert.equal(
      (
        await send(url, '/api/uploads', {
          method: 'PUT',
          token: tokens.viewer,
          headers: { 'content-type': 'text/csv' },
          body: 'a\n1\n',
        })
      ).status,
      403,
    );
    assert.equal((await send(url, '/metrics', { token: tokens.service })).status, 403);
    assert.equal((await send(url, '/api/events', { token: tokens.service })).status, 403);
    const denied = audit()
      .filter((e) => e.outcome === 'denied' && e.code === 'FORBIDDEN')
      .map((e) => [e.actor, e.role, e.transport, e.remote, e.action]);
    assert.deepEqual(denied.sort(), [
      ['service-1', 'service', 'http', '127.0.0.1', 'GET /api/events'],
      ['service-1', 'service', 'http', '127.0.0.1', 'GET /metrics'],
      ['viewer-1', 'viewer', 'http', '127.0.0.1', 'PUT /api/uploads'],
    ]);
  });

  it('writes at most one audit row per address and minute for refusals without a token, however many', async () => {
    const before = audit().length;
    for (let i = 0; i < 40; i++)
      assert.equal((await send(url, '/api/datasets.list', { method: 'POST', body: '{}', from: '127.0.2.1' })).status, 401);
    for (let i = 0; i < 40; i++)
      assert.equal((await send(url, '/healthz', { host: 'evil.example', from: '127.0.2.1' })).status, 421);
    for (let i = 0; i < 10; i++) assert.equal((await send(url, '/metrics', { from: '127.0.2.2' })).status, 401);
    const rows = audit().slice(0, audit().length - before);
    assert.deepEqual(rows.map((e) => [e.remote, e.actor, e.outcome, e.code]).sort(), [
      ['127.0.2.1', 'unknown', 'denied', 'HOST_NOT_ALLOWED'],
      ['127.0.2.1', 'unknown', 'denied', 'UNAUTHORIZED'],
      ['127.0.2.2', 'unknown', 'denied', 'UNAUTHORIZED'],
    ]);
  });

  it("does not reset an address's failure count on a valid request in between", async () => {
    const from = '127.0.3.1';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(url, '/metrics', { token: `wrong-${i}-xxxxxxxxxxxx`, from })).status);
    // A valid low-role token must not clear the guessing counter...
    statuses.push((await send(url, '/api/datasets.list', { method: 'POST', body: '{}', token: tokens.viewer, from })).status);
    statuses.push((await send(url, '/metrics', { token: 'wrong-4-xxxxxxxxxxxx', from })).status);
    // ...so the fifth failure blocks the address, valid token or not.
    statuses.push((await send(url, '/api/datasets.list', { method: 'POST', body: '{}', token: tokens.viewer, from })).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 200, 401, 429]);
  });

  it('throttles failed sign-ins per token prefix across addresses, and the sign-in route too', async () => {
    const prefix = 'hth_Zq9xK3mP';
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++)
      statuses.push((await send(url, '/metrics', { token: `${prefix}guess-number-${i}`, from: `127.0.4.${i}` })).status);
    // A sixth guess with the same prefix from a fresh address is refused before it is looked at, on either route.
    statuses.push((await send(url, '/metrics', { token: `${prefix}guess-number-6`, from: '127.0.4.6' })).status);
    statuses.push(
      (
        await send(url, '/api/session', {
          method: 'POST',
          body: JSON.stringify({ token: `${prefix}guess-7` }),
          from: '127.0.4.7',
        })
      ).status,
    );
    // That address is not blocked for a token of another prefix.
    statuses.push(
      (await send(url, '/api/datasets.list', { method: 'POST', body: '{}', token: tokens.viewer, from: '127.0.4.6' })).status,
    );
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 200]);
  });

  it('flushes the count of aggregated refusals to the audit log when the server stops', async () => {
    await server.close();
    const summary = audit().find(
      (e) => e.remote === '127.0.2.1' && e.code === 'UNAUTHORIZED' && /^\+39 more/.test(e.target ?? ''),
    );
    assert.ok(summary, JSON.stringify(audit().filter((e) => e.remote === '127.0.2.1')));
  });
});

/** One request written by hand on a socket (fetch and node:http send only origin-form targets); the raw answer. */
function rawRequest(url: string, text: string): Promise<{ status: number; code: string | undefined }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => socket.write(text));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      let code: string | undefined;
      try {
        code = (JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code?: string }).code;
      } catch {
        code = undefined;
      }
      resolve({ status, code });
    });
  });
}

describe('who may connect, from many addresses', () => {
  const tmp = tempDir();
  let engine: Engine;
  let server: RunningServer;
  let url: string;
  let port: string;
  before(async () => {
    engine = Engine.open(join(tmp.dir, 'data'));
    server = await startHttpServer({
      engine,
      handlers: createHandlers(engine),
      auth: loadTokenVerifier(engine.db, testToken),
      port: 0,
    });
    url = server.url;
    port = new URL(url).port;
  });
  after(async () => {
    await server?.close().catch(() => undefined);
    engine?.close();
    tmp.cleanup();
  });

  const audit = (): AuditEntry[] => engine.access.auditLog({ limit: 10_000 });

  it('refuses absolute-form request targets, whatever authority they name', async () => {
    const body = '{}';
    for (const authority of ['evil.com', `127.0.0.1:${port}`]) {
      const r = await rawRequest(
        url,
        `POST http://${authority}/api/system.info HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${testToken}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      assert.deepEqual([r.status, r.code], [400, 'VALIDATION_FAILED'], authority);
    }
    const health = await rawRequest(url, `GET http://evil.com/healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    assert.deepEqual([health.status, health.code], [400, 'VALIDATION_FAILED']);
    // The origin-form spelling of the same request is answered.
    const ok = await rawRequest(
      url,
      `POST /api/system.info HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${testToken}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.equal(ok.status, 200);
  });

  it('throttles wrong-token guesses spread over many addresses of one network, and aggregates their audit rows', async () => {
    const before = audit().length;
    const statuses: number[] = [];
    // Four guesses (one under the per-address threshold) from each of 250 addresses, each guess its own token prefix.
    for (let a = 1; a <= 250; a++)
      for (let g = 0; g < 4; g++)
        statuses.push((await send(url, '/metrics', { token: `w${a}-${g}-xxxxxxxxxxxxxxxx`, from: `127.0.10.${a}` })).status);
    const unauthorized = statuses.filter((s) => s === 401).length;
    const limited = statuses.filter((s) => s === 429).length;
    // 50 failures block the network; the doubling penalty lets a handful more through while the loop runs.
    assert.ok(unauthorized >= 50 && unauthorized < 70, `401: ${unauthorized}`);
    assert.equal(unauthorized + limited, 1000);
    // Audited one by one up to the threshold, then counted: far fewer rows than requests.
    const rows = audit().length - before;
    assert.ok(rows <= 60, `${rows} audit rows`);
    // A valid token from a fresh address in that network waits too, told so clearly.
    const blocked = await send(url, '/api/datasets.list', { method: 'POST', body: '{}', token: testToken, from: '127.0.10.251' });
    assert.deepEqual([blocked.status, blocked.code], [429, 'RATE_LIMITED']);
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    // Past the network's threshold, each guess let through once a penalty is over is counted, not written.
    const rowsBefore = audit().length;
    for (const from of ['127.0.10.252', '127.0.10.253']) {
      // A valid token: refused with the wait while the network is blocked, answered (and not a failure) after.
      const wait = Number((await send(url, '/metrics', { token: testToken, from })).headers['retry-after'] ?? 0);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 50));
      assert.equal((await send(url, '/metrics', { token: `late-${from}-xxxxxxxx`, from })).status, 401);
    }
    const late = audit().slice(0, audit().length - rowsBefore);
    // (One row when these two open the network's minute, none when a guess late in the loop above opened it.)
    const lateRows = late.filter((e) => e.code === 'UNAUTHORIZED');
    assert.ok(lateRows.length <= 1 && lateRows.every((e) => e.remote === 'loopback'), JSON.stringify(late));
    // The counts reach the log when the server stops.
    await server.close();
    const summaries = audit().filter((e) => /^\+\d+ more/.test(e.target ?? ''));
    assert.ok(
      summaries.some((e) => e.code === 'UNAUTHORIZED' && e.remote === 'loopback'),
      JSON.stringify(audit().slice(0, 10)),
    );
    assert.ok(summaries.some((e) => e.code === 'RATE_LIMITED' && e.remote === 'loopback'));
  });
});
