import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers } from '../../main/api/handlers.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient } from '../../main/contracts/client.js';
import { apiMethods } from '../../main/contracts/index.js';
import type { ApiArgs, ApiMethod, ApiResults } from '../../main/contracts/api.js';
import { writeStandbyState } from '../../main/store/standby-state.js';
import { syntheticCsv, tempDir } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';
import { registrySkip, startRegistry } from './registry-harness.js';

/**
 * Keys under these are names from the data or the user (metric, column, class, feature, parameter, alias names),
 * so they keep the data's spelling; every other key of every answer is camelCase. The CLI's --json walk
 * (cli.test.ts) has the first seven; two more show here: a version's validation metrics (roc_auc, by metric name like
 * `metrics`) and an exported model's ONNX metadata (`hearth.input_names`: the file's own property names, read by
 * other runtimes). A key that is an id (runs.compare's maps by run) is data too.
 */
const dataMaps = new Set([
  'metrics',
  'params',
  'contributions',
  'realised',
  'estimated',
  'columns',
  'aliases',
  'validationMetrics',
  'metadata',
]);
const id = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function offendingKeys(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) return value.forEach((v) => offendingKeys(v, `${path}[]`, out));
  if (value === null || typeof value !== 'object') return;
  const parent = path
    .split('.')
    .pop()!
    .replace(/(\[\])+$/, '');
  for (const [key, v] of Object.entries(value)) {
    if (!dataMaps.has(parent) && !id.test(key) && !/^[a-z][a-zA-Z0-9]*$/.test(key)) out.push(`${path}.${key}`);
    offendingKeys(v, `${path}.${key}`, out);
  }
}

