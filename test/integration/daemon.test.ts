import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers } from '../../main/api/handlers.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient } from '../../main/contracts/client.js';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, until, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const token = 'daemon-test-token-0123456789abcdef';

/** A fake service manager: a unix datagram socket (python3's socket module) printing each datagram as a JSON line. */
function notifyReceiver(path: string): { child: ChildProcess; messages: string[]; ready: Promise<void> } {
  const child = spawn(
    '/usr/bin/python3',
    [
      '-u',
      '-c',
      'import socket,sys,json\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound")\nwhile True: print(json.dumps(s.recv(65536).decode()))',
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const messages: string[] = [];
  let buffer = '';
  let bound: () => void;
  const ready = new Promise<void>((resolve) => (bound = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line === 'bound') bound();
      else messages.push(JSON.parse(line) as string);
    }
  });
  return { child, messages, ready };
}

/**
 * The load: a separate Node process with 8 workers on kept-alive connections posting predictions until its stdin
 * closes, then printing what happened to every request: the status of each answer, and each failure with whether any
 * of the response had arrived (a cut mid-response) or none had (refused before the server took the request).
 */
const loadScript = `
import http from 'node:http';
const [url, token] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const body = JSON.stringify({ rows: [{ x1: 0.5, x2: 3, colour: 'red', flag: 'true' }, { x1: -1, x2: 2, colour: 'blue', flag: 'false' }] });
const summary = { statuses: {}, rows: 0, refused: 0, midResponse: 0, errors: {} };
let running = true;
process.stdin.on('end', () => { running = false; });
process.stdin.resume();
function once() {
  return new Promise((resolve) => {
    let responded = false;
    const req = http.request(url + '/v1/models/m/predict', { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token } }, (res) => {
      responded = true;
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        summary.statuses[res.statusCode] = (summary.statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode === 200) summary.rows += JSON.parse(text).predictions.length;
        resolve();
      });
      res.on('aborted', () => { summary.midResponse++; resolve(); });
      res.on('error', () => {});
    });
    req.on('error', (e) => {
      if (responded) summary.midResponse++;
      else { summary.refused++; summary.errors[e.code ?? e.message] = (summary.errors[e.code ?? e.message] ?? 0) + 1; }
      setTimeout(resolve, 5);
    });
    req.end(body);
  });
}
await Promise.all(Array.from({ length: 8 }, async () => { while (running) await once(); }));
process.stdout.write(JSON.stringify(summary));
`;

