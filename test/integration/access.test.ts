import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { allowed, methodPermission, roles, type Role } from '../../main/security/access.js';
import { apiSchemas, type ApiMethod } from '../../main/contracts/api.js';
import { dataVersionWindowMs } from '../../main/store/database.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

/** Methods that do real work when an admin calls them with no arguments: run them last, or not at all. */
const sideEffects = new Set<ApiMethod>(['backups.create', 'sync.push', 'sync.follow', 'alerts.check']);

describe('roles, tokens, sessions and the audit log', () => {
  let h: Harness;
  let url: string;
  const tokens = {} as Record<Role, string>;
  before(async () => {
    h = await startHarness('http');
    url = h.server!.url;
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, '../churn.csv', syntheticCsv('binary', 300)));
    for (const role of roles) tokens[role] = (await h.client.call('tokens.create', { name: `${role}-1`, role })).token;
  });
  after(() => h?.close());

  const post = (path: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('walks every role × every API method: refused exactly where the role lacks the permission', async () => {
    const methods = (Object.keys(apiSchemas) as ApiMethod[]).filter((m) => !sideEffects.has(m));
    const mismatches: string[] = [];
    let calls = 0;
    for (const role of roles) {
      for (const method of methods) {
        // Empty arguments: a permitted call gets past the role check (and usually fails validation); a refused
        // one is 403 before its arguments are looked at.
        const response = await post(`/api/${method}`, tokens[role], {});
        calls++;
        const refused = response.status === 403;
        const expected = !allowed(role, methodPermission[method]);
        if (refused !== expected) mismatches.push(`${role} ${method}: HTTP ${response.status}`);
      }
    }
    assert.deepEqual(mismatches, []);
    assert.equal(calls, roles.length * methods.length);
    // The REST routes: predict for service, not viewer; uploads for ingest roles; metrics for readers.
    const predict = (role: Role) => post('/v1/models/churn/predict', tokens[role], { rows: [{}] });
    assert.notEqual((await predict('service')).status, 403);
    assert.equal((await predict('viewer')).status, 403);
    const upload = (role: Role) =>
      fetch(`${url}/api/uploads`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'text/csv' },
        body: 'a\n1\n',
      });
    assert.equal((await upload('service')).status, 200);
    assert.equal((await upload('viewer')).status, 403);
    const metrics = (role: Role) => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${tokens[role]}` } });
    assert.equal((await metrics('viewer')).status, 200);
    assert.equal((await metrics('service')).status, 403);
  });

  it('audits changes and refusals with who, what, from where and the outcome; the log cannot be edited', async () => {
    await post('/api/datasets.append', tokens.analyst, {
      name: 'churn',
      rows: [{ x1: 1, x2: 2, colour: 'red', flag: true, label: 'good' }],
    });
    await post('/api/remotes.remove', tokens.viewer, { name: 'nowhere' });
    const log = await h.client.call('audit.list', { limit: 500 });
    const append = log.find((e) => e.action === 'datasets.append' && e.actor === 'analyst-1');
    assert.deepEqual(
      append && {
        role: append.role,
        transport: append.transport,
        remote: append.remote,
        target: append.target,
        outcome: append.outcome,
      },
      { role: 'analyst', transport: 'http', remote: '127.0.0.1', target: 'churn', outcome: 'ok' },
    );
    const denied = log.find((e) => e.action === 'remotes.remove' && e.actor === 'viewer-1');
    assert.deepEqual(denied && [denied.outcome, denied.code], ['denied', 'FORBIDDEN']);
    // Reads that were allowed are not audited (refused ones are).
    assert.equal(
      log.some((e) => e.action === 'datasets.list' && e.outcome === 'ok'),
      false,
    );
    assert.throws(() => h.engine.db.prepare('DELETE FROM audit_log').run(), /append-only/);
    assert.throws(() => h.engine.db.prepare("UPDATE audit_log SET actor = 'someone else'").run(), /append-only/);
  });

  it('refuses revoked and expired tokens', async () => {
    const made = await h.client.call('tokens.create', { name: 'short', role: 'viewer', expiresInDays: 1 });
    assert.equal((await post('/api/datasets.list', made.token, {})).status, 200);
    // Time passes (here: another connection moves the expiry into the past).
    const other = new Database(join(h.dataDir, 'hearth.db'));
    other.prepare("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE name = 'short'").run();
    other.close();
    // Another connection's commit is seen once the store's data_version window has passed.
    await new Promise((resolve) => setTimeout(resolve, dataVersionWindowMs + 5));
    assert.equal((await post('/api/datasets.list', made.token, {})).status, 401);
    await h.client.call('tokens.revoke', { name: 'viewer-1' });
    assert.equal((await post('/api/datasets.list', tokens.viewer, {})).status, 401);
    const listed = await h.client.call('tokens.list', {});
    assert.ok(
      listed.every((t) => !('token' in t)),
      'token values are never listed',
    );
  });

  it('signs the console in with an HttpOnly, SameSite=Strict cookie and refuses cross-origin changes', async () => {
    const signIn = await post('/api/session', undefined, { token: tokens.analyst });
    assert.equal(signIn.status, 200);
    const cookie = signIn.headers.get('set-cookie')!;
    assert.match(cookie, /^hearth_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    const session = cookie.split(';')[0]!;
    const who = await fetch(`${url}/api/session`, { headers: { cookie: session } });
    assert.deepEqual(await who.json(), { name: 'analyst-1', role: 'analyst' });
    // Same origin: allowed. Another origin, or none: refused, though the cookie is valid.
    const own = new URL(url).origin;
    assert.equal((await post('/api/datasets.list', undefined, {}, { cookie: session, origin: own })).status, 200);
    assert.equal(
      (await post('/api/datasets.list', undefined, {}, { cookie: session, origin: 'http://evil.example' })).status,
      403,
    );
    assert.equal((await post('/api/datasets.list', undefined, {}, { cookie: session })).status, 403);
    // Signing out ends the session.
    await fetch(`${url}/api/session`, { method: 'DELETE', headers: { cookie: session, origin: own } });
    assert.equal((await fetch(`${url}/api/session`, { headers: { cookie: session } })).status, 401);
  });

  it('slows down repeated failed sign-ins from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post('/api/datasets.list', `wrong-${i}`, {})).status);
    // The expired and the revoked token refused above were failures from this address too, and the valid calls
    // since did not clear them: three more make five.
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429, 429]);
    // Even the right token waits out the penalty.
    const blocked = await post('/api/datasets.list', testToken, {});
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    const failures = h.engine.access.auditLog({ limit: 100 }).filter((e) => e.action === 'sign-in' && e.outcome === 'denied');
    assert.ok(failures.length >= 5);
  });
});
