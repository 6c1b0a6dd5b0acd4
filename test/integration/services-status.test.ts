import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import { scheduleDoor, serviceDoor } from '../../main/api/in-process.js';
import { ApiError, createClient, httpTransport, type Client } from '../../main/contracts/client.js';

import type { ServicesStatus } from '../../main/contracts/api.js';
import { Engine } from '../../main/engine/engine.js';
import { startServices, type RunningServices } from '../../main/engine/services.js';
import { syntheticCsv, tempDir } from '../helpers.js';
import { testToken } from './harness.js';

/** Writes a file whose modification time is in the past, so the watcher takes it on its second look. */
function drop(dir: string, name: string, text: string): void {
  const path = join(dir, name);
  writeFileSync(path, text);
  const t = Date.now() / 1000 - 30;
  utimesSync(path, t, t);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('system.services and store.key-status: what the config runs, and the store key, for admins over HTTP', () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'data');
  const inbox = join(tmp.dir, 'inbox');
  const table = syntheticCsv('binary', 120, 4);
  const [header, ...rows] = table.trim().split('\n');
  let engine: Engine;
  let services: RunningServices;
  let server: RunningServer;
  let admin: Client;
  let viewer: Client;
  before(async () => {
    mkdirSync(dataDir);
    mkdirSync(inbox);
    writeFileSync(
      join(dataDir, 'hearth.config.json'),
      JSON.stringify({
        watch: [{ dir: inbox, dataset: 'events', intervalSeconds: 0.1 }],
        // A broker nobody listens on: the stream keeps trying, and its counters say so.
        streams: [{ mqtt: 'mqtt://plant:hunter2-secret@127.0.0.1:1', in: 'line/in', out: 'line/out', model: 'm' }],
      }),
    );
    engine = Engine.open(dataDir);
    const handlers = createHandlers(engine);
    services = startServices(
      engine,
      { service: serviceDoor(engine, handlers), schedule: (file) => scheduleDoor(engine, handlers, file) },
      { log: () => undefined },
    );
    server = await startHttpServer({ engine, handlers, auth: loadTokenVerifier(engine.db, testToken), port: 0 });
    admin = createClient(httpTransport({ baseUrl: server.url, token: testToken }));
    const { token } = await admin.call('tokens.create', { name: 'reader', role: 'viewer' });
    viewer = createClient(httpTransport({ baseUrl: server.url, token }));
  });
  after(async () => {
    await services?.stop();
    await server?.close();
    engine?.close();
    tmp.cleanup();
  });

  it("lists the watched folder's appended files (rows added, version) and its failures, newest first", async () => {
    drop(inbox, 'a.csv', `${header}\n${rows.slice(0, 70).join('\n')}\n`);
    const first = await until('a.csv appended', async () => {
      const s = await admin.call('system.services', {});
      return s.watches[0]?.recent.some((r) => r.file === 'a.csv') === true ? s : undefined;
    });
    assert.equal(first.running, true);
    assert.deepEqual(
      first.watches.map((w) => [w.dir, w.dataset, w.intervalSeconds, w.running]),
      [[inbox, 'events', 0.1, true]],
    );
    assert.deepEqual(first.watches[0]!.recent[0], {
      file: 'a.csv',
      kind: 'appended',
      at: first.watches[0]!.recent[0]!.at,
      version: 1,
      appended: 70,
      quarantined: 0,
      message: null,
    });

    drop(inbox, 'b.csv', `${header}\n${rows.slice(70).join('\n')}\n`);
    drop(inbox, 'broken.json', '{"not": "an array"');
    const later = await until('b.csv and broken.json', async () => {
      const s = await admin.call('system.services', {});
      const files = new Set(s.watches[0]!.recent.map((r) => r.file));
      return files.has('b.csv') && files.has('broken.json') ? s : undefined;
    });
    const recent = later.watches[0]!.recent;
    const b = recent.find((r) => r.file === 'b.csv')!;
    // 120 rows in all: the second file's 50 make version 2.
    assert.deepEqual([b.kind, b.version, b.appended], ['appended', 2, 50]);
    const broken = recent.find((r) => r.file === 'broken.json')!;
    assert.equal(broken.kind, 'failed');
    assert.ok(broken.message !== null && broken.message.length > 0);
    assert.deepEqual(
      [...recent].map((r) => r.at),
      [...recent].map((r) => r.at).sort((x, y) => y.localeCompare(x)),
      'newest first',
    );
    assert.equal(engine.datasets.loadFrame('events').frame.rowCount, 120);
  });

  it("reports the stream with its broker's credentials redacted and its live counters", async () => {
    const s: ServicesStatus = await admin.call('system.services', {});
    assert.equal(s.streams.length, 1);
    const st = s.streams[0]!;
    assert.deepEqual([st.model, st.inTopic, st.outTopic, st.dataset], ['m', 'line/in', 'line/out', null]);
    assert.ok(!JSON.stringify(s).includes('hunter2'), JSON.stringify(s));
    assert.match(st.broker, /^mqtt:\/\/plant:\*\*\*@127\.0\.0\.1:1/);
    assert.ok(st.stats !== null);
    assert.equal(st.stats.connected, false);
    assert.equal(st.stats.received, 0);
  });

  it('refuses both methods to a viewer, and says a plain store is plain', async () => {
    for (const method of ['system.services', 'store.key-status'] as const)
      await assert.rejects(viewer.call(method, {}), (e: unknown) => e instanceof ApiError && e.code === 'FORBIDDEN');
    assert.deepEqual(await admin.call('store.key-status', {}), { encrypted: false, source: null, keyFile: null });
  });

  it('names where an encrypted store got its key, never the key; without running services, the config alone', async () => {
    const key = randomBytes(32).toString('base64');
    const keyFile = join(tmp.dir, 'store.key');
    writeFileSync(keyFile, key, { mode: 0o600 });
    const byFile = Engine.open(join(tmp.dir, 'sealed'), { keyFile });
    try {
      const h = createHandlers(byFile);
      const status = await h['store.key-status']({}, { transport: 'in-process' });
      assert.deepEqual(status, { encrypted: true, source: 'keyFile', keyFile });
      assert.ok(!JSON.stringify(status).includes(key));
      const none = await h['system.services']({}, { transport: 'in-process' });
      assert.deepEqual(none, { running: false, streams: [], watches: [], pipelines: [] });
    } finally {
      byFile.close();
    }
    const byKey = Engine.open(join(tmp.dir, 'sealed2'), { key });
    try {
      const status = await createHandlers(byKey)['store.key-status']({}, { transport: 'in-process' });
      assert.deepEqual(status, { encrypted: true, source: 'key', keyFile: null });
    } finally {
      byKey.close();
    }
  });
});