describe('hearth serve as a supervised daemon', () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'data');
  after(tmp.cleanup);

  before(async () => {
    const engine = Engine.open(dataDir);
    const client = createClient(inProcessTransport(engine, createHandlers(engine)));
    await client.call('datasets.ingest', { name: 'd', path: writeFile(tmp.dir, 'd.csv', syntheticCsv('binary', 400, 4)) });
    const job = await client.call('training.start', { dataset: 'd', target: 'label', model: 'm', algorithm: 'linear' });
    assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
    engine.close();
  });

  it('tells the service manager it is ready, feeds the watchdog, and on SIGTERM under load answers every request it took, writes the log, checkpoints and exits 0', async () => {
    const socket = join(tmp.dir, 'notify.sock');
    const receiver = notifyReceiver(socket);
    await receiver.ready;
    // Not on a terminal and without --json: every line it writes is one JSON object, the first one saying where it listens.
    const server = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, HEARTH_TOKEN: token, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '200000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    server.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    server.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      server.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await until(() => stdout.includes('\n'), 'the listening line', 30_000);
    const listening = JSON.parse(stdout.split('\n')[0]!) as { level: string; event: string; url: string };
    assert.equal(listening.event, 'listening');
    const url = listening.url;
    try {
      await until(() => receiver.messages.some((m) => m.split('\n').includes('READY=1')), 'READY=1', 10_000);
      await until(() => receiver.messages.filter((m) => m === 'WATCHDOG=1').length >= 2, 'two WATCHDOG=1', 10_000);
      assert.ok(receiver.messages.some((m) => m.includes(`STATUS=listening on ${url}`)));

      // The server loads the model into the serving threads once it listens; this first prediction waits on that load.
      const warm = await fetch(`${url}/v1/models/m/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ x1: 0.1, x2: 3, colour: 'red', flag: 'true' }] }),
      });
      assert.equal(warm.status, 200);
      await warm.arrayBuffer();
      // A refused token: the one request the default request log (server.requestLog: errors) writes a line for.
      const refused = await fetch(`${url}/api/datasets.list`, {
        method: 'POST',
        headers: { authorization: 'Bearer not-the-token-31f9e0', 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(refused.status, 401);
      await refused.arrayBuffer();
      // An open event stream (the console's) is ended by the stop, not waited on for the whole drain.
      const events = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${token}` } });
      const eventsEnded = events.text().then((text) => text);
      const load = spawn(process.execPath, ['--input-type=module', '-e', loadScript, url, token], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      load.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const loadDone = new Promise<void>((resolve) => load.on('exit', () => resolve()));
      await new Promise((r) => setTimeout(r, 1500));
      const stopAt = Date.now();
      server.kill('SIGTERM');
      const { code, signal } = await exited;
      const stopMs = Date.now() - stopAt;
      load.stdin.end();
      await loadDone;
      const summary = JSON.parse(out) as {
        statuses: Record<string, number>;
        rows: number;
        refused: number;
        midResponse: number;
        errors: Record<string, number>;
      };
      assert.equal(signal, null);
      assert.equal(code, 0);
      assert.ok(stopMs < 8000, `stopped in ${stopMs} ms, within the 10 s drain`);
      assert.match(await eventsEnded, /^: connected/);
      assert.ok((summary.statuses['200'] ?? 0) > 20, `answers: ${JSON.stringify(summary)}`);
      assert.deepEqual(Object.keys(summary.statuses), ['200'], `only 2xx: ${JSON.stringify(summary)}`);
      assert.equal(summary.midResponse, 0, `no answer cut: ${JSON.stringify(summary)}`);
      // The rest were refused before the server took them: the port closed, never a reset on an open connection.
      assert.deepEqual(Object.keys(summary.errors), summary.refused === 0 ? [] : ['ECONNREFUSED'], JSON.stringify(summary));
      const logLines = stderr.trim().split('\n');
      for (const line of logLines) assert.equal(typeof (JSON.parse(line) as { event: string }).event, 'string', line);
      const logged = logLines.map((l) => JSON.parse(l) as { event: string; loaded?: string[]; failed?: string[] });
      // The warm-up's line comes whenever its load ends, before or after the refused request's.
      assert.deepEqual(
        logged.map((l) => l.event).filter((e) => e !== 'warmed'),
        ['request', 'stopping', 'stopped'],
      );
      const warmed = logged.filter((l) => l.event === 'warmed');
      assert.equal(warmed.length, 1, stderr);
      assert.deepEqual([warmed[0]!.loaded, warmed[0]!.failed], [['m@1'], []]);
      const request = logged.find((l) => l.event === 'request') as unknown as {
        level: string;
        route: string;
        status: number;
        method: string;
      };
      assert.deepEqual([request.level, request.method, request.route, request.status], ['warn', 'POST', '/api/:method', 401]);
      assert.ok(!stderr.includes('not-the-token-31f9e0') && !stderr.includes(token), 'no token in the log');
      assert.ok(receiver.messages.includes('STOPPING=1'));

      // The write-ahead log was checkpointed into the database and emptied.
      const wal = join(dataDir, 'hearth.db-wal');
      assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'WAL emptied');
      const raw = new Database(join(dataDir, 'hearth.db'), { readonly: true });
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      // Every row answered is in the prediction log, and nothing more: no request was run and then cut.
      const loggedRows = (raw.prepare('SELECT count(*) AS n FROM prediction_log').get() as { n: number }).n;
      raw.close();
      assert.equal(loggedRows, summary.rows + 1);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
      receiver.child.kill();
    }
  });

  it('prints a hardened unit that systemd-analyze verify accepts', async (t) => {
    const run = spawnSync(process.execPath, [bin, 'service', 'unit', '--user', 'hearthd', '--data-dir', '/var/lib/hearth'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const unit = run.stdout;
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'User=hearthd',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/hearth',
      'StateDirectory=hearth',
      'NoNewPrivileges=true',
      'Restart=on-failure',
      'WatchdogSec=30',
      `ExecStart=${process.execPath} ${realpathSync(bin)} serve --data-dir /var/lib/hearth`,
    ])
      assert.ok(unit.split('\n').includes(line), line);
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.status !== 0) return t.skip('systemd-analyze is not installed here (apt-get install systemd)');
    const file = join(tmp.dir, 'hearth.service');
    writeFileSync(file, unit);
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '');
  });

  it('refuses a unit user or folder a unit cannot hold', () => {
    for (const args of [
      ['--user', 'Root Admin'],
      ['--data-dir', 'relative/dir'],
      ['--data-dir', '/srv/my data'],
    ]) {
      const run = spawnSync(process.execPath, [bin, 'service', 'unit', ...args], { encoding: 'utf8' });
      assert.equal(run.status, 1, args.join(' '));
      assert.match(run.stderr, /VALIDATION_FAILED/);
    }
  });

  it('config check names every bad key by its path; config show gives each value its source; serve refuses a bad file', () => {
    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        server: { prot: 8080, port: 'x' },
        serving: { logSample: 2 },
        remotes: [{ name: 'a', url: 'b', usrname: 'c' }],
      }),
    );
    const check = spawnSync(process.execPath, [bin, 'config', 'check', bad], { encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.match(check.stderr, /server\.prot: unknown key \(did you mean server\.port\?\)/);
    assert.match(check.stderr, /server\.port: .*expected number/);
    assert.match(check.stderr, /serving\.logSample: .*<=1/);
    assert.match(check.stderr, /remotes\.0\.usrname: unknown key \(did you mean remotes\.0\.username\?\)/);
    const good = join(tmp.dir, 'good.json');
    writeFileSync(good, JSON.stringify({ server: { port: 8123, host: '0.0.0.0' }, serving: { logSample: 0.25 } }));
    const ok = spawnSync(process.execPath, [bin, 'config', 'check', good], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);

    const show = spawnSync(process.execPath, [bin, 'config', 'show', '--json', '--data-dir', dataDir], {
      encoding: 'utf8',
      env: {
        ...process.env,
        HEARTH_CONFIG: good,
        HEARTH_PORT: '9001',
        HEARTH_TOKEN: 'not-to-be-printed',
        HEARTH_STORE_KEY_FILE: '/run/secrets/hearth-key',
        HEARTH_WATCH: JSON.stringify([{ dir: '/srv/in', dataset: 'sales' }]),
      },
    });
    assert.equal(show.status, 0, show.stderr);
    assert.ok(!show.stdout.includes('not-to-be-printed'));
    const doc = JSON.parse(show.stdout) as {
      settings: { key: string; value: unknown; source: string; from: string }[];
      provisioning: { key: string; value: unknown; source: string; from: string }[];
      environment: { env: string; set: boolean; value: string | null }[];
    };
    assert.deepEqual(doc.settings[0], {
      key: 'dataDir',
      value: dataDir,
      source: 'flag',
      from: '--data-dir',
      env: 'HEARTH_DATA_DIR',
      flag: '--data-dir',
    });
    assert.deepEqual(
      doc.settings.find((s) => s.key === 'store.keyFile'),
      { ...doc.settings.find((s) => s.key === 'store.keyFile'), value: '/run/secrets/hearth-key', source: 'env' },
    );
    assert.deepEqual(
      doc.provisioning.find((p) => p.key === 'watch'),
      {
        key: 'watch',
        value: [{ dir: '/srv/in', dataset: 'sales' }],
        source: 'env',
        from: 'HEARTH_WATCH',
        env: 'HEARTH_WATCH',
      },
    );
    assert.equal(doc.provisioning.find((p) => p.key === 'backups')!.source, 'default');
    const of = (key: string): { value: unknown; source: string } => doc.settings.find((s) => s.key === key)!;
    assert.deepEqual(of('server.port'), { ...of('server.port'), value: 9001, source: 'env' });
    assert.deepEqual(of('server.host'), { ...of('server.host'), value: '0.0.0.0', source: 'file' });
    assert.deepEqual(of('serving.logSample'), { ...of('serving.logSample'), value: 0.25, source: 'file' });
    assert.deepEqual(of('sync.timeoutMs'), { ...of('sync.timeoutMs'), value: 120_000, source: 'default' });
    assert.deepEqual(
      doc.environment.find((e) => e.env === 'HEARTH_TOKEN'),
      { env: 'HEARTH_TOKEN', set: true, value: null },
    );

    // A bad flag is a usage error (2), a bad variable a failure (1), each naming where the value came from.
    const badFlag = spawnSync(process.execPath, [bin, 'serve', '--port', 'abc', '--data-dir', dataDir], { encoding: 'utf8' });
    assert.equal(badFlag.status, 2);
    assert.match(badFlag.stderr, /--port: "abc" is not a number/);
    const badEnv = spawnSync(process.execPath, [bin, 'serve', '--data-dir', dataDir], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_PORT: '99999' },
    });
    assert.equal(badEnv.status, 1);
    assert.match(badEnv.stderr, /HEARTH_PORT: .*<=65535/);
    // A list given as a variable is checked like the file's, the bad key named by its path, before anything starts.
    const badList = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_PIPELINES: JSON.stringify([{ file: 'p.json', schedul: '0 3 * * *' }]) },
      timeout: 60_000,
    });
    assert.equal(badList.status, 1);
    assert.match(
      badList.stderr,
      /HEARTH_PIPELINES: pipelines\.0\.schedul: unknown key \(did you mean pipelines\.0\.schedule\?\)/,
    );
    const serve = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_CONFIG: bad },
      timeout: 60_000,
    });
    assert.equal(serve.status, 1);
    assert.match(serve.stderr, /server\.prot: unknown key/);
  });
});
