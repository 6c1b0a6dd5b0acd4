import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, appendFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { serviceDoor } from '../../main/api/in-process.js';
import { FolderWatcher } from '../../main/data/watch-folder.js';
import { Engine } from '../../main/engine/engine.js';
import type { AuditEntry } from '../../main/contracts/api.js';
import { startJsonChild, syntheticCsv, tempDir } from '../helpers.js';

/** Lines 2.. of a CSV (its rows), for splitting one table over several dropped files. */
function rowsOf(csv: string): string[] {
  return csv.trim().split('\n').slice(1);
}

describe('a watched folder: each new file appended once', () => {
  const tmp = tempDir();
  const inbox = join(tmp.dir, 'inbox');
  const table = syntheticCsv('binary', 300, 9);
  const header = table.split('\n')[0]!;
  const rows = rowsOf(table);
  let engine: Engine;
  let watcher: FolderWatcher;
  const drop = (name: string, lines: string[], ageSeconds = 5) => {
    const path = join(inbox, name);
    writeFileSync(path, `${header}\n${lines.join('\n')}\n`);
    const t = Date.now() / 1000 - ageSeconds;
    utimesSync(path, t, t);
    return path;
  };
  const rowCount = () => engine.datasets.loadFrame('events').frame.rowCount;
  before(() => {
    mkdirSync(inbox);
    engine = Engine.open(join(tmp.dir, 'data'));
    watcher = new FolderWatcher(engine.db, serviceDoor(engine, createHandlers(engine)), { dir: inbox, dataset: 'events' });
  });
  after(() => {
    engine.close();
    tmp.cleanup();
  });

  it('takes a file once it has stopped changing, oldest first, and appends its rows', async () => {
    drop('a.csv', rows.slice(0, 100), 20);
    drop('b.csv', rows.slice(100, 200), 10);
    assert.deepEqual(await watcher.poll(), [], 'a file seen for the first time waits one poll');
    const events = await watcher.poll();
    assert.deepEqual(
      events.map((e) => [e.kind, e.file, e.kind === 'appended' ? e.result.appended : null]),
      [
        ['appended', 'a.csv', 100],
        ['appended', 'b.csv', 100],
      ],
    );
    assert.equal(rowCount(), 200);
    assert.deepEqual(await watcher.poll(), []);
  });

  it('leaves a file that is still being written until it holds still', async () => {
    const path = drop('c.csv', rows.slice(200, 240));
    await watcher.poll();
    appendFileSync(path, `${rows.slice(240, 300).join('\n')}\n`);
    assert.deepEqual(await watcher.poll(), [], 'it changed since the last poll');
    const events = await watcher.poll();
    assert.deepEqual(
      events.map((e) => [e.kind, e.file, e.kind === 'appended' ? e.result.appended : null]),
      [['appended', 'c.csv', 100]],
    );
    assert.equal(rowCount(), 300);
  });

  it('never appends the same content twice: not after a restart, not under another name', async () => {
    drop('a-copy.csv', rows.slice(0, 100));
    const restarted = new FolderWatcher(engine.db, serviceDoor(engine, createHandlers(engine)), {
      dir: inbox,
      dataset: 'events',
    });
    await restarted.poll();
    const events = await restarted.poll();
    assert.deepEqual(events.map((e) => [e.kind, e.file]).sort(), [
      ['skipped', 'a-copy.csv'],
      ['skipped', 'a.csv'],
      ['skipped', 'b.csv'],
      ['skipped', 'c.csv'],
    ]);
    assert.equal(rowCount(), 300);
  });

  it("quarantines a file's malformed lines with their numbers and appends the rest", async () => {
    drop('d.csv', [rows[0]!.replace(/,/g, ';'), ...rows.slice(1, 10)]);
    await watcher.poll();
    const event = (await watcher.poll()).find((e) => e.file === 'd.csv');
    assert.equal(event?.kind, 'appended');
    if (event?.kind !== 'appended') return;
    assert.equal(event.result.appended, 9);
    const quarantine = engine.datasets.quarantine('events', event.result.version, 0, 10);
    assert.deepEqual(
      quarantine.rows.map((q) => q.line),
      [2],
    );
  });

  it('appends through dispatch as watch:<folder>, a service identity the audit log names', () => {
    const ingests = engine.access.auditLog({ limit: 1000 }).filter((e) => e.action === 'datasets.ingest');
    // a, b, c and d were appended; the skipped copies never reached the API.
    assert.deepEqual(
      ingests.map((e) => [e.actor, e.role, e.transport, e.target, e.outcome]),
      Array.from({ length: 4 }, () => [`watch:${inbox}`, 'service', 'in-process', 'events', 'ok']),
    );
  });

  it('reports a file the API refuses as failed, with its code, and audits the refusal', async () => {
    writeFileSync(join(inbox, 'e.json'), '{"not": "an array of rows"');
    const t = Date.now() / 1000 - 5;
    utimesSync(join(inbox, 'e.json'), t, t);
    await watcher.poll();
    const event = (await watcher.poll()).find((e) => e.file === 'e.json');
    assert.equal(event?.kind, 'failed');
    if (event?.kind !== 'failed') return;
    assert.equal(event.code, 'INVALID_INPUT');
    assert.match(event.message, /not JSON/);
    const last = engine.access.auditLog({ limit: 1 })[0]!;
    assert.deepEqual(
      [last.actor, last.action, last.outcome, last.code],
      [`watch:${inbox}`, 'datasets.ingest', 'failed', 'INVALID_INPUT'],
    );
    assert.equal(rowCount(), 309);
  });

  it("an append 'once' refuses content the dataset already took; once goes with append", async () => {
    const door = serviceDoor(engine, createHandlers(engine))('watch:test');
    await assert.rejects(
      door.call('datasets.ingest', { name: 'events', path: join(inbox, 'a-copy.csv'), append: true, once: true }),
      { code: 'CONFLICT' },
    );
    await assert.rejects(door.call('datasets.ingest', { name: 'events', path: join(inbox, 'a-copy.csv'), once: true }), {
      code: 'VALIDATION_FAILED',
      message: /once goes with append/,
    });
    assert.equal(rowCount(), 309);
  });

  it('the service door holds a watcher to the service role: a write is refused and the refusal audited', async () => {
    const door = serviceDoor(engine, createHandlers(engine))(`watch:${inbox}`);
    await assert.rejects(door.call('rules.set', { name: 'events', rules: [] }), {
      code: 'FORBIDDEN',
      message: `watch:${inbox} (service) may not call rules.set`,
    });
    const last = engine.access.auditLog({ limit: 1 })[0]!;
    assert.deepEqual(
      [last.actor, last.role, last.action, last.target, last.outcome, last.code],
      [`watch:${inbox}`, 'service', 'rules.set', 'events', 'denied', 'FORBIDDEN'],
    );
  });
});

