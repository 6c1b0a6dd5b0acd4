import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { loadTokenVerifier, resetToken } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

describe('tokens and sessions', () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'data');
  let engine: Engine;
  let server: RunningServer;
  let url: string;
  let bootstrap: string;
  before(async () => {
    engine = Engine.open(dataDir);
    // No $HEARTH_TOKEN: the bootstrap token is generated, stored hashed, and `hearth token reset` replaces it.
    const auth = loadTokenVerifier(engine.db, '');
    assert.equal(auth.source, 'generated');
    bootstrap = auth.generatedToken!;
    server = await startHttpServer({ engine, handlers: createHandlers(engine), auth, port: 0 });
    url = server.url;
  });
  after(async () => {
    await server?.close();
    engine?.close();
    tmp.cleanup();
  });

  /** The CLI in its own process on the same data folder, as an operator would run it beside the server. */
  const hearth = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_DATA_DIR: '', HEARTH_TOKEN: '' },
    });
    return { status: r.status, stderr: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
  };
  const call = (method: string, auth: { token?: string; cookie?: string }, body: unknown = {}) =>
    fetch(`${url}/api/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth.token === undefined ? {} : { authorization: `Bearer ${auth.token}` }),
        ...(auth.cookie === undefined ? {} : { cookie: auth.cookie, origin: new URL(url).origin }),
      },
      body: JSON.stringify(body),
    });
  const signIn = async (token: string): Promise<{ cookie: string; maxAge: number }> => {
    const r = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    assert.equal(r.status, 200);
    const header = r.headers.get('set-cookie')!;
    return { cookie: header.split(';')[0]!, maxAge: Number(/Max-Age=(\d+)/.exec(header)![1]) };
  };
  const sessionStatus = async (cookie: string): Promise<[number, number]> => [
    (await fetch(`${url}/api/session`, { headers: { cookie } })).status,
    (await call('datasets.list', { cookie })).status,
  ];

  it('hearth token reset in another process takes effect on the running server at once, and ends bootstrap sessions', async () => {
    const first = await signIn(bootstrap);
    assert.equal((await call('datasets.list', { token: bootstrap })).status, 200);
    assert.deepEqual(await sessionStatus(first.cookie), [200, 200]);
    const reset = hearth('token', 'reset');
    assert.equal(reset.status, 0, reset.stderr);
    const fresh = reset.json().token as string;
    // The reset replaced the admin credential: the audit log says so.
    const resets = engine.access.auditLog({ limit: 50 }).filter((e) => e.action === 'tokens.reset');
    assert.deepEqual(
      resets.map((e) => [e.role, e.transport, e.target, e.outcome]),
      [['admin', 'in-process', 'bootstrap', 'ok']],
    );
    // No restart: the old token and the session opened with it are refused, the new token is accepted.
    assert.equal((await call('datasets.list', { token: bootstrap })).status, 401);
    assert.deepEqual(await sessionStatus(first.cookie), [401, 401]);
    assert.equal((await call('datasets.list', { token: fresh })).status, 200);
    const again = await signIn(fresh);
    assert.deepEqual(await sessionStatus(again.cookie), [200, 200]);
    // Signing out and uploading are audited under the caller's name too.
    const upload = await fetch(`${url}/api/uploads`, {
      method: 'PUT',
      headers: { cookie: again.cookie, origin: url, 'content-type': 'text/csv' },
      body: 'a,b\n1,2\n',
    });
    assert.equal(upload.status, 200);
    const { uploadId } = (await upload.json()) as { uploadId: string };
    const other = await signIn(fresh);
    assert.equal(
      (await fetch(`${url}/api/session`, { method: 'DELETE', headers: { cookie: other.cookie, origin: url } })).status,
      200,
    );
    const recent = engine.access.auditLog({ limit: 50 });
    assert.ok(
      recent.some((e) => e.action === 'uploads.put' && e.actor === 'bootstrap' && e.target === uploadId && e.outcome === 'ok'),
    );
    assert.ok(recent.some((e) => e.action === 'sign-out' && e.actor === 'bootstrap' && e.outcome === 'ok'));
    // A reset through the server's own connection (no other process to bump the data version) works the same way.
    const newest = resetToken(engine.db);
    assert.equal((await call('datasets.list', { token: fresh })).status, 401);
    assert.deepEqual(await sessionStatus(again.cookie), [401, 401]);
    assert.equal((await call('datasets.list', { token: newest })).status, 200);
    bootstrap = newest;
  });

  it('a console session ends when the named token it was opened with expires or is revoked', async () => {
    const short = engine.access.createToken('short', 'viewer', 1);
    const opened = await signIn(short.token);
    // The cookie lives no longer than its token: 12 hours at most, and for a token of 0.01 days at most 864 s.
    assert.ok(opened.maxAge <= 12 * 3600);
    const brief = engine.access.createToken('brief', 'viewer', 0.01);
    assert.ok((await signIn(brief.token)).maxAge <= 864);
    assert.deepEqual(await sessionStatus(opened.cookie), [200, 200]);
    // Time passes (here: another connection moves the expiry into the past).
    const other = new Database(join(dataDir, 'hearth.db'));
    other.prepare("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE name = 'short'").run();
    other.close();
    assert.deepEqual(await sessionStatus(opened.cookie), [401, 401]);
    // Revoked by the CLI in another process.
    const gone = engine.access.createToken('gone', 'analyst');
    const session = await signIn(gone.token);
    assert.deepEqual(await sessionStatus(session.cookie), [200, 200]);
    const revoked = hearth('token', 'revoke', 'gone');
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.deepEqual(await sessionStatus(session.cookie), [401, 401]);
  });

  it('reserves the token name "bootstrap", in any case, with a coded error', async () => {
    for (const name of ['bootstrap', 'BootStrap', 'BOOTSTRAP']) {
      const r = await call('tokens.create', { token: bootstrap }, { name, role: 'viewer' });
      assert.equal(r.status, 400, name);
      assert.equal(((await r.json()) as { code: string }).code, 'VALIDATION_FAILED');
    }
    const cli = hearth('token', 'create', 'Bootstrap', '--role', 'admin');
    assert.equal(cli.status, 1);
    assert.equal((cli.json().error as { code: string }).code, 'VALIDATION_FAILED');
    assert.equal(
      engine.access.listTokens().some((t) => t.name.toLowerCase() === 'bootstrap'),
      false,
    );
  });
});