describe('one key casing in every answer of every API method (over HTTP)', { skip: registrySkip }, () => {
  const tmp = tempDir();
  let h: Harness;
  let registry: { child: ChildProcess; url: string };
  const answered = new Map<string, unknown>();
  before(async () => {
    h = await startHarness('http');
    registry = await startRegistry(join(tmp.dir, 'registry'));
  });
  after(async () => {
    registry?.child.kill();
    await h?.close();
    tmp.cleanup();
  });

  async function call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResults[M]> {
    const result = await h.client.call(method, args);
    answered.set(method, result);
    return result;
  }

  it('walks every method on a store with datasets, models, runs, alerts, pipelines, a remote and backups', async () => {
    const c = h.client;
    await call('system.info', {});
    await call('system.backends', { refresh: false });
    await call('system.pin-backend', { runtime: 'onnxruntime', name: 'cpu' });

    const csv = syntheticCsv('binary', 600, 3) + '1,2\n';
    const uploadId = await c.upload(new Blob([csv]), 'churn.csv');
    await call('datasets.ingest', { name: 'churn', uploadId, fileName: 'churn.csv' });
    await call('datasets.list', {});
    await call('datasets.versions', { name: 'churn' });
    await call('datasets.version', { name: 'churn' });
    await call('datasets.export', { name: 'churn' });
    await call('datasets.quarantine', { name: 'churn', offset: 0, limit: 10 });
    await call('datasets.append', {
      name: 'churn',
      rows: [{ x1: 0.5, x2: 3, colour: 'red', flag: true, label: 'good' }],
    });
    await call('datasets.diff', { name: 'churn', from: 1, to: 2 });
    await call('datasets.pii-policies', { name: 'churn' });
    await call('datasets.k-anonymity', { name: 'churn', columns: ['colour', 'flag'], k: 2 });
    const people = await c.upload(new Blob(['name,email\nAda,ada@example.com\nBob,bob@example.org\n']), 'people.csv');
    await call('datasets.pii-scan', { uploadId: people, fileName: 'people.csv' });
    const sqlite = join(tmp.dir, 'orders.db');
    const db = new Database(sqlite);
    db.exec("CREATE TABLE orders (id INTEGER, amount REAL, region TEXT); INSERT INTO orders VALUES (1, 2.5, 'eu'), (2, 4, 'us')");
    db.close();
    // Over HTTP a SQL source is refused (the server does not connect where a request says): the CLI's own door.
    const local = createClient(inProcessTransport(h.engine, createHandlers(h.engine)));
    const ingested = await local.call('datasets.ingest-query', {
      name: 'orders',
      from: `sqlite://${sqlite}`,
      query: 'SELECT * FROM orders',
    });
    answered.set('datasets.ingest-query', JSON.parse(JSON.stringify(ingested)));

    const suggested = await call('rules.suggest', { name: 'churn' });
    await call('rules.set', { name: 'churn', rules: suggested });
    await call('rules.get', { name: 'churn' });
    await call('rules.check', { name: 'churn' });
    await call('rules.report', { name: 'churn' });

    // A dataset as the source: a file source needs baseDir, which only the CLI may give.
    const definition =
      "name: regions\nsources:\n  o: orders\nsteps:\n  - from: o\n  - filter: region != 'us'\noutput: regions_clean\n";
    await call('pipelines.preview', { definition });
    await call('pipelines.run', { definition });
    await call('pipelines.list', {});
    await call('pipelines.runs', { name: 'regions' });
    await call('pipelines.definition', { name: 'regions' });

    const job = await call('training.start', {
      dataset: 'churn',
      target: 'label',
      algorithm: 'gbdt',
      trees: 10,
      model: 'churn',
    });
    const first = await waitForJob(c, job.id);
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    await call('training.get', { jobId: job.id });
    await call('training.list', {});
    const second = await c.call('training.start', { dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
    assert.equal((await waitForJob(c, second.id)).status, 'succeeded');
    const runs = await call('runs.list', {});
    await call('runs.show', { id: runs[0]!.id });
    await call('runs.compare', { ids: runs.slice(0, 2).map((r) => r.id) });
    await call('runs.tag', { id: runs[0]!.id, tag: 'baseline' });
    await call('costs.summary', { weeks: 4 });

    await call('models.list', {});
    await call('models.versions', { name: 'churn' });
    await call('models.version', { name: 'churn', version: 1 });
    await call('models.schema', { name: 'churn' });
    await call('models.report', { name: 'churn' });
    await call('models.promote', { name: 'churn', version: 2, alias: 'staging' });
    await call('models.remove-alias', { name: 'churn', alias: 'staging' });
    await c.call('models.promote', { name: 'churn', version: 2 });
    await call('models.rollback', { name: 'churn' });
    const exported = await call('models.export', { name: 'churn', version: 1 });
    const onnx = await c.upload(new Blob([Buffer.from(exported.base64, 'base64')]), 'churn.onnx');
    await call('models.import', { name: 'imported', uploadId: onnx, target: 'label', task: 'binary', classes: ['bad', 'good'] });
    const holdout = await c.upload(new Blob([syntheticCsv('binary', 200, 4)]), 'holdout.csv');
    await call('models.evaluate', { name: 'churn', uploadId: holdout });
    await call('models.snapshots', { name: 'churn', version: 1 });
    // Compression of the 10-tree v1: a job, its frontier, a cancel (of the finished job: answered as it is) and a
    // variant registered as a new version.
    const compressing = await call('models.compress', { name: 'churn', version: 1 });
    let compressed = compressing;
    for (let i = 0; i < 600 && compressed.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      compressed = await call('models.compress-get', { jobId: compressing.id });
    }
    assert.equal(compressed.status, 'succeeded', JSON.stringify(compressed));
    await call('models.compress-cancel', { jobId: compressing.id });
    await call('models.compress-choose', { name: 'churn', version: 1, variant: 'f32' });
    const row = { x1: 0.5, x2: 3, colour: 'red', flag: 'true' };
    const predicted = await call('models.predict', { name: 'churn', rows: [row, row], explain: true });
    await call('models.set-route', { name: 'churn', canary: { version: 2, share: 0.2 } });
    await call('models.route', { name: 'churn' });
    await call('models.feedback', { name: 'churn', labels: [{ id: predicted.predictions[0]!.id!, label: 'good' }] });
    await call('models.monitor', { name: 'churn' });
    await call('models.drift', { name: 'churn' });
    await call('models.drift-history', { name: 'churn' });

    await call('alerts.add-rule', { name: 'slow', model: 'churn', kind: 'latency', threshold: 0.001, windowSeconds: 3600 });
    await call('alerts.rules', {});
    await call('alerts.check', {});
    await call('alerts.list', {});
    await call('alerts.remove-rule', { name: 'slow' });
    await call('models.retrain', { name: 'churn' });
    const long = await c.call('training.start', { dataset: 'churn', target: 'label', algorithm: 'auto', timeBudget: 60 });
    await call('training.cancel', { jobId: long.id });
    await waitForJob(c, long.id);
    await call('pipelines.cancel', { name: 'regions' });

    const host = new URL(registry.url).host;
    await call('remotes.add', { name: 'central', url: `oci://${host}/hearth`, insecureHttp: true });
    await call('remotes.list', {});
    await call('sync.push', { remote: 'central' });
    await call('sync.status', {});
    await call('models.pull', { url: `oci://${host}/hearth/churn:v1`, alias: 'pulled', insecureHttp: true });
    await call('remotes.follow', { remote: 'central', model: 'churn', alias: 'production' });
    await call('sync.follow', {});
    await call('remotes.unfollow', { remote: 'central', model: 'churn', alias: 'production' });
    await call('remotes.remove', { name: 'central' });

    await call('tokens.create', { name: 'reader', role: 'viewer' });
    await call('tokens.list', {});
    await call('tokens.revoke', { name: 'reader' });
    await call('audit.list', { limit: 50 });
    const backup = await call('backups.create', {});
    await call('backups.list', {});
    await call('backups.verify', { file: backup.file });
    await call('retention.set', { kind: 'dataset', name: 'churn', keepVersions: 10, logDays: null });
    await call('retention.list', {});
    await call('store.gc', { dryRun: true });
    await call('store.key-status', {});
    await call('system.services', {});
    await call('sync.standby', {});
    // A standby's record with a restore (as `hearth standby` leaves it), so the promotion answers.
    writeStandbyState(h.engine.dataDir, {
      role: 'standby',
      from: `oci://${host}/hearth`,
      digest: `sha256:${'0'.repeat(64)}`,
      backupCreatedAt: new Date().toISOString(),
      restoredAt: new Date().toISOString(),
      promotedAt: null,
    });
    await call('sync.promote-standby', {});
    await call('system.overview', {});

    const offending: string[] = [];
    for (const [method, result] of answered) offendingKeys(result, method, offending);
    assert.deepEqual([...new Set(offending)], []);
    // Every method of the contract was walked: a new one must be added here.
    assert.deepEqual(
      Object.keys(apiMethods).filter((m) => !answered.has(m)),
      [],
    );
  });
});
