import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { methodPermission } from '../../main/contracts/index.js';
import { ApiError, createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { headlineMetric } from '../../main/engine/overview.js';
import { formatOverview } from '../../main/cli/commands/overview.js';
import { syntheticCsv } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';

describe('system.overview: the box at a glance', () => {
  let h: Harness;
  let viewer: Client;
  let runIds: string[];
  before(async () => {
    h = await startHarness('http');
    for (const [name, csv] of [
      ['customers', syntheticCsv('binary', 600, 3)],
      ['sales', syntheticCsv('regression', 300, 4)],
    ] as const) {
      const uploadId = await h.client.upload(new Blob([csv]), `${name}.csv`);
      await h.client.call('datasets.ingest', { name, uploadId, fileName: `${name}.csv` });
    }
    runIds = [];
    for (const [dataset, target, model] of [
      ['customers', 'label', 'churn'],
      ['sales', 'amount', 'amount'],
    ] as const) {
      const job = await h.client.call('training.start', { dataset, target, algorithm: 'linear', model });
      const done = await waitForJob(h.client, job.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      runIds.push(job.id);
    }
    // Three served rows for churn, none for amount (each model's first version is its production).
    await h.client.call('models.predict', {
      name: 'churn',
      rows: [
        { x1: 1, x2: 0, colour: 'red', flag: 'yes' },
        { x1: -1, x2: 2, colour: 'blue', flag: 'no' },
        { x1: 0.5, x2: 1, colour: 'green', flag: 'no' },
      ],
    });
    await h.client.call('alerts.add-rule', { name: 'slow', model: 'churn', kind: 'latency', threshold: 0, windowSeconds: 3600 });
    await h.client.call('alerts.check', {});
    const { token } = await h.client.call('tokens.create', { name: 'wall-screen', role: 'viewer' });
    viewer = createClient(httpTransport({ baseUrl: h.server!.url, token }));
  });
  after(() => h?.close());

  it('shows each production model with its test metric, served rows, latency and open alerts', async () => {
    const o = await viewer.call('system.overview', {});
    const churn = o.production.find((p) => p.model === 'churn');
    assert.ok(churn, JSON.stringify(o.production));
    const info = await h.client.call('models.version', { name: 'churn', version: 1 });
    assert.equal(churn.version, 1);
    assert.equal(churn.algorithm, 'linear');
    assert.deepEqual(churn.metric, { name: 'roc_auc', value: info.metrics.roc_auc });
    assert.equal(churn.served.rows, 3);
    assert.ok(churn.served.latencyP99Ms !== null && churn.served.latencyP99Ms >= 0);
    assert.equal(churn.openAlerts, 1);
    assert.equal(o.alerts.firing, 1);
    const amount = o.production.find((p) => p.model === 'amount');
    assert.equal(amount?.metric?.name, 'rmse');
    assert.equal(amount?.served.rows, 0);
  });

  it('lists datasets with their latest version and rows, runs newest first, no running job, an empty sync queue', async () => {
    const o = await viewer.call('system.overview', {});
    assert.deepEqual(o.datasets.map((d) => [d.name, d.latestVersion, d.rows, d.quarantined, d.rules]).sort(), [
      ['customers', 1, 600, 0, 0],
      ['sales', 1, 300, 0, 0],
    ]);
    assert.deepEqual(
      o.recentRuns.map((r) => r.id),
      [...runIds].reverse(),
    );
    assert.equal(o.recentRuns[0]!.metric?.name, 'rmse');
    assert.deepEqual(o.jobs, []);
    assert.deepEqual(o.sync, { pending: 0, failed: 0, remotes: 0, lastError: null });
  });

  it('shows nothing a viewer could not read method by method, and nothing to a role without read', async () => {
    // Every method the overview reads through has the overview's own permission.
    for (const method of [
      'models.list',
      'models.version',
      'models.monitor',
      'models.drift-history',
      'alerts.list',
      'training.list',
      'runs.list',
      'datasets.list',
      'datasets.version',
      'rules.get',
      'sync.status',
    ] as const)
      assert.equal(methodPermission[method], methodPermission['system.overview'], method);
    const { token } = await h.client.call('tokens.create', { name: 'edge', role: 'service' });
    const service = createClient(httpTransport({ baseUrl: h.server!.url, token }));
    await assert.rejects(service.call('system.overview', {}), (e: unknown) => e instanceof ApiError && e.code === 'FORBIDDEN');
    const anonymous = createClient(httpTransport({ baseUrl: h.server!.url, token: '' }));
    await assert.rejects(
      anonymous.call('system.overview', {}),
      (e: unknown) => e instanceof ApiError && e.code === 'UNAUTHORIZED',
    );
  });

  it('picks the headline metric by what was measured', () => {
    assert.deepEqual(headlineMetric({ accuracy: 0.9, roc_auc: 0.8 }), { name: 'roc_auc', value: 0.8 });
    assert.deepEqual(headlineMetric({ r2: 0.5, rmse: 2 }), { name: 'rmse', value: 2 });
    assert.deepEqual(headlineMetric({ accuracy: 0.7 }), { name: 'accuracy', value: 0.7 });
    assert.equal(headlineMetric({}), null);
  });

  it('reads as text the way `hearth overview` prints it', async () => {
    const text = formatOverview(await viewer.call('system.overview', {}));
    assert.match(text, /^Production models:\n {2}(amount|churn) v1 \(linear/);
    assert.match(
      text,
      /churn v1 \(linear, binary\) roc_auc 0\.\d{4}\n {4}24 h: 3 rows, p99 [\d.]+ ms(, estimated 0\.\d{4})?; drift: no window yet; 1 open alerts/,
    );
    assert.match(text, /Datasets:\n {2}(customers|sales) v1/);
    assert.match(text, /Alerts firing: 1\nSync: 0 waiting, 0 failed attempts, 0 remotes$/);
  });
});
