import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { HearthError } from '../../main/contracts/errors.js';
import { recordDriftWindows } from '../../main/monitoring/drift-history.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

const ctx = { transport: 'in-process' } as const;

/** The rows of a synthetic CSV as JSON records, as a client would send them (label column left out). */
function records(csv: string): { rows: Record<string, string>[]; labels: string[] } {
  const [header, ...lines] = csv.trim().split('\n');
  const names = header!.split(',');
  const rows: Record<string, string>[] = [];
  const labels: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    names.forEach((n, i) => (row[n] = cells[i]!));
    labels.push(row.label!);
    delete row.label;
    rows.push(row);
  }
  return { rows, labels };
}

describe('prediction log, late labels and drift', () => {
  let h: Harness;
  let api: Handlers;
  const firstIds: string[] = [];
  let firstLabels: string[] = [];
  let shiftStart = '';

  before(async () => {
    h = await startHarness('http');
    api = createHandlers(h.engine);
    // 3,000 reference rows: over Evidently's 1,000, so Wasserstein and Jensen–Shannon decide.
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'churn.csv', syntheticCsv('binary', 3000, 7)));
    const job = h.engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 1 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
  });
  after(() => h?.close());

  it('logs every served row with an id, and the same distribution shows no drift', async () => {
    const { rows, labels } = records(syntheticCsv('binary', 1500, 21));
    for (let i = 0; i < rows.length; i += 500) {
      const result = await api['models.predict']({ name: 'churn', rows: rows.slice(i, i + 500) }, ctx);
      firstIds.push(...result.predictions.map((p) => p.id!));
    }
    firstLabels = labels;
    assert.equal(new Set(firstIds).size, 1500);
    const logged = await h.engine.predictionLog.rows('churn');
    assert.equal(logged.length, 1500);
    assert.deepEqual(Object.keys(logged[0]!.inputs).sort(), ['colour', 'flag', 'x1', 'x2']);
    const report = await api['models.drift']({ name: 'churn' }, ctx);
    assert.equal(report.window.rows, 1500);
    assert.equal(report.reference.rows, 3000);
    assert.deepEqual(Object.fromEntries(report.features.columns.map((c) => [c.column, [c.test, c.drifted]])), {
      x1: ['wasserstein', false],
      x2: ['wasserstein', false],
      colour: ['jensenshannon', false],
      flag: ['jensenshannon', false],
    });
    assert.equal(report.features.datasetDrifted, false);
    assert.equal(report.prediction.drifted, false);
  });

  it('finds the planted shifts (x1 moved, blue gone) and leaves the other columns alone', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    shiftStart = new Date().toISOString();
    const { rows } = records(syntheticCsv('binary', 1500, 22));
    for (const row of rows) {
      if (row.x1 !== '') row.x1 = String(Number(row.x1) + 1.5);
      if (row.colour === 'blue') row.colour = 'red';
    }
    for (let i = 0; i < rows.length; i += 500) await api['models.predict']({ name: 'churn', rows: rows.slice(i, i + 500) }, ctx);
    const report = await api['models.drift']({ name: 'churn', since: shiftStart }, ctx);
    assert.equal(report.window.rows, 1500);
    const drifted = Object.fromEntries(report.features.columns.map((c) => [c.column, c.drifted]));
    assert.deepEqual(drifted, { x1: true, x2: false, colour: true, flag: false });
    const x1 = report.features.columns.find((c) => c.column === 'x1')!;
    // x1 is standard normal in the reference: a shift of 1.5 moves the normalised Wasserstein distance by about 1.5.
    assert.ok(Math.abs(x1.statistic - 1.5) < 0.15, `W1/σ ${x1.statistic}`);
    assert.equal(report.features.share, 0.5);
    assert.equal(report.features.datasetDrifted, true);
    assert.equal(report.prediction.drifted, true, 'the predictions moved with x1');
    // The earlier window still shows none.
    const before = await api['models.drift']({ name: 'churn', until: shiftStart }, ctx);
    assert.equal(before.features.datasetDrifted, false);
  });

  it('exposes requests, rows, latency and errors per model in the Prometheus format, behind the token', async () => {
    assert.equal((await fetch(`${h.server!.url}/metrics`)).status, 401);
    const failed = await fetch(`${h.server!.url}/v1/models/nope/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ x1: 1 }] }),
    });
    assert.equal(failed.status, 404);
    const response = await fetch(`${h.server!.url}/metrics`, { headers: { authorization: `Bearer ${testToken}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    // Two windows of 1,500 rows each, in batches of 500: six requests.
    assert.match(text, /^hearth_predicted_rows_total\{model="churn",version="1"\} 3000$/m);
    assert.match(text, /^hearth_predict_requests_total\{model="churn",version="1",outcome="ok"\} 6$/m);
    assert.match(text, /^hearth_predict_duration_seconds_count\{model="churn",version="1"\} 6$/m);
    assert.match(text, /^hearth_predict_duration_seconds_bucket\{le="\+Inf",model="churn",version="1"\} 6$/m);
    assert.match(text, /^hearth_predict_errors_total\{model="nope",code="NOT_FOUND"\} 1$/m);
    assert.match(text, /^hearth_process_resident_memory_bytes \d+/m);
  });

  it('alerts fire once per episode to the webhook (retried), and resolve when the condition ends', async () => {
    const received: { status: string; rule: string }[] = [];
    let calls = 0;
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        // The receiver is down for the first call: the engine must retry.
        if (++calls === 1) return res.writeHead(500).end();
        received.push(JSON.parse(body) as { status: string; rule: string });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      h.engine.alerts.webhookBackoffMs = [20, 20, 20];
      const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await api['alerts.add-rule'](
        { name: 'inputs-drift', model: 'churn', kind: 'drift', threshold: 0.5, windowSeconds: 60, webhook },
        ctx,
      );
      await api['alerts.add-rule'](
        { name: 'bad-input', model: 'churn', kind: 'validation', threshold: 0.0001, windowSeconds: 60 },
        ctx,
      );
      // The last minute holds the shifted rows: drift fires; no request has failed validation yet.
      const fired = await h.engine.alerts.check();
      assert.deepEqual(
        fired.map((a) => [a.rule, a.status]),
        [['inputs-drift', 'firing']],
      );
      assert.match(fired[0]!.message, /2 of 4 features drifted/);
      assert.deepEqual(fired[0]!.webhook, { status: 'delivered (204)', attempts: 2 });
      // Still drifting: nothing new is sent.
      assert.deepEqual(await h.engine.alerts.check(), []);
      assert.equal(received.length, 1);
      // One failed request beside 3,000 rows served in the last minute: above 0.01%, the other rule trips.
      await assert.rejects(api['models.predict']({ name: 'churn', rows: [{ x1: 'not a number' }] }, ctx));
      // Windows end before "now": let the failure's millisecond pass so this check's window holds it.
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(
        (await h.engine.alerts.check()).map((a) => [a.rule, a.status]),
        [['bad-input', 'firing']],
      );
      // Clean traffic again: judged over a minute that holds only it, the drift episode ends, and that is sent once.
      const calm = new Date();
      const { rows } = records(syntheticCsv('binary', 1500, 23));
      for (let i = 0; i < rows.length; i += 500)
        await api['models.predict']({ name: 'churn', rows: rows.slice(i, i + 500) }, ctx);
      const resolved = await h.engine.alerts.check(new Date(calm.getTime() + 60_000));
      assert.deepEqual(resolved.map((a) => [a.rule, a.status]).sort(), [
        ['bad-input', 'resolved'],
        ['inputs-drift', 'resolved'],
      ]);
      assert.deepEqual(
        received.map((r) => [r.rule, r.status]),
        [
          ['inputs-drift', 'firing'],
          ['inputs-drift', 'resolved'],
        ],
      );
      const all = await api['alerts.list']({}, ctx);
      assert.equal(all.length, 2);
      assert.deepEqual(await api['alerts.list']({ firing: true }, ctx), []);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('records the drift of each closed window once, on the schedule, for the chart over time', async () => {
    const size = 31 * 86400;
    // A "now" just after the 31-day window that holds every row served so far has closed.
    const now = new Date((Math.floor(Date.now() / (size * 1000)) + 1) * size * 1000 + 1000);
    assert.equal(await recordDriftWindows(h.engine, now, size), 1);
    assert.equal(await recordDriftWindows(h.engine, now, size), 0, 'a window is recorded once');
    const [entry] = await api['models.drift-history']({ name: 'churn' }, ctx);
    const report = await api['models.drift']({ name: 'churn', since: entry!.windowStart, until: entry!.windowEnd }, ctx);
    assert.equal(entry!.rows, report.window.rows);
    assert.equal(entry!.share, report.features.share);
    assert.deepEqual(Object.keys(entry!.columns).sort(), ['colour', 'flag', 'prediction', 'x1', 'x2']);
  });

  it('joins late labels by id over HTTP, and reports ids it does not know', async (t) => {
    const post = (body: unknown) =>
      fetch(`${h.server!.url}/v1/models/churn/feedback`, {
        method: 'POST',
        headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const one = await post({ id: firstIds[0], label: firstLabels[0] });
    assert.equal(one.status, 200);
    assert.deepEqual(await one.json(), { matched: 1, unknown: [] });
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const many = await post({
      labels: [...firstIds.slice(1, 1000).map((id, i) => ({ id, label: firstLabels[i + 1] })), { id: unknownId, label: 'good' }],
    });
    assert.deepEqual(await many.json(), { matched: 999, unknown: [unknownId] });
    const labelled = (await h.engine.predictionLog.rows('churn')).filter((r) => r.label !== null);
    assert.equal(labelled.length, 1000);
    assert.equal(labelled[0]!.label, firstLabels[0]);
    // Live performance: the realised metrics on the labelled rows, and the estimate from confidence beside them.
    const report = await api['models.monitor']({ name: 'churn', until: shiftStart, windowSeconds: 31 * 86400 }, ctx);
    assert.equal(report.windows.length, 1);
    const [w] = report.windows;
    assert.deepEqual([w!.rows, w!.labelled], [1500, 1000]);
    const labelledRows = (await h.engine.predictionLog.rows('churn', { until: shiftStart })).filter((r) => r.label !== null);
    const correct = labelledRows.filter((r) => 'label' in r.prediction && r.prediction.label === r.label).length;
    assert.equal(w!.realised!.accuracy, correct / 1000);
    assert.ok(w!.latencyMs.p99 >= w!.latencyMs.p50 && w!.latencyMs.p50 > 0);
    // On data like the training data a boosted model's confidence is close to calibrated: the estimate lands near.
    t.diagnostic(
      `realised accuracy ${w!.realised!.accuracy.toFixed(4)}, AUC ${w!.realised!.roc_auc!.toFixed(4)}; ` +
        `estimated accuracy ${w!.estimated!.accuracy!.toFixed(4)}, AUC ${w!.estimated!.roc_auc!.toFixed(4)}`,
    );
    assert.ok(Math.abs(w!.estimated!.accuracy! - w!.realised!.accuracy) < 0.05, JSON.stringify(w));
    assert.ok(Math.abs(w!.estimated!.roc_auc! - w!.realised!.roc_auc!) < 0.05, JSON.stringify(w));
    const bad = await post({ id: 'not-an-id', label: 'good' });
    assert.equal(bad.status, 400);
    await assert.rejects(
      api['models.drift']({ name: 'churn', since: '2100-01-01T00:00:00Z' }, ctx),
      (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED',
    );
  });
});
