import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { replicaHandlers, standbyHandlers } from '../../main/api/replica.js';
import { apiSchemas, type ApiMethod } from '../../main/contracts/api.js';
import { methodChangesState } from '../../main/contracts/index.js';
import { createClient } from '../../main/contracts/client.js';
import { isErrorCode } from '../../main/contracts/errors.js';
import { StandbyFollower } from '../../main/sync/standby.js';
import type { Role } from '../../main/security/access.js';
import { tempDir, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

/*
 * The methods added on 2026-12-03, attacked over real HTTP: models.compress and models.compress-choose, costs.summary,
 * sync.standby and sync.promote-standby, system.services and store.key-status, sync.follow on a replica,
 * backups.create with a remote, X-Request-Id, and training's size and latency limits. Each refusal is a coded 4xx
 * and leaves the store as it was.
 */

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

/** A binary table with a learnable signal, small enough to train on a loaded box in a second or two. */
function table(rows: number): string {
  const lines = ['a,b,colour,label'];
  let seed = 5;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < rows; i++) {
    const a = random() * 4 - 2;
    const b = random() * 4 - 2;
    const colour = ['red', 'green', 'blue'][i % 3]!;
    const s = 1.5 * a - b + (colour === 'red' ? 0.8 : 0);
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${colour},${random() < 1 / (1 + Math.exp(-s)) ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

function assertCoded(answer: Answer, code: string, what = ''): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `${what}: a 4xx, not ${answer.status}: ${answer.text}`);
  assert.ok(isErrorCode(answer.body.code), `${what}: a Hearth code, not ${answer.text}`);
  assert.equal(answer.body.code, code, `${what}: ${answer.text}`);
}

describe('hostile calls to the methods added today', () => {
  let h: Harness;
  /** Files the tests write (the table, an ONNX graph), outside the data folder. */
  const files = tempDir();
  let url: string;
  const tokens = {} as Record<Role, string>;
  let gbdtVersion = 0;
  let mlpVersion = 0;

  const post = async (path: string, body: unknown, token = testToken, base = url): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  };
  const call = (method: string, args: unknown, token = testToken, base = url): Promise<Answer> =>
    post(`/api/${method}`, args, token, base);

  /** What a refused call must leave alone: versions, aliases, jobs, tokens, backups. */
  const snapshot = async (): Promise<string> =>
    JSON.stringify({
      models: h.engine.registry.list().map((m) => [m.name, h.engine.registry.versions(m.name).map((v) => v.version)]),
      jobs: h.engine.trainer.list().length,
      backups: existsSync(h.engine.backupDir) ? readdirSync(h.engine.backupDir).sort() : [],
      standby: existsSync(join(h.dataDir, 'standby.json')),
    });

  before(async () => {
    h = await startHarness('http');
    url = h.server!.url;
    await h.engine.datasets.ingestCsv('t', writeFile(files.dir, 't.csv', table(900)));
    const train = async (args: Parameters<typeof h.engine.trainer.start>[0]): Promise<number> => {
      const done = await h.engine.trainer.wait(h.engine.trainer.start(args).id);
      assert.equal(done.status, 'succeeded', done.error?.message);
      return done.result!.version;
    };
    gbdtVersion = await train({
      dataset: 't',
      target: 'label',
      algorithm: 'gbdt',
      model: 'g',
      trees: 20,
      earlyStoppingRounds: 0,
    });
    mlpVersion = await train({
      dataset: 't',
      target: 'label',
      algorithm: 'mlp',
      model: 'm',
      hiddenLayers: [8],
      epochs: 5,
      seed: 3,
    });
    for (const role of ['analyst', 'viewer', 'service'] as const)
      tokens[role] = (await h.client.call('tokens.create', { name: `${role}-x`, role })).token;
    tokens.admin = testToken;
  });
  after(async () => {
    await h?.close();
    files.cleanup();
  });

  it('lower roles are refused the new write and admin methods, with nothing changed', async () => {
    const before = await snapshot();
    const attempts: [ApiMethod, Record<string, unknown>, Role[]][] = [
      ['models.compress', { name: 'g' }, ['viewer', 'service']],
      ['models.compress-choose', { name: 'g', variant: 'f32' }, ['viewer', 'service']],
      ['models.compress-cancel', { jobId: '00000000-0000-4000-8000-000000000000' }, ['viewer', 'service']],
      ['sync.promote-standby', {}, ['analyst', 'viewer', 'service']],
      ['system.services', {}, ['analyst', 'viewer', 'service']],
      ['store.key-status', {}, ['analyst', 'viewer', 'service']],
      ['backups.create', { passphrase: 'a long passphrase here', remote: 'r' }, ['analyst', 'viewer', 'service']],
      ['costs.summary', {}, ['service']],
      ['sync.standby', {}, ['service']],
    ];
    for (const [method, args, refused] of attempts)
      for (const role of refused) assertCoded(await call(method, args, tokens[role]), 'FORBIDDEN', `${role} ${method}`);
    assert.equal(await snapshot(), before);
    // The reads a viewer may make answer it.
    assert.equal((await call('costs.summary', {}, tokens.viewer)).status, 200);
    assert.equal((await call('sync.standby', {}, tokens.viewer)).status, 200);
  });

  it('models.compress: odd limits, names and unknown keys are refused before a job starts', async () => {
    const before = await snapshot();
    const bad: [unknown, string][] = [
      [{ name: 'g', maxSizeKb: -1 }, 'VALIDATION_FAILED'],
      [{ name: 'g', maxSizeKb: 0 }, 'VALIDATION_FAILED'],
      [{ name: 'g', maxSizeKb: 1e300 }, 'VALIDATION_FAILED'],
      [{ name: 'g', maxLatencyUs: -5 }, 'VALIDATION_FAILED'],
      [{ name: 'g', maxLatencyUs: '10' }, 'VALIDATION_FAILED'],
      [{ name: 'g', maxLoss: -0.1 }, 'VALIDATION_FAILED'],
      [{ name: 'g', maxLoss: null }, 'VALIDATION_FAILED'],
      [{ name: 'g', version: -1 }, 'VALIDATION_FAILED'],
      [{ name: 'g', version: 1.5 }, 'VALIDATION_FAILED'],
      [{ name: 'g', metric: 'evil' }, 'VALIDATION_FAILED'],
      // A regression metric for a binary model: refused at the start, not by a job left to fail.
      [{ name: 'g', metric: 'rmse' }, 'VALIDATION_FAILED'],
      [{ name: 'g', metric: 'r2' }, 'VALIDATION_FAILED'],
      [{ name: 'g', rmrf: true }, 'VALIDATION_FAILED'],
      [{ name: '../../etc/passwd' }, 'VALIDATION_FAILED'],
      [{ name: 'x'.repeat(10_240) }, 'VALIDATION_FAILED'],
      [{ name: 'nope' }, 'NOT_FOUND'],
      [{ name: 'g', version: 99 }, 'NOT_FOUND'],
    ];
    for (const [args, code] of bad) assertCoded(await call('models.compress', args), code, JSON.stringify(args).slice(0, 80));
    // Infinity and NaN cannot be spelled in JSON; 1e400 parses to Infinity.
    assertCoded(await post('/api/models.compress', '{"name":"g","maxSizeKb":1e400}'), 'VALIDATION_FAILED', '1e400');
    assertCoded(await post('/api/models.compress', '{"name":"g","maxLoss":-1e400}'), 'VALIDATION_FAILED', '-1e400');
    assertCoded(await call('models.compress-get', { jobId: '../x' }), 'VALIDATION_FAILED', 'get ../x');
    assertCoded(await call('models.compress-get', { jobId: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', 'get');
    assertCoded(await call('models.compress-cancel', { jobId: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', 'c');
    assert.equal(await snapshot(), before);
  });

  it('models.compress of an imported ONNX graph is NOT_SUPPORTED, and so is choosing a variant of it', async () => {
    const onnx = writeFile(files.dir, 'g.onnx', Buffer.from(h.engine.registry.onnxBytes('g', gbdtVersion)));
    // A path is accepted in-process only: the box's own user imports it.
    const local = createClient(inProcessTransport(h.engine, createHandlers(h.engine)));
    await local.call('models.import', { name: 'imported', path: onnx, target: 'label', classes: ['no', 'yes'] });
    const before = await snapshot();
    assertCoded(await call('models.compress', { name: 'imported' }), 'NOT_SUPPORTED', 'compress');
    assertCoded(await call('models.compress-choose', { name: 'imported', variant: 'f32' }), 'NOT_SUPPORTED', 'choose');
    assert.equal(await snapshot(), before);
  });

  it('models.compress-choose: recipes never offered, path separators, huge and repeated steps are refused', async () => {
    const before = await snapshot();
    const variants = [
      '',
      '../../etc/passwd',
      'f32/../../x',
      'f32\\..\\x',
      'f32\u0000',
      'f32 ',
      'F32',
      'x'.repeat(10_240),
      'f32+'.repeat(60) + 'f32',
      'rounds-0',
      'rounds-21',
      'rounds-999999',
      'rounds-1e3',
      'rounds--1',
      'rounds-NaN',
      'rounds-Infinity',
      'rounds-0x10',
      'prune-20',
      'members-2',
      'l1-50',
      'int8',
      'dead',
      'f32+f32',
      'narrow+narrow',
      'narrow+f32+narrow',
      'rounds-5+rounds-4',
      'narrow+prune-10',
      '+',
      'f32+',
      '__proto__',
      'constructor',
    ];
    const crashes: string[] = [];
    for (const variant of variants) {
      const answer = await call('models.compress-choose', { name: 'g', variant });
      if (answer.status !== 400 || answer.body.code !== 'VALIDATION_FAILED')
        crashes.push(`${JSON.stringify(variant.slice(0, 40))}: ${answer.status} ${answer.text.slice(0, 160)}`);
    }
    assert.deepEqual(crashes, []);
    // On an MLP: a second quantisation would quantise the first one's integers and drop its scales.
    for (const variant of ['int8+int8', 'int8+f16', 'f16+int8', 'f16+f16', 'dead+dead', 'int8+dead'])
      assertCoded(
        await call('models.compress-choose', { name: 'm', version: mlpVersion, variant }),
        'VALIDATION_FAILED',
        variant,
      );
    assertCoded(await call('models.compress-choose', { name: 'g', variant: 'f32', extra: 1 }), 'VALIDATION_FAILED', 'key');
    assertCoded(await call('models.compress-choose', { name: 'nope', variant: 'f32' }), 'NOT_FOUND', 'no model');
    assert.equal(await snapshot(), before);
  });

  it('models.compress runs one job at a time: a second start is CONFLICT until the first ends or is cancelled', async () => {
    const first = await call('models.compress', { name: 'g' });
    assert.equal(first.status, 200, first.text);
    const id = first.body.id as string;
    // Many starts at once (as a script might fire them): none starts a second job beside the running one.
    const more = await Promise.all(Array.from({ length: 8 }, () => call('models.compress', { name: 'm' })));
    for (const answer of more) assertCoded(answer, 'CONFLICT', 'second job');
    assert.match(String(more[0]!.body.message), new RegExp(id));
    await call('models.compress-cancel', { jobId: id });
    const ended = await h.engine.compressor.wait(id);
    assert.ok(ended.status === 'cancelled' || ended.status === 'succeeded', ended.status);
    // Once it has ended, the next one starts.
    const next = await call('models.compress', { name: 'm' });
    assert.equal(next.status, 200, next.text);
    await h.engine.compressor.wait(next.body.id as string);
    // Cancelling a finished job changes nothing and says so by its status.
    const again = await call('models.compress-cancel', { jobId: id });
    assert.equal(again.status, 200);
    assert.equal(again.body.status, ended.status);
  });

  it('models.compress-choose clicked five times at once registers the variant once; the others are CONFLICT', async () => {
    const before = h.engine.registry.versions('g').length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call('models.compress-choose', { name: 'g', version: gbdtVersion, variant: 'f32' })),
    );
    const registered = answers.filter((a) => a.status === 200);
    assert.equal(registered.length, 1, answers.map((a) => a.text.slice(0, 120)).join('\n'));
    for (const answer of answers.filter((a) => a.status !== 200)) assertCoded(answer, 'CONFLICT', 'second click');
    assert.equal(h.engine.registry.versions('g').length, before + 1);
    // Once it is done, another registration goes through.
    const next = await call('models.compress-choose', { name: 'g', version: gbdtVersion, variant: 'rounds-10' });
    assert.equal(next.status, 200, next.text);
  });

  it('costs.summary: odd weeks and models are refused; the answer names no path and no secret', async () => {
    for (const weeks of [0, -1, 521, 1.5, 1e9, '12', null, true])
      assertCoded(await call('costs.summary', { weeks }), 'VALIDATION_FAILED', `weeks ${String(weeks)}`);
    assertCoded(await post('/api/costs.summary', '{"weeks":1e400}'), 'VALIDATION_FAILED', 'weeks 1e400');
    assertCoded(await call('costs.summary', { model: '../g' }), 'VALIDATION_FAILED', 'model ../g');
    assertCoded(await call('costs.summary', { model: 'x'.repeat(10_240) }), 'VALIDATION_FAILED', '10 KB');
    assertCoded(await call('costs.summary', { model: 'absent' }), 'NOT_FOUND', 'absent');
    assertCoded(await call('costs.summary', { since: '1970' }), 'VALIDATION_FAILED', 'unknown key');
    const summary = await call('costs.summary', { weeks: 520 }, tokens.viewer);
    assert.equal(summary.status, 200);
    assert.equal((summary.body.weeks as unknown[]).length, 520);
    assert.ok(!summary.text.includes(h.dataDir), 'no data folder path');
    assert.ok(!summary.text.includes(testToken) && !summary.text.includes(tokens.viewer), 'no token');
  });

  it('sync.standby shows a viewer no path and no secret, even when the standby record is unreadable', async () => {
    const record = join(h.dataDir, 'standby.json');
    writeFileSync(record, '{ not json');
    try {
      const answer = await call('sync.standby', {}, tokens.viewer);
      assert.ok(answer.status >= 400 && answer.status < 600 && isErrorCode(answer.body.code), answer.text);
      assert.ok(!answer.text.includes(h.dataDir), `the data folder leaks to a viewer: ${answer.text}`);
    } finally {
      rmSync(record);
    }
    const fine = await call('sync.standby', {}, tokens.viewer);
    assert.equal(fine.status, 200);
    assert.equal(fine.body.role, 'none');
    assert.ok(!fine.text.includes(h.dataDir));
  });

  it('sync.promote-standby on a box that is no standby is CONFLICT, and makes it none', async () => {
    const before = await snapshot();
    const answer = await call('sync.promote-standby', {});
    assertCoded(answer, 'CONFLICT', 'promote');
    assertCoded(await call('sync.promote-standby', { force: true }), 'VALIDATION_FAILED', 'unknown key');
    assert.equal(await snapshot(), before);
    assert.equal((await call('sync.standby', {})).body.role, 'none');
  });

  it('backups.create with a remote: unknown, odd or plaintext remotes are refused before a file is written', async () => {
    await h.client.call('remotes.add', { name: 'r', url: 'oci://127.0.0.1:1/hearth', insecureHttp: true });
    const before = await snapshot();
    const cases: [unknown, string][] = [
      [{ remote: 'absent', passphrase: 'a long passphrase here' }, 'NOT_FOUND'],
      [{ remote: '../../r', passphrase: 'a long passphrase here' }, 'NOT_FOUND'],
      [{ remote: 'r'.repeat(10_240), passphrase: 'a long passphrase here' }, 'VALIDATION_FAILED'],
      [{ remote: '' }, 'VALIDATION_FAILED'],
      [{ remote: 'r' }, 'VALIDATION_FAILED'],
      [{ remote: 'r', passphrase: 'short' }, 'VALIDATION_FAILED'],
      [{ remote: 'r', passphrase: 'a long passphrase here', to: '/tmp/x' }, 'VALIDATION_FAILED'],
    ];
    for (const [args, code] of cases) assertCoded(await call('backups.create', args), code, JSON.stringify(args).slice(0, 60));
    assert.equal(await snapshot(), before);
  });

  it("a failed shipment's registry message reaches sync.standby's viewers without the secrets it quotes", async () => {
    // A registry (or a proxy before it) whose error page quotes a URL with a password and a token.
    const registry = createServer((request, response) => {
      // No blob is there yet; the upload it then starts fails with the talkative page.
      if (request.method === 'HEAD') return void response.writeHead(404).end();
      // (The standby's GET of its latest manifest gets the same page.)
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('upstream https://mirror:s3cr3t-pass@cdn.example/v2/x?token=tok-123456 failed');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = registry.address() as AddressInfo;
      await h.client.call('remotes.add', { name: 'talky', url: `oci://127.0.0.1:${port}/hearth`, insecureHttp: true });
      const failed = await call('backups.create', { remote: 'talky', passphrase: 'a long passphrase here' });
      assert.ok(failed.status >= 400, failed.text);
      assert.ok(!/s3cr3t-pass|tok-123456/.test(failed.text), failed.text);
      const seen = await call('sync.standby', {}, tokens.viewer);
      assert.equal(seen.status, 200);
      const last = (seen.body.shipping as { last: { error: string; remote: string } }).last;
      assert.equal(last.remote, 'talky');
      assert.match(last.error, /the registry answered 500/);
      assert.ok(!/s3cr3t-pass|tok-123456/.test(seen.text), seen.text);
      // A standby following that registry keeps the same message as its lastError, which sync.standby shows too.
      const follower = new StandbyFollower(
        join(files.dir, 'standby-data'),
        { url: `oci://127.0.0.1:${port}/hearth`, insecureHttp: true },
        { keySource: {} },
      );
      await assert.rejects(follower.check(), /the registry answered 500/);
      assert.match(follower.lastError ?? '', /the registry answered 500 upstream https:\/\/mirror:\*\*\*@cdn\.example/);
      assert.ok(!/s3cr3t-pass|tok-123456/.test(follower.lastError!), follower.lastError!);
    } finally {
      registry.close();
    }
  });

  it('a standby refuses to follow a URL with a password in it, or plain HTTP beyond loopback', () => {
    const follow = (url: string, insecureHttp: boolean) => () =>
      new StandbyFollower(join(files.dir, 'standby-data'), { url, insecureHttp }, { keySource: {} });
    assert.throws(follow('oci://mirror:s3cr3t-pass@registry.example/hearth', false), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.match(error.message, /carries no user name or password/);
      return !error.message.includes('s3cr3t-pass');
    });
    assert.throws(follow('oci://10.1.2.3:5000/hearth', true), /plain HTTP is allowed for loopback registries only/);
    assert.equal(follow('oci://127.0.0.1:5000/hearth', true)().repository, '127.0.0.1:5000/hearth/backups');
  });

  it('training limits: negative, zero, huge and non-numeric maxSize and maxLatencyUs start no job', async () => {
    const before = await snapshot();
    const base = { dataset: 't', target: 'label', algorithm: 'gbdt' };
    for (const limit of [
      { maxSize: -1 },
      { maxSize: 0 },
      { maxSize: 1e12 },
      { maxSize: '100' },
      { maxLatencyUs: -1 },
      { maxLatencyUs: 0 },
      { maxLatencyUs: 1e15 },
      { maxLatencyUs: [1] },
      { maxSizeKb: 10 },
    ])
      assertCoded(await call('training.start', { ...base, ...limit }), 'VALIDATION_FAILED', JSON.stringify(limit));
    assertCoded(await post('/api/training.start', JSON.stringify(base).replace('}', ',"maxSize":1e400}')), 'VALIDATION_FAILED');
    assert.equal(await snapshot(), before);
  });

  describe('a replica and a standby refuse every state-changing method', () => {
    const servers: RunningServer[] = [];
    after(async () => {
      for (const s of servers) await s.close();
    });
    const changing = (Object.keys(apiSchemas) as ApiMethod[]).filter((m) => methodChangesState[m]);

    it('replica: a flood of sync.follow costs a check or two against the registry, not one per call', async () => {
      let manifestGets = 0;
      const registry = createServer((request, response) => {
        if (request.method === 'GET' && /\/manifests\//.test(request.url ?? '')) manifestGets++;
        // Slow enough that the calls below arrive while a check is under way.
        setTimeout(() => response.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[]}'), 100);
      });
      await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
      const server = await startHttpServer({
        engine: h.engine,
        handlers: replicaHandlers(createHandlers(h.engine)),
        auth: loadTokenVerifier(h.engine.db, testToken),
        port: 0,
      });
      servers.push(server);
      try {
        const { port } = registry.address() as AddressInfo;
        await h.client.call('remotes.add', { name: 'slow', url: `oci://127.0.0.1:${port}/hearth`, insecureHttp: true });
        await h.client.call('remotes.follow', { remote: 'slow', model: 'g', alias: 'production' });
        const answers = await Promise.all(Array.from({ length: 40 }, () => call('sync.follow', {}, tokens.analyst, server.url)));
        for (const answer of answers) assert.equal(answer.status, 200, answer.text);
        const followed = answers[0]!.body as unknown as { remote: string; lastError: string | null }[];
        assert.match(followed.find((f) => f.remote === 'slow')!.lastError ?? '', /has no g:production yet/);
        assert.ok(manifestGets >= 1 && manifestGets <= 3, `${manifestGets} manifest requests for 40 calls`);
      } finally {
        await h.client.call('remotes.unfollow', { remote: 'slow', model: 'g', alias: 'production' });
        registry.close();
      }
    });

    for (const kind of ['replica', 'standby'] as const)
      it(`${kind}: FORBIDDEN for each of the state-changing methods, as admin, with any arguments`, async () => {
        const all = createHandlers(h.engine);
        const handlers = kind === 'replica' ? replicaHandlers(all) : standbyHandlers(all, () => true);
        const server = await startHttpServer({
          engine: h.engine,
          handlers,
          auth: loadTokenVerifier(h.engine.db, testToken),
          port: 0,
        });
        servers.push(server);
        const may = kind === 'replica' ? 'sync.follow' : 'sync.promote-standby';
        const before = await snapshot();
        const letThrough: string[] = [];
        assert.ok(changing.length > 30, `${changing.length} methods change state`);
        for (const method of changing) {
          if (method === may) continue;
          for (const args of [{}, { name: 'g', variant: 'f32' }]) {
            const answer = await call(method, args, testToken, server.url);
            if (answer.status !== 403 || answer.body.code !== 'FORBIDDEN') letThrough.push(`${method}: ${answer.status}`);
            else assert.match(String(answer.body.message), new RegExp(`this server is a ${kind}`));
          }
        }
        assert.deepEqual(letThrough, []);
        assert.equal(await snapshot(), before);
        // Reads still answer; the new admin reads too.
        for (const method of ['costs.summary', 'sync.standby', 'system.services', 'store.key-status'] as const)
          assert.equal((await call(method, {}, testToken, server.url)).status, 200, method);
        // The one change each takes: a replica's follow (nothing followed here), a standby's promotion (no record).
        if (kind === 'replica') assert.equal((await call('sync.follow', {}, tokens.analyst, server.url)).status, 200);
        else assertCoded(await call('sync.promote-standby', {}, testToken, server.url), 'CONFLICT', 'promote');
        // Uploads are refused there too.
        const upload = await fetch(`${server.url}/api/uploads`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${testToken}`, 'content-type': 'text/csv' },
          body: 'a,b\n1,2\n',
        });
        assert.equal(upload.status, 403);
      });
  });

  describe('X-Request-Id', () => {
    let logged: RunningServer;
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    before(async () => {
      logged = await startHttpServer({
        engine: h.engine,
        handlers: createHandlers(h.engine),
        auth: loadTokenVerifier(h.engine.db, testToken),
        port: 0,
        requestLog: { mode: 'all', write: (_level, _event, message, fields) => lines.push({ message, fields }) },
      });
    });
    after(async () => {
      await logged?.close();
    });

    /** One request written byte for byte (fetch refuses most of these headers); the raw answer. */
    const raw = (idHeader: Buffer): Promise<string> =>
      new Promise((resolve, reject) => {
        const { hostname, port } = new URL(logged.url);
        const socket = connect(Number(port), hostname);
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.write(
          Buffer.concat([
            Buffer.from(
              `POST /api/system.info HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${testToken}\r\n` +
                'Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n',
            ),
            idHeader,
            Buffer.from('\r\n{}'),
          ]),
        );
      });
    const idOf = (answer: string): string | undefined => /\r\nx-request-id: ([^\r\n]*)\r\n/i.exec(answer)?.[1];

    it('echoes a plain token, and replaces anything else with its own id in both the header and the log', async () => {
      const plain = 'lb-7f3a.9:c_0-X';
      const ok = await raw(Buffer.from(`X-Request-Id: ${plain}\r\n`));
      assert.match(ok, /^HTTP\/1\.1 200/);
      assert.equal(idOf(ok), plain);
      assert.equal(lines.at(-1)!.fields.requestId, plain);
      const hostile: [string, Buffer][] = [
        ['10 KB', Buffer.from(`X-Request-Id: ${'a'.repeat(10_240)}\r\n`)],
        ['129 characters', Buffer.from(`X-Request-Id: ${'a'.repeat(129)}\r\n`)],
        ['UTF-8', Buffer.from('X-Request-Id: caf\u00e9-\u2603\r\n', 'utf8')],
        ['latin1', Buffer.from('X-Request-Id: caf\u00e9\r\n', 'latin1')],
        ['log line', Buffer.from('X-Request-Id: x" level=error msg="forged\r\n')],
        ['JSON', Buffer.from('X-Request-Id: {"requestId":"forged","status":200}\r\n')],
        ['tab', Buffer.from('X-Request-Id: a\tb\r\n')],
        ['two headers', Buffer.from('X-Request-Id: one\r\nX-Request-Id: two\r\n')],
        ['percent-encoded CRLF', Buffer.from('X-Request-Id: a%0d%0aSet-Cookie:x\r\n')],
        ['empty', Buffer.from('X-Request-Id: \r\n')],
        // Spelled as the server's own ids: another request's line in the log could be claimed.
        ['our own spelling', Buffer.from('X-Request-Id: req-0\r\n')],
        ['our own spelling, upper', Buffer.from('X-Request-Id: req-zz9\r\n')],
      ];
      for (const [what, header] of hostile) {
        const count = lines.length;
        const answer = await raw(header);
        assert.match(answer, /^HTTP\/1\.1 200/, what);
        const id = idOf(answer);
        assert.match(id ?? '', /^req-[0-9a-z]+$/, `${what}: ${id}`);
        assert.notEqual(id, /X-Request-Id: ([^\r\n]*)/.exec(header.toString('latin1'))![1], `${what}: taken as given`);
        assert.equal(lines.length, count + 1, what);
        assert.equal(lines.at(-1)!.fields.requestId, id, what);
        assert.ok(!/forged|ALERT|Set-Cookie/.test(answer.split('\r\n\r\n')[0]!), what);
      }
    });

    it('a bare CR or LF inside the header is a coded 400 from the parser, never a split header', async () => {
      for (const header of [
        Buffer.from('X-Request-Id: a\rSet-Cookie: x=1\r\n'),
        Buffer.from('X-Request-Id: a\0b\r\n'),
        Buffer.from('X-Request-Id: red\u001b[31mALERT\r\n'),
      ]) {
        const answer = await raw(header);
        const [head, body] = answer.split('\r\n\r\n') as [string, string];
        assert.match(head, /^HTTP\/1\.1 400/, head);
        assert.ok(!/set-cookie/i.test(head), head);
        assert.equal((JSON.parse(body) as { code: string }).code, 'VALIDATION_FAILED');
      }
    });
  });
});
