import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cellValue } from '../../main/table/frame.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir, writeFile } from '../helpers.js';

describe('appends stored as segments', () => {
  const tmp = tempDir();
  let engine: Engine;
  before(async () => {
    engine = Engine.open(`${tmp.dir}/data`);
    await engine.datasets.ingestCsv('events', writeFile(tmp.dir, 'events.csv', 'id,kind,value\n0,a,0.5\n1,b,1.5\n'));
  });
  after(() => {
    engine?.close();
    tmp.cleanup();
  });

  const segmentCount = (version: number) =>
    (
      engine.db
        .prepare(
          `SELECT COUNT(*) AS n FROM dataset_segments s JOIN dataset_versions v ON v.id = s.version_id
            JOIN datasets d ON d.id = v.dataset_id WHERE d.name = 'events' AND v.version = ?`,
        )
        .get(version) as { n: number }
    ).n;

  it('writes only the new rows per append, merges small segments by tiers, and reads every version back whole', async () => {
    // 70 appends of 3 rows each: versions 2..71.
    for (let a = 0; a < 70; a++) {
      const base = 2 + a * 3;
      const rows = [0, 1, 2].map((k) => ({ id: base + k, kind: k === 2 ? `new${a}` : 'a', value: (base + k) / 2 }));
      const result = await engine.datasets.appendRecords('events', rows, 'test');
      assert.deepEqual([result.version, result.rows, result.appended], [a + 2, base + 3, 3]);
    }
    assert.equal(segmentCount(2), 2, 'v2: the first version whole, then one appended segment');
    // v16: the 2 first rows and 15 appends of 3 are 16 segments of tier 0 (under 16 rows): merged into one (47 rows).
    assert.equal(segmentCount(15), 15);
    assert.equal(segmentCount(16), 0);
    assert.equal(segmentCount(17), 2);
    const most = engine.db
      .prepare('SELECT MAX(n) AS n FROM (SELECT COUNT(*) AS n FROM dataset_segments GROUP BY version_id)')
      .get() as {
      n: number;
    };
    // At most 15 segments per tier (tiers 0 and 1 here: under 256 rows) and the one just appended.
    assert.ok(most.n > 16 && most.n <= 31, `a version has ${most.n} segments`);
    for (const version of [1, 2, 15, 16, 17, 40, 64, 71]) {
      const { frame, info } = engine.datasets.loadFrame('events', version);
      const rows = 2 + (version - 1) * 3;
      assert.equal(frame.rowCount, rows);
      assert.equal(info.rows, rows);
      const ids = Array.from({ length: rows }, (_, r) => cellValue(frame.columns[0]!, r));
      assert.deepEqual(
        ids,
        Array.from({ length: rows }, (_, r) => r),
      );
      const kinds = frame.columns.find((c) => c.name === 'kind')!;
      assert.equal(cellValue(kinds, rows - 1), version === 1 ? 'b' : `new${version - 2}`);
    }
    const hashes = new Set(engine.datasets.versions('events').map((v) => v.contentHash));
    assert.equal(hashes.size, 71);
  });

  it('computes an appended version’s profile when it is first looked at', async () => {
    assert.deepEqual(engine.datasets.version('events', 71).profile, []);
    const detail = await engine.datasets.detail('events', 71);
    const value = detail.profile.find((p) => p.name === 'value')!;
    assert.equal(value.count, 212);
    assert.equal(value.max, 211 / 2);
    assert.equal(engine.datasets.version('events', 71).profile.length, 3, 'kept once computed');
  });

  it('keeps the blobs a newer version still lists when retention removes older versions', async () => {
    engine.retention.set({ kind: 'dataset', name: 'events', keepVersions: 2, logDays: null });
    const report = engine.retention.collect();
    assert.ok(report.blobsRemoved > 0);
    const { frame } = engine.datasets.loadFrame('events', 71);
    assert.equal(frame.rowCount, 212);
    assert.equal(engine.datasets.versions('events').length, 2);
  });
});
