import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { startHarness, type Harness } from './harness.js';
import { freePort } from './registry-harness.js';

type Failure = { code: string; message: string };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * `models.pull` connects where its URL says. An analyst must not be able to use that to reach arbitrary host:port
 * pairs, nor to learn from its errors which ports are open (item 3 of "Close every way in").
 */
describe('an analyst cannot point models.pull at any host:port', () => {
  let h: Harness;
  let analyst: Client;
  // A web server that is not a registry (answers HTML to everything), a closed port, and one that never answers.
  let web: { port: number; requests: number; server: Server };
  let silent: { port: number; connections: number; server: Server; sockets: Socket[] };
  let closedPort: number;
  const hosts = () => ({ web: `127.0.0.1:${web.port}`, closed: `127.0.0.1:${closedPort}`, silent: `127.0.0.1:${silent.port}` });
  const failure = (promise: Promise<unknown>): Promise<Failure> =>
    promise.then(
      () => assert.fail('the pull should fail'),
      (error: unknown) => {
        const { code, message } = error as Failure;
        return { code, message };
      },
    );

  before(async () => {
    h = await startHarness('http');
    analyst = createClient(
      httpTransport({ baseUrl: h.server!.url, token: h.engine.access.createToken('analyst-1', 'analyst').token }),
    );
    const webServer = createHttpServer((_req, res) => {
      web.requests++;
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>intranet</html>');
    });
    web = { port: await listen(webServer), requests: 0, server: webServer };
    const sockets: Socket[] = [];
    const silentServer = createNetServer((socket) => {
      silent.connections++;
      sockets.push(socket);
    });
    silent = { port: await listen(silentServer), connections: 0, server: silentServer, sockets };
    closedPort = await freePort();
    // A silent registry fails the pull after this deadline instead of two minutes.
    h.engine.sync.clientOptions = { timeoutMs: 300 };
  });
  after(async () => {
    for (const socket of silent?.sockets ?? []) socket.destroy();
    web?.server.close();
    silent?.server.close();
    await h?.close();
  });

  it('a URL that is not under a configured remote is refused alike, and nothing is contacted', async () => {
    const { web: open, closed, silent: quiet } = hosts();
    const answers = await Promise.all(
      [open, closed, quiet].map((host) =>
        failure(analyst.call('models.pull', { url: `oci://${host}/hearth/churn:v1`, insecureHttp: true })),
      ),
    );
    assert.equal(answers[0]!.code, 'FORBIDDEN');
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.doesNotMatch(answers[0]!.message, /127\.0\.0\.1|\d{4,5}/);
    assert.deepEqual([web.requests, silent.connections], [0, 0]);
  });

  it('under configured remotes, refused, silent and non-registry answers read the same to an analyst', async () => {
    const all = hosts();
    for (const [name, host] of Object.entries(all))
      await h.client.call('remotes.add', { name, url: `oci://${host}/hearth`, insecureHttp: true });
    const answers = await Promise.all(
      Object.values(all).map((host) => failure(analyst.call('models.pull', { url: `oci://${host}/hearth/churn:v1` }))),
    );
    assert.equal(answers[0]!.code, 'UNAVAILABLE');
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.doesNotMatch(answers[0]!.message, /127\.0\.0\.1|\d{4,5}|ECONNREFUSED|no answer|JSON/);
    // They were tried: these remotes are the admin's to point at.
    assert.ok(web.requests >= 1 && silent.connections >= 1);
    // Outside a remote's repository prefix on the same host is still not under it.
    const before = web.requests;
    const other = await failure(analyst.call('models.pull', { url: `oci://${all.web}/elsewhere/churn:v1` }));
    assert.equal(other.code, 'FORBIDDEN');
    assert.equal(web.requests, before);
  });

  it('nor through an alert rule’s webhook, which only an admin may set', async () => {
    const before = web.requests;
    const refused = await failure(
      analyst.call('alerts.add-rule', {
        name: 'probe',
        model: 'churn',
        kind: 'latency',
        threshold: 1,
        webhook: `http://${hosts().web}/hook`,
      }),
    );
    assert.equal(refused.code, 'FORBIDDEN');
    assert.equal(web.requests, before);
  });

  it('an admin may pull from any URL and reads why it failed', async () => {
    const refused = await failure(
      h.client.call('models.pull', { url: `oci://127.0.0.1:${closedPort}/x/churn:v1`, insecureHttp: true }),
    );
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.match(refused.message, /unreachable/);
  });
});
