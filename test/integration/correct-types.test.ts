import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { seededRandom } from '../../main/stats/random.js';
import { tempDir, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

/** 10,000 rows of id,amount,day: amount = 3 × id, day = 2024-01-01 + (id mod 366) days; row 7777 reads "3x". */
function typoCsv(): string {
  const lines = ['id,amount,day'];
  for (let i = 1; i <= 10_000; i++) {
    const day = new Date(Date.UTC(2024, 0, 1 + (i % 366))).toISOString().slice(0, 10);
    lines.push(`${i},${i === 7777 ? '3x' : 3 * i},${day}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('types that survive a typo, through the API', () => {
  let h: Harness;
  const files = tempDir();
  before(async () => {
    h = await startHarness('in-process');
  });
  after(async () => {
    await h?.close();
    files.cleanup();
  });

  it('one bad cell in 10,000: numeric column, one missing cell, its line in the result, the version and the report', async () => {
    const path = writeFile(files.dir, 'orders.csv', typoCsv());
    const result = await h.client.call('datasets.ingest', { name: 'orders', path });
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      ['id:integer', 'amount:integer', 'day:datetime'],
    );
    // Row 7777 is file line 7778.
    assert.deepEqual(result.unparsable, { total: 1, cells: [{ column: 'amount', line: 7778, text: '3x' }] });
    const detail = await h.client.call('datasets.version', { name: 'orders' });
    const amount = detail.profile.find((p) => p.name === 'amount')!;
    assert.deepEqual([amount.count, amount.missing, amount.max], [9999, 1, 30_000]);
    assert.deepEqual(detail.source.unparsable, result.unparsable);
    // The date column is profiled as dates: the file's first and last day.
    const day = detail.profile.find((p) => p.name === 'day')!;
    assert.equal(day.kind, 'date');
    assert.deepEqual(day.dates, { min: '2024-01-01', max: '2024-12-31' });
    const report = await h.client.call('rules.report', { name: 'orders' });
    assert.match(report.html, /Unparsable cells/);
    assert.match(report.html, /<td>7778<\/td><td>amount<\/td><td><code>3x<\/code>/);
  });

  it('the same bytes again answer unchanged and make no version; force makes one; other options make one', async () => {
    const path = writeFile(files.dir, 'again.csv', typoCsv());
    const again = await h.client.call('datasets.ingest', { name: 'orders', path, fileName: 'renamed.csv' });
    assert.equal(again.unchanged, true);
    assert.equal(again.version, 1);
    assert.equal(again.rows, 10_000);
    assert.deepEqual(again.unparsable?.total, 1);
    assert.equal((await h.client.call('datasets.versions', { name: 'orders' })).length, 1);
    const forced = await h.client.call('datasets.ingest', { name: 'orders', path, force: true });
    assert.equal(forced.version, 2);
    assert.equal(forced.unchanged, undefined);
    // Read with another delimiter the same bytes are another table: a new version (one column, here).
    const other = await h.client.call('datasets.ingest', { name: 'orders', path, delimiter: ';' });
    assert.equal(other.version, 3);
    const back = await h.client.call('datasets.ingest', { name: 'orders', path });
    assert.equal(back.unchanged, undefined);
    assert.equal(back.version, 4);
    assert.equal((await h.client.call('datasets.ingest', { name: 'orders', path })).unchanged, true);
    assert.equal((await h.client.call('datasets.versions', { name: 'orders' })).length, 4);
  });

  it('a yes/no label comes back from training and prediction as "yes"/"no"', async () => {
    const random = seededRandom(5);
    const lines = ['x,churned'];
    for (let i = 0; i < 600; i++) {
      const x = random() * 4 - 2;
      lines.push(`${x.toFixed(3)},${x > 0 ? 'yes' : 'no'}`);
    }
    await h.client.call('datasets.ingest', { name: 'churn', path: writeFile(files.dir, 'churn.csv', `${lines.join('\n')}\n`) });
    const version = await h.client.call('datasets.version', { name: 'churn' });
    assert.equal(version.schema.find((c) => c.name === 'churned')!.type, 'categorical');
    const job = await h.client.call('training.start', {
      dataset: 'churn',
      target: 'churned',
      algorithm: 'linear',
      model: 'churn',
    });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    const { predictions } = (await h.client.call('models.predict', { name: 'churn', rows: [{ x: -1.5 }, { x: 1.5 }] })) as {
      predictions: { label: string; probabilities: Record<string, number> }[];
    };
    assert.deepEqual(
      predictions.map((p) => p.label),
      ['no', 'yes'],
    );
    assert.deepEqual(Object.keys(predictions[0]!.probabilities).sort(), ['no', 'yes']);
  });

  it('an append reads its file strictly: a typo quarantines its row, a text column keeps every cell', async () => {
    const nums = ['id,n'];
    for (let i = 1; i <= 100; i++) nums.push(`${i},${i * 2}`);
    await h.client.call('datasets.ingest', { name: 'nums', path: writeFile(files.dir, 'n1.csv', `${nums.join('\n')}\n`) });
    const more = ['id,n'];
    for (let i = 101; i <= 200; i++) more.push(`${i},${i === 150 ? '3OO' : i * 2}`);
    const appended = await h.client.call('datasets.ingest', {
      name: 'nums',
      path: writeFile(files.dir, 'n2.csv', `${more.join('\n')}\n`),
      append: true,
    });
    assert.deepEqual([appended.appended, appended.quarantined, appended.unparsable], [99, 1, undefined]);
    // An append numbers its rows from 1 within the batch (row 150 is the batch's 50th).
    const quarantine = await h.client.call('datasets.quarantine', { name: 'nums' });
    assert.deepEqual(
      quarantine.rows.map((q) => [q.line, q.reason]),
      [[50, '"n": "3OO" is not an integer']],
    );
    // Codes stored as text: a file of 100 numeric codes and one "C3" appends all 101, "C3" as written.
    const codes = ['code', ...Array.from({ length: 30 }, (_, i) => `K${i % 10}`)];
    await h.client.call('datasets.ingest', { name: 'codes', path: writeFile(files.dir, 'c1.csv', `${codes.join('\n')}\n`) });
    const later = ['code', ...Array.from({ length: 100 }, (_, i) => String(1000 + i)), 'C3'];
    const added = await h.client.call('datasets.ingest', {
      name: 'codes',
      path: writeFile(files.dir, 'c2.csv', `${later.join('\n')}\n`),
      append: true,
    });
    assert.deepEqual([added.appended, added.quarantined], [101, 0]);
    const csv = (await h.client.call('datasets.export', { name: 'codes' })).csv.trim().split('\n');
    assert.deepEqual(csv.slice(-2), ['1099', 'C3']);
  });

  it('a dataset whose yes/no column was stored as boolean keeps it boolean in a new version (no narrowing)', async () => {
    // Written as true/false first (boolean), then as yes/no: the words fit the stored type.
    await h.client.call('datasets.ingest', { name: 'flags', path: writeFile(files.dir, 'f1.csv', 'id,ok\n1,true\n2,false\n') });
    const next = await h.client.call('datasets.ingest', {
      name: 'flags',
      path: writeFile(files.dir, 'f2.csv', 'id,ok\n1,yes\n2,no\n3,yes\n'),
    });
    assert.equal(next.columns.find((c) => c.name === 'ok')!.type, 'boolean');
    assert.deepEqual(next.schemaChanges?.retyped, []);
    const exported = await h.client.call('datasets.export', { name: 'flags' });
    assert.equal(exported.csv, 'id,ok\n1,true\n2,false\n3,true\n');
  });
});

describe('types that survive a typo, through the CLI', () => {
  const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
  const tmp = tempDir();
  after(tmp.cleanup);
  const hearth = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args, '--data-dir', `${tmp.dir}/data`], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_DATA_DIR: '' },
    });

  it('lists the unparsable cell, answers unchanged for the same file, and makes a version with --force', () => {
    const path = writeFile(tmp.dir, 'orders.csv', typoCsv());
    const first = hearth('ingest', path, '--dataset', 'orders');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Ingested 10000 rows into orders v1/);
    assert.match(
      first.stdout,
      /1 cells did not parse as their column's type and were read as missing:\n {2}line 7778, amount: "3x"/,
    );
    const again = hearth('ingest', path, '--dataset', 'orders');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^unchanged: orders v1 /);
    const forced = hearth('ingest', path, '--dataset', 'orders', '--force', '--json');
    assert.equal(forced.status, 0, forced.stderr);
    const out = JSON.parse(forced.stdout) as { version: number; unchanged: boolean };
    assert.deepEqual([out.version, out.unchanged], [2, false]);
    const show = hearth('datasets', 'show', 'orders');
    assert.match(show.stdout, /day \(datetime\): 0 missing, 366 distinct, 2024-01-01 to 2024-12-31/);
    assert.match(show.stdout, /line 7778, amount: "3x"/);
  });
});
