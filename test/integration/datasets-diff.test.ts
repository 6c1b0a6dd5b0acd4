import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

describe('pushing rows over HTTP, and diffs between versions', () => {
  let h: Harness;
  let url: string;
  const csv = syntheticCsv('binary', 500, 11);
  const [header, ...lines] = csv.trim().split('\n');
  const names = header!.split(',');
  const records = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
  before(async () => {
    h = await startHarness('http');
    url = h.server!.url;
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, '../churn.csv', csv));
  });
  after(() => h?.close());

  const push = (body: string, contentType: string) =>
    fetch(`${url}/v1/datasets/churn/rows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken}`, 'content-type': contentType },
      body,
    });

  it('appends JSON rows and a CSV body as new versions', async () => {
    // The same 500 rows again, with x1 moved by +10: half of the next version is shifted.
    const shifted = records.map((r) => ({ ...r, x1: Number(r.x1) + 10 }));
    const json = await push(JSON.stringify({ rows: shifted }), 'application/json');
    assert.equal(json.status, 200);
    const first = (await json.json()) as { version: number; rows: number; appended: number };
    assert.deepEqual([first.version, first.rows, first.appended], [2, 1000, 500]);
    const csvPush = await push(`${header}\n${lines.slice(0, 3).join('\n')}\n`, 'text/csv');
    assert.equal(csvPush.status, 200);
    const result = (await csvPush.json()) as { version: number; rows: number; appended: number };
    assert.deepEqual([result.version, result.rows, result.appended], [3, 1003, 3]);
  });

  it('diffs two versions: rows added and removed, schema changes, the columns whose distribution moved', async () => {
    const d = await h.client.call('datasets.diff', { name: 'churn', from: 1, to: 2 });
    assert.deepEqual(d.rows, { from: 500, to: 1000, added: 500, removed: 0, unchanged: 500 });
    assert.deepEqual(d.schema, { added: [], dropped: [], retyped: [] });
    const changed = d.distributions.filter((c) => c.changed).map((c) => c.column);
    assert.deepEqual(changed, ['x1']);
    // A later file without "flag" and with a new "region": the schema diff names both; rows compare on what is shared.
    const v4 = [
      [...names.filter((n) => n !== 'flag'), 'region'].join(','),
      ...records.map((r) => [...names.filter((n) => n !== 'flag').map((n) => r[n]), 'north'].join(',')),
    ].join('\n');
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, '../v4.csv', `${v4}\n`));
    const d2 = await h.client.call('datasets.diff', { name: 'churn', from: 3, to: 4 });
    assert.deepEqual(d2.schema.added, [{ column: 'region', type: 'categorical' }]);
    assert.deepEqual(d2.schema.dropped, [{ column: 'flag', type: 'boolean' }]);
    assert.deepEqual([d2.rows.added, d2.rows.removed], [0, 503]);
  });
});
