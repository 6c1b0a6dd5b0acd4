import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers } from '../../main/api/handlers.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient, type Client } from '../../main/contracts/client.js';
import { cellValue } from '../../main/table/frame.js';
import { startHarness, type Harness } from './harness.js';
import { postgresSkip, startPostgres } from './postgres-harness.js';

describe('SQL sources: a query against PostgreSQL or another SQLite file', { skip: postgresSkip }, () => {
  let h: Harness;
  let local: Client;
  let pg: Awaited<ReturnType<typeof startPostgres>>;
  before(async () => {
    pg = await startPostgres();
    pg.psql(`CREATE TABLE orders (id integer PRIMARY KEY, big bigint, amount numeric(10,2), ratio double precision,
             region text, paid boolean, placed date, seen timestamptz, meta jsonb)`);
    pg.psql(`INSERT INTO orders SELECT g, g * 10000000000, g * 1.25, g / 7.0, (ARRAY['north','south','east'])[1 + g % 3],
             g % 2 = 0, DATE '2024-01-01' + g, TIMESTAMPTZ '2024-01-01 12:00:00+00' + g * INTERVAL '1 hour',
             jsonb_build_object('n', g) FROM generate_series(1, 500) g`);
    pg.psql(`UPDATE orders SET ratio = NULL, region = NULL WHERE id % 50 = 0`);
    h = await startHarness('http');
    local = createClient(inProcessTransport(h.engine, createHandlers(h.engine)));
  });
  after(async () => {
    await h?.close();
    pg?.stop();
  });

  it('reads a PostgreSQL query as a version, each type as a file cell would be', async () => {
    const result = await local.call('datasets.ingest-query', {
      name: 'orders',
      from: pg.url,
      query: 'SELECT id, big, amount, ratio, region, paid, placed, seen, meta FROM orders ORDER BY id',
    });
    assert.equal(result.rows, 500);
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      [
        'id:integer',
        'big:integer',
        'amount:number',
        'ratio:number',
        'region:categorical',
        'paid:boolean',
        'placed:datetime',
        'seen:datetime',
        'meta:text',
      ],
    );
    const { frame } = h.engine.datasets.loadFrame('orders');
    const row = (r: number) => Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)]));
    assert.deepEqual(row(6), {
      id: 7,
      big: 70_000_000_000,
      amount: 8.75,
      ratio: 1,
      region: 'south',
      paid: false,
      placed: '2024-01-08T00:00:00.000Z',
      seen: '2024-01-01T19:00:00.000Z',
      meta: '{"n":7}',
    });
    assert.equal(row(49).ratio, null);
    assert.equal(row(49).region, null);
    const info = await h.client.call('datasets.version', { name: 'orders' });
    assert.match(info.source.fileName, /^postgres:\/\/hearth@127\.0\.0\.1:\d+\/hearth SELECT id/);
  });

  it('appends a second query, and a new column is reported as a schema change', async () => {
    pg.psql(`INSERT INTO orders (id, region, paid) VALUES (501, 'west', true), (502, 'west', false)`);
    const appended = await local.call('datasets.ingest-query', {
      name: 'orders',
      from: pg.url,
      query: 'SELECT id, big, amount, ratio, region, paid, placed, seen, meta FROM orders WHERE id > 500',
      append: true,
    });
    assert.equal(appended.rows, 502);
    const next = await local.call('datasets.ingest-query', {
      name: 'orders',
      from: pg.url,
      query: "SELECT id, region, paid, 'x' || id AS code FROM orders",
    });
    assert.deepEqual(next.schemaChanges?.added, [{ column: 'code', type: 'text' }]);
    assert.equal(next.schemaChanges?.dropped.length, 6);
  });

  it('never writes to the source: a query that would change it fails in its read-only transaction', async () => {
    const before = await h.client.call('datasets.versions', { name: 'orders' });
    await assert.rejects(
      local.call('datasets.ingest-query', { name: 'orders', from: pg.url, query: 'DELETE FROM orders RETURNING *' }),
      (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /read-only transaction/.test(e.message),
    );
    assert.equal(pg.psql('SELECT count(*) FROM orders').trim(), '502');
    assert.deepEqual(await h.client.call('datasets.versions', { name: 'orders' }), before);
  });

  it('is refused over HTTP: the server does not connect where a request says', async () => {
    await assert.rejects(
      h.client.call('datasets.ingest-query', { name: 'orders', from: pg.url, query: 'SELECT 1 AS one' }),
      (e: Error & { code?: string }) => e.code === 'FORBIDDEN',
    );
  });

  it('feeds a pipeline: only the rows the query gained since the last run go through', async () => {
    const definition = `name: pg-orders
sources:
  q: { query: "SELECT id, region, paid FROM orders WHERE region IS NOT NULL", from: "${pg.url}", into: pg_orders_raw }
steps:
  - from: q
  - filter: region = 'west' or paid
output: pg_orders_clean
`;
    const first = await local.call('pipelines.run', { definition });
    // 502 rows, of which 10 (every 50th id) lost their region; then the paid or 'west' ones.
    const paidOrWest = (ids: number[]) => ids.filter((g) => g % 50 !== 0 && (g % 2 === 0 || g > 500)).length;
    const all = Array.from({ length: 502 }, (_, i) => i + 1);
    assert.deepEqual([first.rowsIn, first.rowsOut], [492, paidOrWest(all)]);
    assert.equal((await local.call('pipelines.run', { definition })).status, 'up-to-date');
    pg.psql(`INSERT INTO orders (id, region, paid) VALUES (503, 'west', false), (504, 'north', false), (505, 'north', true)`);
    const next = await local.call('pipelines.run', { definition });
    assert.deepEqual([next.rowsIn, next.rowsOut, next.output.version], [3, 2, 2]);
    assert.deepEqual(next.inputs[0]!.dataset, 'pg_orders_raw');
    assert.equal(h.engine.datasets.loadFrame('pg_orders_clean').frame.rowCount, paidOrWest(all) + 2);
  });

  it('reads another SQLite file, read-only', async () => {
    const path = join(h.dataDir, 'plant.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE readings (sensor TEXT, at TEXT, value REAL, count INTEGER);
             INSERT INTO readings VALUES ('a', '2024-05-01T10:00:00Z', 1.5, 3), ('b', '2024-05-01T10:01:00Z', NULL, 4), ('a', '2024-05-01T10:02:00Z', 2.25, 12);`);
    db.close();
    const result = await local.call('datasets.ingest-query', {
      name: 'readings',
      from: `sqlite://${path}`,
      query: 'SELECT * FROM readings',
    });
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      ['sensor:categorical', 'at:datetime', 'value:number', 'count:integer'],
    );
    await assert.rejects(
      local.call('datasets.ingest-query', {
        name: 'readings',
        from: `sqlite://${path}`,
        query: "INSERT INTO readings VALUES ('c', NULL, 1, 1)",
      }),
      (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED',
    );
  });
});
