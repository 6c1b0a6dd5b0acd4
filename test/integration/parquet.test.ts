import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { cellValue, type Frame } from '../../main/table/frame.js';
import { writeParquet } from '../../main/data/parquet.js';
import { seededRandom } from '../../main/stats/random.js';
import { writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

const sample = fileURLToPath(new URL('../../../resources/samples/birdstrikes.csv', import.meta.url));

/** Every column of both frames: same names, same types, same values cell by cell. */
function assertSameFrame(a: Frame, b: Frame): void {
  assert.equal(a.rowCount, b.rowCount);
  assert.deepEqual(
    a.columns.map((c) => [c.name, c.type]),
    b.columns.map((c) => [c.name, c.type]),
  );
  a.columns.forEach((column, j) => {
    const other = b.columns[j]!;
    for (let r = 0; r < a.rowCount; r++) {
      const x = cellValue(column, r);
      const y = cellValue(other, r);
      if (typeof x === 'number' && typeof y === 'number')
        assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)), `${column.name}[${r}]: ${x} vs ${y}`);
      else assert.equal(y, x, `${column.name}[${r}]`);
    }
  });
}

/** A table of every type Hearth infers, with missing cells: what DuckDB writes as Parquet. */
function twinCsv(rows: number): string {
  const random = seededRandom(21);
  const lines = ['id,price,active,opened,region,note'];
  for (let i = 0; i < rows; i++) {
    const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 400) * 86_400_000).toISOString().slice(0, 10);
    const cells = [
      String(i + 1),
      (random() * 1000 - 200).toFixed(3),
      random() < 0.5 ? 'true' : 'false',
      day,
      ['north', 'south', 'east', 'west'][i % 4]!,
      `order ${Math.floor(random() * 1e6)} "ok"`,
    ];
    // A few missing cells in every column but the id.
    const blanked = cells.map((c, j) =>
      j > 0 && random() < 0.04 ? '' : j === 5 && c !== '' ? `"${c.replaceAll('"', '""')}"` : c,
    );
    lines.push(blanked.join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('Parquet: read and write', () => {
  let h: Harness;
  let duck: DuckDBConnection;
  before(async () => {
    h = await startHarness('in-process');
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  after(() => h?.close());

  const ingest = (name: string, path: string) => h.client.call('datasets.ingest', { name, path });

  for (const [label, name, make] of [
    ['a table of every type, with missing cells', 'twin', () => writeFile(h.dataDir, 'twin.csv', twinCsv(5000))],
    ['the bundled bird-strike sample', 'birds', () => sample],
  ] as const) {
    it(`a Parquet file written by DuckDB reads back equal to its CSV twin: ${label}`, async () => {
      const csv = make();
      const parquet = join(h.dataDir, `${name}.parquet`);
      await duck.run(`COPY (SELECT * FROM read_csv_auto('${csv}', header = true)) TO '${parquet}' (FORMAT parquet)`);
      const a = await ingest(`${name}-csv`, csv);
      const b = await ingest(`${name}-parquet`, parquet);
      assert.equal(b.quarantined, 0);
      assertSameFrame(h.engine.datasets.loadFrame(a.dataset).frame, h.engine.datasets.loadFrame(b.dataset).frame);
    });
  }

  it('writes Parquet that DuckDB reads back: the same rows, sums and missing counts', async () => {
    const { frame } = h.engine.datasets.loadFrame('twin-csv');
    const out = join(h.dataDir, 'hearth.parquet');
    writeParquet(frame, out);
    const result = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, sum(price)::DOUBLE AS price, count(region)::INTEGER AS regions, count(opened)::INTEGER AS opened, sum(CASE WHEN active THEN 1 ELSE 0 END)::INTEGER AS active FROM '${out}'`,
    );
    const [n, price, regions, opened, active] = result.getRows()[0]! as number[];
    const column = (name: string) => frame.columns.find((c) => c.name === name)!;
    const present = (name: string) =>
      Array.from({ length: frame.rowCount }, (_, r) => cellValue(column(name), r)).filter((v) => v !== null);
    assert.equal(n, frame.rowCount);
    assert.ok(Math.abs(price! - (present('price') as number[]).reduce((s, v) => s + v, 0)) < 1e-6);
    assert.equal(regions, present('region').length);
    assert.equal(opened, present('opened').length);
    assert.equal(active, present('active').filter((v) => v === true).length);
    // And Hearth reads its own file back unchanged.
    const again = await ingest('round-trip', out);
    assertSameFrame(frame, h.engine.datasets.loadFrame(again.dataset).frame);
  });

  it('refuses a file that is not Parquet with a coded error and stores nothing', async () => {
    await assert.rejects(
      ingest('broken', writeFile(h.dataDir, 'broken.parquet', 'id,price\n1,2\n')),
      (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && /not a Parquet file/.test(e.message),
    );
    assert.equal(
      (await h.client.call('datasets.list', {})).some((d) => d.name === 'broken'),
      false,
    );
  });
});