describe("hearth serve: the config's watched folders come in through the API", () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('appends a dropped file as watch:<folder> (service), as the audit log shows', async () => {
    const inbox = join(tmp.dir, 'drop');
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(inbox);
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'hearth.config.json'),
      JSON.stringify({ watch: [{ dir: inbox, dataset: 'served', intervalSeconds: 0.2 }] }),
    );
    const table = syntheticCsv('binary', 20, 3);
    writeFileSync(join(inbox, 'one.csv'), table);
    const t = Date.now() / 1000 - 5;
    utimesSync(join(inbox, 'one.csv'), t, t);
    const token = 'watch-serve-test-token-123';
    const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
    const server = await startJsonChild(process.execPath, [bin, 'serve', '--port', '0', '--json', '--data-dir', dataDir], {
      HEARTH_TOKEN: token,
      HEARTH_CONFIG: join(dataDir, 'hearth.config.json'),
    });
    try {
      let ingests: AuditEntry[] = [];
      for (let i = 0; i < 150 && ingests.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const response = await fetch(`${server.url}/api/audit.list`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        ingests = ((await response.json()) as AuditEntry[]).filter((e) => e.action === 'datasets.ingest');
      }
      assert.deepEqual(
        ingests.map((e) => [e.actor, e.role, e.transport, e.target, e.outcome]),
        [[`watch:${inbox}`, 'service', 'in-process', 'served', 'ok']],
      );
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  });
});
