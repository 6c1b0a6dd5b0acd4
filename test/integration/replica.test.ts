import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, until, withoutIds, writeFile } from '../helpers.js';
import { registrySkip as skip, startRegistry } from './registry-harness.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const token = 'replica-test-token-0123456789abcdef';
const ctx = { transport: 'in-process' } as const;
/** The replica's follow poll, in seconds: a promotion must be served within it plus the pull and load. */
const followEverySeconds = 1;
const slackMs = 15_000;

/**
 * A central box that trains, pushes and promotes churn through a real registry (Debian's docker-registry), and a
 * replica, `hearth serve --replica` in a child process, following churn's production alias from it.
 */
describe('hearth serve --replica follows a central box and changes nothing', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  let central: Engine;
  let centralApi: Handlers;
  let replica: ChildProcess;
  let url = '';
  /** An analyst's token, made on the replica's store before it started (the replica itself makes none). */
  let analyst = '';
  let stderr = '';
  const rows = [
    { x1: 0.5, x2: 2.1, colour: 'red', flag: 'true' },
    { x1: -1.2, x2: 4.4, colour: 'blue', flag: 'false' },
    { x1: 2.0, x2: null, colour: 'amber', flag: 'true' },
  ];
  const host = () => registry.url.slice('http://'.length);
  const call = (method: string, args: unknown, bearer: string | null = token) =>
    fetch(`${url}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) },
      body: JSON.stringify(args),
    });
  const predict = async (): Promise<{ version: number; predictions: unknown[] }> => {
    const response = await call('models.predict', { name: 'churn', rows });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as { version: number; predictions: unknown[] };
  };
  const train = async (algorithm: 'linear' | 'gbdt', seed: number): Promise<number> => {
    const job = central.trainer.start({ dataset: 'churn', target: 'label', algorithm, model: 'churn', seed });
    const done = await central.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded');
    return done.result!.version;
  };

  before(async () => {
    registry = await startRegistry(`${tmp.dir}/registry`);
    central = Engine.open(`${tmp.dir}/central`);
    centralApi = createHandlers(central);
    await central.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 500)));
    central.sync.addRemote('central', `oci://${host()}/hearth`, true);
    // The replica is provisioned by its config file alone: where the registry is, what to follow, how often.
    const dataDir = join(tmp.dir, 'replica');
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'hearth.config.json'),
      JSON.stringify({
        remotes: [{ name: 'central', url: `oci://${host()}/hearth`, insecureHttp: true }],
        follow: [{ remote: 'central', model: 'churn', alias: 'production' }],
        sync: { followEverySeconds },
      }),
    );
    const local = Engine.open(dataDir);
    analyst = (await createHandlers(local)['tokens.create']({ name: 'ana', role: 'analyst' }, ctx)).token;
    local.close();
    replica = spawn(process.execPath, [bin, 'serve', '--replica', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, HEARTH_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    replica.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    replica.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await until(() => stdout.includes('\n'), `the listening line (stderr: ${stderr})`, 30_000);
    const listening = JSON.parse(stdout.split('\n')[0]!) as { event: string; url: string; mode: string };
    assert.equal(listening.event, 'listening');
    assert.equal(listening.mode, 'replica');
    url = listening.url;
  });
  after(async () => {
    if (replica !== undefined && replica.exitCode === null) {
      const exited = new Promise((resolve) => replica.on('exit', resolve));
      replica.kill('SIGTERM');
      await exited;
    }
    central?.close();
    registry?.child.kill();
    tmp.cleanup();
  });

  it('is not ready before the model arrives, and says why without naming it', async () => {
    // The follow poll has run at least once (the registry has no churn yet): not-ready, by count only.
    await new Promise((resolve) => setTimeout(resolve, followEverySeconds * 1000 + 500));
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'not-ready', reasons: ['1 of 1 followed not pulled yet'] });
  });

  it('becomes ready once the central box pushes, and answers exactly as the central box does', async () => {
    assert.equal(await train('linear', 1), 1);
    // Version 1 and its production alias (a model's first version is production).
    assert.deepEqual(
      (await central.sync.push()).map((r) => [r.sent, r.error]),
      [[2, null]],
    );
    const pushed = Date.now();
    let status = 0;
    while (status !== 200) {
      assert.ok(Date.now() - pushed < followEverySeconds * 1000 + slackMs, `not ready in time; replica stderr: ${stderr}`);
      status = (await fetch(`${url}/readyz`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ready = await fetch(`${url}/readyz`);
    // Ready tells an unauthenticated caller one word: no model, alias, version, remote or registry.
    const text = await ready.text();
    assert.equal(text, JSON.stringify({ status: 'ready' }));
    const here = await predict();
    const there = await centralApi['models.predict']({ name: 'churn', rows }, ctx);
    assert.equal(here.version, 1);
    assert.deepEqual(withoutIds(here.predictions as never), withoutIds(there.predictions));
  });

  it('serves a promotion on the central box within the poll interval plus slack, each answer naming its version', async (t) => {
    assert.equal(await train('gbdt', 2), 2);
    await centralApi['models.promote']({ name: 'churn', version: 2 }, ctx);
    assert.deepEqual(
      (await central.sync.push()).map((r) => [r.sent, r.error]),
      [[2, null]],
    );
    const promoted = Date.now();
    let last = await predict();
    while (last.version !== 2) {
      assert.equal(last.version, 1, 'until the move, the previous production answers');
      assert.ok(Date.now() - promoted < followEverySeconds * 1000 + slackMs, `v2 not served in time; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await predict();
    }
    const took = Date.now() - promoted;
    assert.ok(took < followEverySeconds * 1000 + slackMs, `took ${took} ms`);
    t.diagnostic(`v2 served ${took} ms after the push (poll every ${followEverySeconds} s)`);
    const there = await centralApi['models.predict']({ name: 'churn', rows }, ctx);
    assert.equal(there.version, 2);
    assert.deepEqual(withoutIds(last.predictions as never), withoutIds(there.predictions));
    // Predictions are logged here as on any box: exactly the rows v2 answered, and none of /readyz's probes.
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/readyz`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${url}/readyz`)).status, 200);
    let logged = -1;
    const started = Date.now();
    while (logged !== rows.length && Date.now() - started < 10_000) {
      const monitor = await call('models.monitor', { name: 'churn', version: 2 });
      assert.equal(monitor.status, 200);
      const report = (await monitor.json()) as { windows: { rows: number }[] };
      logged = report.windows.reduce((n, w) => n + w.rows, 0);
      if (logged !== rows.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(logged, rows.length, 'the prediction log holds the rows v2 answered, and no probe');
  });

  it('refuses every method that changes state with FORBIDDEN, whatever the role, and leaves the store as it was', async () => {
    const before: unknown = await (await call('models.versions', { name: 'churn' })).json();
    const refused: [string, unknown][] = [
      ['datasets.ingest', { name: 'x', path: join(tmp.dir, 'churn.csv') }],
      ['training.start', { dataset: 'churn', target: 'label', model: 'churn' }],
      ['models.promote', { name: 'churn', version: 1 }],
      ['remotes.unfollow', { remote: 'central', model: 'churn', alias: 'production' }],
      ['tokens.create', { name: 'someone', role: 'admin' }],
      // Bad arguments too: the replica refuses before it reads them.
      ['models.rollback', { nonsense: true }],
    ];
    for (const [method, args] of refused) {
      const response = await call(method, args);
      assert.equal(response.status, 403, method);
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, 'FORBIDDEN', method);
      assert.match(body.message, new RegExp(`^this server is a replica: ${method.replace('.', '\\.')} changes state`));
    }
    // An analyst may train anywhere else; here, not either.
    const asAnalyst = await call('training.start', { dataset: 'churn', target: 'label', model: 'churn' }, analyst);
    assert.equal(asAnalyst.status, 403);
    assert.match(((await asAnalyst.json()) as { message: string }).message, /^this server is a replica/);
    assert.equal((await call('models.list', {}, analyst)).status, 200);
    // The routes that take data without a method: a pushed row and an upload.
    const rowsPush = await fetch(`${url}/v1/datasets/x/rows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    assert.equal(rowsPush.status, 403);
    const upload = await fetch(`${url}/api/uploads`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: 'a,b\n1,2\n',
    });
    assert.equal(upload.status, 403);
    assert.match(((await upload.json()) as { message: string }).message, /^this server is a replica/);
    const info = (await (await call('system.info', {})).json()) as { mode: string };
    assert.equal(info.mode, 'replica');
    // Reads stay, an admin's reads too (its contract says they change nothing).
    assert.equal((await call('tokens.list', {})).status, 200);
    assert.deepEqual(await (await call('datasets.list', {})).json(), []);
    assert.deepEqual(await (await call('models.versions', { name: 'churn' })).json(), before);
    const follows = (await (await call('sync.status', {})).json()) as { follows: { status: string; localVersion: number }[] };
    assert.deepEqual(
      follows.follows.map((f) => [f.status, f.localVersion]),
      [['current', 2]],
    );
    // The one method that changes state and runs: a check of what it follows, as its own loop makes (a notification
    // from the central box), for a caller with the write permission as anywhere else.
    const poke = await call('sync.follow', {});
    assert.equal(poke.status, 200);
    assert.deepEqual(
      ((await poke.json()) as { status: string; localVersion: number }[]).map((f) => [f.status, f.localVersion]),
      [['current', 2]],
    );
    assert.equal((await call('sync.follow', {}, analyst)).status, 200);
    assert.deepEqual(await (await call('models.versions', { name: 'churn' })).json(), before);
    // Without a token nothing but the refusal: /readyz is the one more thing it answers.
    assert.equal((await call('models.list', {}, null)).status, 401);
  });

  it('refuses to start as a replica with nothing to follow, with a coded error', () => {
    const empty = join(tmp.dir, 'empty');
    const run = spawnSync(process.execPath, [bin, 'serve', '--replica', '--port', '0', '--data-dir', empty], {
      env: { ...process.env, HEARTH_TOKEN: token },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /VALIDATION_FAILED/);
    assert.match(run.stderr, /this server is a replica: it serves only the aliases it follows, and it follows none/);
    // The same through the config file's server.mode, and through HEARTH_MODE.
    const viaEnv = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', empty], {
      env: { ...process.env, HEARTH_TOKEN: token, HEARTH_MODE: 'replica' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(viaEnv.status, 1, viaEnv.stderr);
    assert.match(viaEnv.stderr, /it follows none/);
    const fromFile = join(tmp.dir, 'from-file');
    mkdirSync(fromFile);
    writeFileSync(join(fromFile, 'hearth.config.json'), JSON.stringify({ server: { mode: 'replica' } }));
    const viaFile = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', fromFile], {
      env: { ...process.env, HEARTH_TOKEN: token },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(viaFile.status, 1, viaFile.stderr);
    assert.match(viaFile.stderr, /it follows none/);
    // A replica writes no data: a watched folder or a stream in its config is refused by name.
    const writing = join(tmp.dir, 'writing');
    mkdirSync(writing);
    writeFileSync(
      join(writing, 'hearth.config.json'),
      JSON.stringify({
        server: { mode: 'replica' },
        watch: [{ dir: join(tmp.dir, 'inbox'), dataset: 'sales' }],
        streams: [{ mqtt: 'mqtt://127.0.0.1:1', in: 'in', out: 'out', model: 'm' }],
      }),
    );
    const viaWriters = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', writing], {
      env: { ...process.env, HEARTH_TOKEN: token },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(viaWriters.status, 1, viaWriters.stderr);
    assert.match(viaWriters.stderr, /this server is a replica: it writes no data, so watch, streams cannot run on it/);
    const badMode = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', empty], {
      env: { ...process.env, HEARTH_TOKEN: token, HEARTH_MODE: 'mirror' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(badMode.status, 1);
    assert.match(badMode.stderr, /HEARTH_MODE/);
  });
});
