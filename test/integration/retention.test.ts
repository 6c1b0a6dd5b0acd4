import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

const ctx = { transport: 'in-process' } as const;

describe('retention and garbage collection', () => {
  let h: Harness;
  let api: Handlers;
  const blobPath = (digest: string) => join(h.dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
  before(async () => {
    h = await startHarness('in-process');
    api = createHandlers(h.engine);
    // Four versions of one dataset; the model is trained on version 1.
    for (let v = 1; v <= 4; v++)
      await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, `../v${v}.csv`, syntheticCsv('binary', 300, v)));
    const job = h.engine.trainer.start({
      dataset: 'churn',
      target: 'label',
      algorithm: 'linear',
      model: 'churn',
      datasetVersion: 1,
    });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    assert.equal(h.engine.registry.version('churn', 1).dataset.version, 1);
  });
  after(() => h?.close());

  it('keeps the newest versions and any a model was trained on, drops old log rows, and deletes the blobs left behind', async () => {
    const v2 = h.engine.datasets.version('churn', 2).contentHash;
    const v1 = h.engine.datasets.version('churn', 1).contentHash;
    // Prediction log: 3 rows from 40 days ago, 2 from now.
    const model = h.engine.db.prepare("SELECT id FROM models WHERE name = 'churn'").get() as { id: number };
    const insert = h.engine.db.prepare(
      "INSERT INTO prediction_log (id, model_id, version, at, latency_us, inputs_json, prediction_json) VALUES (?, ?, 1, ?, 10, '{}', '{}')",
    );
    for (const daysAgo of [40, 40, 40, 0, 0])
      insert.run(randomUUID(), model.id, new Date(Date.now() - daysAgo * 86_400_000).toISOString());
    // A stray blob file (from a crash between commit and cleanup), old enough to collect; and a fresh one to leave.
    const strayDir = join(h.dataDir, 'blobs', 'sha256', 'ab');
    mkdirSync(strayDir, { recursive: true });
    const stray = join(strayDir, 'ab'.padEnd(64, '0'));
    writeFileSync(stray, 'left behind');
    utimesSync(stray, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const fresh = join(strayDir, 'ab'.padEnd(64, '1'));
    writeFileSync(fresh, 'being written');

    await api['retention.set']({ kind: 'dataset', name: 'churn', keepVersions: 2, logDays: null }, ctx);
    await api['retention.set']({ kind: 'model', name: 'churn', keepVersions: null, logDays: 30 }, ctx);
    const dry = await api['store.gc']({ dryRun: true }, ctx);
    assert.deepEqual(dry.datasetVersionsRemoved, [{ dataset: 'churn', version: 2 }]);
    assert.equal(h.engine.datasets.versions('churn').length, 4, 'a dry run changes nothing');

    const report = await api['store.gc']({}, ctx);
    assert.deepEqual(report.datasetVersionsRemoved, [{ dataset: 'churn', version: 2 }]);
    assert.equal(report.predictionLogRowsRemoved, 3);
    assert.equal(report.blobsRemoved, 1);
    assert.equal(report.orphanFilesRemoved, 1);
    assert.deepEqual(
      h.engine.datasets.versions('churn').map((v) => v.version),
      [4, 3, 1],
    );
    assert.equal(existsSync(blobPath(v2)), false, "version 2's data is gone from the disk");
    assert.equal(existsSync(blobPath(v1)), true, 'the version the model learnt from stays');
    assert.equal(existsSync(stray), false);
    assert.equal(existsSync(fresh), true, 'a file younger than an hour may be an ingest in flight');
    assert.deepEqual(h.engine.db.pragma('foreign_key_check'), []);
    // The model still serves and its lineage still resolves.
    const answer = await api['models.predict']({ name: 'churn', rows: [{ x1: 1, x2: 2, colour: 'red', flag: true }] }, ctx);
    assert.equal(answer.predictions.length, 1);
    // Nothing more to collect the second time.
    const again = await api['store.gc']({}, ctx);
    assert.deepEqual([again.datasetVersionsRemoved.length, again.predictionLogRowsRemoved, again.blobsRemoved], [0, 0, 0]);
  });
});

describe('box-wide retention defaults (settings retention.datasetKeepVersions, retention.logDays)', () => {
  let h: Harness;
  let api: Handlers;
  before(async () => {
    // Read when the engine opens, as a variable over the config file.
    process.env.HEARTH_RETENTION_KEEP_VERSIONS = '1';
    process.env.HEARTH_RETENTION_LOG_DAYS = '10';
    try {
      h = await startHarness('in-process');
    } finally {
      delete process.env.HEARTH_RETENTION_KEEP_VERSIONS;
      delete process.env.HEARTH_RETENTION_LOG_DAYS;
    }
    api = createHandlers(h.engine);
    for (const name of ['plain', 'ruled'])
      for (let v = 1; v <= 3; v++)
        await h.engine.datasets.ingestCsv(name, writeFile(h.dataDir, `../${name}${v}.csv`, syntheticCsv('binary', 200, v)));
    const job = h.engine.trainer.start({ dataset: 'plain', target: 'label', algorithm: 'linear', model: 'm', datasetVersion: 3 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
  });
  after(() => h?.close());

  it('apply to every dataset and model without a rule of its own; a named rule wins', async () => {
    await api['retention.set']({ kind: 'dataset', name: 'ruled', keepVersions: 2, logDays: null }, ctx);
    const model = h.engine.db.prepare("SELECT id FROM models WHERE name = 'm'").get() as { id: number };
    const insert = h.engine.db.prepare(
      "INSERT INTO prediction_log (id, model_id, version, at, latency_us, inputs_json, prediction_json) VALUES (?, ?, 1, ?, 10, '{}', '{}')",
    );
    for (const daysAgo of [20, 20, 5])
      insert.run(randomUUID(), model.id, new Date(Date.now() - daysAgo * 86_400_000).toISOString());
    const report = await api['store.gc']({}, ctx);
    assert.deepEqual(
      [...report.datasetVersionsRemoved].sort((a, b) => a.dataset.localeCompare(b.dataset) || a.version - b.version),
      [
        { dataset: 'plain', version: 1 },
        { dataset: 'plain', version: 2 },
        { dataset: 'ruled', version: 1 },
      ],
    );
    assert.equal(report.predictionLogRowsRemoved, 2);
    // retention.list names the rules set by name only.
    assert.deepEqual(await api['retention.list']({}, ctx), [{ kind: 'dataset', name: 'ruled', keepVersions: 2, logDays: null }]);
  });
});
