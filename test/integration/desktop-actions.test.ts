import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { runEngineHost } from '../../main/api/engine-host.js';
import type { CallOutcome } from '../../main/contracts/transport.js';
import { isBridgeRequest, type EngineHostMessage, type EngineRequest } from '../../main/desktop/bridge-protocol.js';
import { parseDesktopAction, performDesktopAction, type FileOutcome } from '../../main/desktop/desktop-actions.js';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

/**
 * The desktop's own actions through the engine host, as main.ts carries them (Electron aside): a renderer's call that
 * names a path or a SQL source is refused (transport ipc), and the same request built by the main process from a
 * checked desktop action (`local`) is served as the CLI's would be.
 */
describe("the desktop's local actions: dropped files and SQL sources, through the engine host", () => {
  const tmp = tempDir();
  let engine: Engine;
  let toEngine: (request: EngineRequest) => Promise<CallOutcome>;
  let shutdowns = 0;
  before(() => {
    engine = Engine.open(join(tmp.dir, 'data'));
    const pending = new Map<string, (reply: CallOutcome) => void>();
    let deliver: ((message: { data: unknown }) => void) | undefined;
    runEngineHost(
      {
        on: (_event, listener) => (deliver = listener),
        postMessage: (message: unknown) => {
          const m = message as EngineHostMessage;
          if (m.type === 'reply') {
            pending.get(m.id)?.(m.reply);
            pending.delete(m.id);
          }
        },
      },
      engine,
      undefined,
      async () => void shutdowns++,
    );
    toEngine = (request) => {
      const id = randomUUID();
      return new Promise((resolve) => {
        pending.set(id, resolve);
        deliver!({ data: { id, request: structuredClone(request) } });
      });
    };
  });
  after(() => {
    engine.close();
    tmp.cleanup();
  });

  const act = async (payload: unknown): Promise<CallOutcome> => {
    const parsed = parseDesktopAction(payload);
    if (!parsed.ok) return { ok: false, error: { code: 'VALIDATION_FAILED', message: parsed.message } };
    return performDesktopAction(parsed.action, {
      callLocal: (method, args) => toEngine({ kind: 'local', method, args }),
      fs: { stat: statSync, realpath: realpathSync },
      restore: () => Promise.reject(new Error('not in this test')),
      chooseFolder: () => Promise.resolve(null),
      addWatch: () => Promise.reject(new Error('not in this test')),
      addStream: () => Promise.reject(new Error('not in this test')),
      rotateKey: () => Promise.reject(new Error('not in this test')),
      chooseFile: () => Promise.resolve(null),
      callEngine: () => Promise.reject(new Error('not in this test')),
    });
  };

  it('ingests dropped CSV files by path (the second appended), skipping one that is not a table file', async () => {
    const drop = join(tmp.dir, 'drop');
    mkdirSync(drop);
    const [header, ...rows] = syntheticCsv('binary', 90, 5).trim().split('\n');
    const a = writeFile(drop, 'a.csv', `${header}\n${rows.slice(0, 60).join('\n')}\n`);
    const b = writeFile(drop, 'b.csv', `${header}\n${rows.slice(60).join('\n')}\n`);
    const notes = writeFile(drop, 'notes.txt', 'hello');
    const outcome = await act({ action: 'ingest-files', dataset: 'dropped', paths: [a, notes, b] });
    assert.ok(outcome.ok);
    const files = outcome.result as FileOutcome[];
    assert.deepEqual(
      files.map((f) => [f.file, f.ok, f.ok ? (f.result as { version: number; rows: number }).rows : f.error.code]),
      [
        ['a.csv', true, 60],
        ['notes.txt', false, 'VALIDATION_FAILED'],
        ['b.csv', true, 90],
      ],
    );
    assert.equal(engine.datasets.loadFrame('dropped').frame.rowCount, 90);
    // A relative path never reaches the engine.
    const relative = await act({ action: 'ingest-files', dataset: 'dropped', paths: ['a.csv'] });
    assert.ok(relative.ok);
    const [first] = relative.result as FileOutcome[];
    assert.deepEqual(first, {
      file: 'a.csv',
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'a.csv: not an absolute path' },
    });
  });

  it('passes the shell’s shutdown (before a restore) to the host, which a renderer cannot send', async () => {
    const reply = Promise.race([
      toEngine({ kind: 'shutdown' }),
      new Promise<'no reply'>((r) => setTimeout(() => r('no reply'), 200)),
    ]);
    assert.equal(await reply, 'no reply');
    assert.equal(shutdowns, 1);
    assert.equal(isBridgeRequest({ kind: 'shutdown' }), false);
  });

  it("refuses the renderer's own call naming a path, which only the shell's checked action may send", async () => {
    const a = join(tmp.dir, 'drop', 'a.csv');
    const reply = await toEngine({ kind: 'call', method: 'datasets.ingest', args: { name: 'sneaky', path: a } });
    assert.equal(reply.ok, false);
    assert.equal(reply.ok ? '' : reply.error.code, 'FORBIDDEN');
  });

  it('reads a SQL source (a SQLite file) as the local user, which a renderer call may not', async () => {
    const file = join(tmp.dir, 'shop.db');
    const db = new Database(file);
    db.exec('CREATE TABLE orders (id INTEGER, total REAL, city TEXT)');
    const insert = db.prepare('INSERT INTO orders VALUES (?, ?, ?)');
    for (let i = 1; i <= 25; i++) insert.run(i, i * 1.5, i % 2 === 0 ? 'Lyon' : 'Turin');
    db.close();
    const args = { name: 'orders', from: `sqlite://${file}`, query: 'SELECT id, total, city FROM orders WHERE id <= 20' };
    const refused = await toEngine({ kind: 'call', method: 'datasets.ingest-query', args });
    assert.equal(refused.ok ? '' : refused.error.code, 'FORBIDDEN');
    const outcome = await act({ action: 'ingest-query', args });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal((outcome.result as { rows: number }).rows, 20);
    const frame = engine.datasets.loadFrame('orders').frame;
    assert.equal(frame.rowCount, 20);
    // A source that is not PostgreSQL or SQLite is refused by the action's own schema, before the engine.
    const mysql = await act({ action: 'ingest-query', args: { ...args, from: 'mysql://h/db' } });
    assert.equal(mysql.ok ? '' : mysql.error.code, 'VALIDATION_FAILED');
  });
});
