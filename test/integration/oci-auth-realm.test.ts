import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';

/** A loopback HTTP server that records every request's path and headers and answers with `answer`. */
async function recorder(
  answer: (path: string, headers: IncomingHttpHeaders) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<{ url: string; seen: { path: string; authorization: string | null }[]; server: Server }> {
  const seen: { path: string; authorization: string | null }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '/', authorization: req.headers.authorization ?? null });
    const a = answer(req.url ?? '/', req.headers);
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/**
 * A registry's bearer challenge names where to fetch a token (the realm). It is the registry's word, so it may not
 * send the remote's user and password to another machine, or in clear over a network (item 3 of "Close every way in").
 */
describe('a registry challenge cannot send credentials elsewhere', () => {
  const password = 'Realm-s3cret-pw';
  const basic = `Basic ${Buffer.from(`box:${password}`).toString('base64')}`;
  const tmp = tempDir();
  let engine: Engine;
  let realm: string;
  let tokens: Awaited<ReturnType<typeof recorder>>;
  let registry: Awaited<ReturnType<typeof recorder>>;
  const repo = () => `oci://${registry.url.slice('http://'.length)}/hearth`;

  before(async () => {
    // A token service on another loopback port: it answers a token to anyone (what a thief's service would do).
    tokens = await recorder(() => ({ status: 200, body: JSON.stringify({ token: 'issued' }) }));
    // A registry that challenges every request without the token and names `realm` as its token service.
    registry = await recorder((_path, headers) =>
      headers.authorization === 'Bearer issued'
        ? { status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}' }
        : {
            status: 401,
            headers: {
              'www-authenticate': `Bearer realm="${realm.replace('{registry}', registry.url)}",service="fake",scope="repository:hearth/churn:pull"`,
            },
          },
    );
    engine = Engine.open(tmp.dir);
  });
  after(async () => {
    engine?.close();
    tokens?.server.close();
    registry?.server.close();
    tmp.cleanup();
  });
  beforeEach(() => {
    tokens.seen.length = 0;
    registry.seen.length = 0;
    for (const r of engine.sync.listRemotes()) engine.sync.removeRemote(r.name);
  });
  const credentialsSent = () =>
    [...tokens.seen, ...registry.seen].filter((r) => r.authorization !== null && r.authorization.startsWith('Basic'));

  it('a realm on another port gets an anonymous request only, never the user and password', async () => {
    realm = `${tokens.url}/token`;
    engine.sync.addRemote('central', repo(), true, { username: 'box', password });
    // The anonymous token works (a public pull would), so the pull reaches the registry, which has no such model.
    await assert.rejects(engine.sync.pull(`${repo()}/churn:production`), { code: 'NOT_FOUND' });
    assert.ok(tokens.seen.length >= 1, 'the token service was asked');
    assert.deepEqual(credentialsSent(), []);
    assert.ok(registry.seen.some((r) => r.authorization === 'Bearer issued'));
  });

  it('a plain-HTTP realm off loopback is refused before anything is sent', async () => {
    realm = 'http://auth.example.invalid/token';
    engine.sync.addRemote('central', repo(), true, { username: 'box', password });
    await assert.rejects(engine.sync.pull(`${repo()}/churn:production`), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UNAUTHORIZED');
      assert.match(error.message, /HTTPS only/);
      return true;
    });
    assert.deepEqual(tokens.seen, []);
    assert.deepEqual(credentialsSent(), []);
  });

  it('the registry’s own origin, or the token service the remote names, gets the credentials', async () => {
    realm = '{registry}/token';
    engine.sync.addRemote('own', repo(), true, { username: 'box', password });
    await assert.rejects(engine.sync.pull(`${repo()}/churn:production`));
    assert.ok(registry.seen.some((r) => r.path.startsWith('/token?') && r.authorization === basic));
    engine.sync.removeRemote('own');

    realm = `${tokens.url}/token`;
    engine.sync.addRemote('named', repo(), true, { username: 'box', password, tokenService: `${tokens.url}/` });
    await assert.rejects(engine.sync.pull(`${repo()}/churn:production`), { code: 'NOT_FOUND' });
    assert.ok(tokens.seen.some((r) => r.authorization === basic));
  });
});
