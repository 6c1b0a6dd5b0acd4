import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiEvent } from '../../main/contracts/api.js';
import { ApiError, type Client } from '../../main/contracts/client.js';
import { syntheticCsv } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

// One suite, run over every transport (in-process, HTTP, the desktop bridge): what a client sees must not depend
// on how it reaches the engine.
for (const transport of ['in-process', 'http', 'ipc'] as const) {
  describe(`API contract over ${transport}`, () => {
    let h: Harness;
    let client: Client;
    before(async () => {
      h = await startHarness(transport);
      client = h.client;
    });
    after(async () => h.close());

    it('reports the system', async () => {
      const info = await client.call('system.info', {});
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.equal(info.onnxRuntime.version, '1.30.0');
    });

    it('ingests an upload as an immutable version with a profile and a quarantine', async () => {
      const csv = syntheticCsv('binary', 1500) + '1,2,3\n';
      const uploadId = await client.upload(new Blob([csv]), 'customers.csv');
      const result = await client.call('datasets.ingest', { name: 'customers', uploadId, fileName: 'customers.csv' });
      assert.equal(result.dataset, 'customers');
      assert.equal(result.version, 1);
      assert.equal(result.rows, 1500);
      assert.equal(result.quarantined, 1);
      assert.deepEqual(
        result.columns.map((c) => `${c.name}:${c.type}`),
        ['x1:number', 'x2:number', 'colour:categorical', 'flag:boolean', 'label:categorical'],
      );
      assert.match(result.contentHash, /^sha256:[0-9a-f]{64}$/);
      const quarantine = await client.call('datasets.quarantine', { name: 'customers' });
      assert.deepEqual(quarantine.rows, [{ line: 1502, reason: 'expected 5 fields, found 3', raw: '1,2,3\n' }]);
      const detail = await client.call('datasets.version', { name: 'customers', version: 1 });
      const x1 = detail.profile.find((p) => p.name === 'x1')!;
      assert.equal(x1.count + x1.missing, 1500);
      assert.ok(x1.missing > 30 && x1.missing < 120);
      assert.equal(
        x1.histogram.reduce((s, b) => s + b.count, 0),
        x1.count,
      );
      assert.equal(detail.profile.find((p) => p.name === 'colour')!.distinct, 4);
      // The same bytes again make no version: the answer names version 1 as unchanged.
      const again = await client.call('datasets.ingest', {
        name: 'customers',
        uploadId: await client.upload(new Blob([csv]), 'c.csv'),
      });
      assert.equal(again.unchanged, true);
      assert.equal(again.version, 1);
      assert.equal((await client.call('datasets.versions', { name: 'customers' })).length, 1);
      // Forced, they make version 2 with the same content hash: versions are snapshots, never edits.
      const forced = await client.call('datasets.ingest', {
        name: 'customers',
        uploadId: await client.upload(new Blob([csv]), 'c.csv'),
        force: true,
      });
      assert.equal(forced.version, 2);
      assert.equal(forced.unchanged, undefined);
      assert.equal(forced.contentHash, result.contentHash);
      assert.deepEqual(
        (await client.call('datasets.list', {})).map((d) => [d.name, d.latestVersion, d.versions]),
        [['customers', 2, 2]],
      );
    });

    it('trains in a worker with progress events, registers the version and sets production', async () => {
      const events: ApiEvent[] = [];
      const unsubscribe = client.on((e) => events.push(e));
      await new Promise((r) => setTimeout(r, 100)); // let the event stream connect
      const job = await client.call('training.start', {
        dataset: 'customers',
        target: 'label',
        algorithm: 'linear',
        model: 'churn',
      });
      const done = await waitForJob(client, job.id);
      await new Promise((r) => setTimeout(r, 100));
      unsubscribe();
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(Object.keys(done.result!.metrics).sort(), [
        'accuracy',
        'brier',
        'ece',
        'f1',
        'log_loss',
        'pr_auc',
        'precision',
        'recall',
        'roc_auc',
      ]);
      assert.ok(done.result!.metrics.roc_auc! > 0.75, `roc_auc ${done.result!.metrics.roc_auc}`);
      assert.ok(events.some((e) => e.name === 'training.progress' && e.data.jobId === job.id && e.data.iteration >= 1));
      assert.ok(events.some((e) => e.name === 'training.did-finish' && e.data.id === job.id));
      const models = await client.call('models.list', {});
      assert.deepEqual(
        models.map((m) => [m.name, m.task, m.aliases]),
        [['churn', 'binary', { production: 1 }]],
      );
      const info = await client.call('models.version', { name: 'churn' });
      assert.equal(info.dataset.version, 2);
      assert.ok((info.report.onnxParityMaxAbsDiff as number) < 1e-9);
    });

    it('predicts through the served ONNX graph', async () => {
      const result = await client.call('models.predict', {
        name: 'churn',
        rows: [
          { x1: 2, x2: 1, colour: 'red', flag: true },
          { x1: -2, x2: 6, colour: 'green', flag: false },
          { x1: null, x2: null, colour: null, flag: null },
        ],
      });
      assert.equal(result.version, 1);
      const [high, low] = result.predictions as { label: string; probabilities: Record<string, number> }[];
      assert.equal(high!.label, 'good');
      assert.equal(low!.label, 'bad');
      for (const p of result.predictions) {
        assert.ok('probabilities' in p);
        assert.ok(Math.abs(p.probabilities.good! + p.probabilities.bad! - 1) < 1e-12);
      }
    });

    it('promotes and rolls back by moving the production alias', async () => {
      const job = await client.call('training.start', {
        dataset: 'customers',
        datasetVersion: 1,
        target: 'label',
        model: 'churn',
        l2: 0.1,
      });
      assert.equal((await waitForJob(client, job.id)).status, 'succeeded');
      assert.deepEqual((await client.call('models.list', {}))[0]!.aliases, { production: 1 });
      assert.deepEqual(await client.call('models.promote', { name: 'churn', version: 2 }), {
        model: 'churn',
        alias: 'production',
        version: 2,
        previousVersion: 1,
      });
      assert.equal((await client.call('models.predict', { name: 'churn', rows: [{ x1: 1 }] })).version, 2);
      assert.deepEqual(await client.call('models.rollback', { name: 'churn' }), {
        model: 'churn',
        alias: 'production',
        version: 1,
        previousVersion: 2,
      });
      await expectCode(client.call('models.rollback', { name: 'churn' }), 'CONFLICT');
      await expectCode(client.call('models.promote', { name: 'churn', version: 9 }), 'NOT_FOUND');
    });

    it('trains gradient-boosted trees and explains a prediction with TreeSHAP', async () => {
      const job = await client.call('training.start', {
        dataset: 'customers',
        target: 'label',
        algorithm: 'gbdt',
        model: 'churn-trees',
        trees: 40,
        maxLeaves: 8,
      });
      const done = await waitForJob(client, job.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.ok(done.result!.metrics.roc_auc! > 0.7);
      const info = await client.call('models.version', { name: 'churn-trees' });
      assert.equal(info.algorithm, 'gbdt');
      const importance = info.report.importance as { feature: string; gain: number }[];
      // x1 and x2 carry the most signal in the generating model (1.5 and 0.7 × 2 per standard deviation).
      assert.deepEqual(
        importance
          .slice(0, 2)
          .map((i) => i.feature)
          .sort(),
        ['x1', 'x2'],
      );
      const result = await client.call('models.predict', {
        name: 'churn-trees',
        explain: true,
        rows: [{ x1: 1.5, x2: 2, colour: 'red', flag: true }],
      });
      const p = result.predictions[0]!;
      assert.ok('probabilities' in p && p.explanation !== undefined);
      const margin = Math.log(p.probabilities.good! / p.probabilities.bad!);
      const total = p.explanation.expectedValue + Object.values(p.explanation.contributions).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(total - margin) < 1e-9);
      assert.deepEqual([p.explanation.output, p.explanation.method, p.explanation.space], ['good', 'treeshap', 'log-odds']);
      // The linear model explains too now (exact linear SHAP), to its own log-odds.
      const linear = (await client.call('models.predict', { name: 'churn', explain: true, rows: [{ x1: 1 }] })).predictions[0]!;
      assert.ok('probabilities' in linear && linear.explanation?.method === 'linear-shap');
      const linearTotal =
        linear.explanation.expectedValue + Object.values(linear.explanation.contributions).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(linearTotal - Math.log(linear.probabilities.good! / linear.probabilities.bad!)) < 1e-9);
    });

    it('searches the learners by cross-validation within a time budget (algorithm auto)', async () => {
      const job = await client.call('training.start', {
        dataset: 'customers',
        target: 'label',
        algorithm: 'auto',
        timeBudget: 2,
        folds: 3,
        model: 'churn-auto',
      });
      const done = await waitForJob(client, job.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const info = await client.call('models.version', { name: 'churn-auto' });
      const board = info.report.leaderboard as { algorithm: string; cvMetric: number }[];
      // The four learners' defaults are tried first, each while its projected cost fits before the search's deadline
      // (a 2 s budget covers the whole run); a learner left out is named in the run's notes. The board is sorted best
      // first by log loss (the default objective for classification), lowest first.
      const tried = [...new Set(board.map((e) => e.algorithm))].filter((a) => a !== 'ensemble');
      const untried = (
        done.result!.budget!.notes.map((n) => /^search: (.*) not tried/.exec(n)?.[1]).find((m) => m !== undefined) ?? ''
      )
        .split(', ')
        .filter((a) => a !== '');
      assert.ok(tried.includes('gbdt'), JSON.stringify(board));
      assert.deepEqual([...tried, ...untried].sort(), ['forest', 'gbdt', 'linear', 'mlp']);
      // Ranked as served: by the calibrated log loss where the search scored one, else the raw one.
      const rank = board.map((e) => (e as { cvCalibrated?: number }).cvCalibrated ?? e.cvMetric);
      for (let i = 1; i < rank.length; i++) assert.ok(rank[i - 1]! <= rank[i]!, JSON.stringify(board));
      // The budget: no trial starts after the search's deadline (before the budget's end), so the search overruns
      // the budget by at most the trial in progress.
      const search = info.report.search as { searchSeconds: number; budgetSeconds: number };
      const singles = board.filter((e) => e.algorithm !== 'ensemble') as unknown as { trial: number; fitSeconds: number }[];
      const defaults = singles.filter((e) => e.trial <= 4).reduce((s, e) => s + e.fitSeconds, 0);
      const longest = Math.max(...singles.map((e) => e.fitSeconds));
      assert.ok(
        search.searchSeconds <= Math.max(search.budgetSeconds, defaults) + longest + 1,
        `search ${search.searchSeconds} s, budget ${search.budgetSeconds} s, defaults ${defaults} s, longest ${longest} s`,
      );
      assert.equal(info.algorithm, board[0]!.algorithm);
      assert.equal((info.report.search as { metric: string }).metric, 'log_loss');
      // The test log loss is near the cross-validated one (within a quarter: about 150 test rows, and log loss is
      // unbounded per row), or better: not a leak, and not a model that falls apart on rows it has not seen.
      assert.ok(
        info.metrics.log_loss! < 1.25 * board[0]!.cvMetric,
        `${info.metrics.log_loss} against ${board[0]!.cvMetric}: ${JSON.stringify({ board, search: info.report.search, budget: done.result!.budget })}`,
      );
      const calibration = (info.report.search as { calibration: { method: string; compared: { method: string }[] } }).calibration;
      assert.deepEqual(
        calibration.compared.map((c) => c.method),
        ['none', 'platt', 'isotonic'],
      );
      assert.ok(['none', 'platt', 'isotonic'].includes(calibration.method));
      await expectCode(
        client.call('training.start', { dataset: 'customers', target: 'label', algorithm: 'auto', metric: 'rmse' }),
        'VALIDATION_FAILED',
      );
      // Successive halving: up to nine candidates on a quarter of the rows, the best third on half, the best on all.
      const halving = await client.call('training.start', {
        dataset: 'customers',
        target: 'label',
        algorithm: 'auto',
        searchStrategy: 'halving',
        timeBudget: 1,
        model: 'churn-halving',
      });
      assert.equal((await waitForJob(client, halving.id)).status, 'succeeded');
      const halved = await client.call('models.version', { name: 'churn-halving' });
      assert.equal((halved.report.search as { strategy: string }).strategy, 'halving');
      // On all the rows: the bracket's winner, and its best boosted-tree candidate if that was not the winner.
      const finalists = (halved.report.leaderboard as { algorithm: string }[]).filter((e) => e.algorithm !== 'ensemble');
      assert.ok(finalists.length >= 1 && finalists.length <= 2, JSON.stringify(finalists));
      assert.ok(finalists.some((e) => e.algorithm === 'gbdt'));
    });

    it('cancels a job and leaves the registry as it was', async () => {
      const before = await client.call('models.versions', { name: 'churn' });
      // A fit long enough for the cancel to land mid-fit: a warm training worker starts at once, and a logistic
      // model on these rows converges in milliseconds.
      const job = await client.call('training.start', {
        dataset: 'customers',
        target: 'label',
        model: 'churn',
        algorithm: 'gbdt',
        trees: 5000,
        learningRate: 0.001,
        earlyStoppingRounds: 5000,
      });
      await client.call('training.cancel', { jobId: job.id });
      const done = await waitForJob(client, job.id);
      assert.equal(done.status, 'cancelled');
      assert.equal(done.error?.code, 'CANCELLED');
      assert.equal((await client.call('models.versions', { name: 'churn' })).length, before.length);
    });

    it('answers bad calls with coded errors', async () => {
      await expectCode(client.call('datasets.version', { name: 'nope' }), 'NOT_FOUND');
      await expectCode(client.call('training.start', { dataset: 'customers', target: 'missing-column' }), 'VALIDATION_FAILED');
      await expectCode(
        client.call('training.start', { dataset: 'customers', target: 'colour', task: 'binary' }),
        'VALIDATION_FAILED',
      );
      await expectCode(
        client.call('datasets.ingest', { name: 'bad name!', uploadId: '00000000-0000-0000-0000-000000000000' }),
        'VALIDATION_FAILED',
      );
      await expectCode(client.call('models.predict', { name: 'churn', rows: [{ x1: 'not a number' }] }), 'VALIDATION_FAILED');
      await expectCode(client.call('nope.method' as 'system.info', {}), 'NOT_FOUND');
      // Local paths are for the CLI only: over HTTP they are refused.
      const pathIngest = client.call('datasets.ingest', { name: 'etc', path: '/nonexistent/hearth/file.csv' });
      if (transport !== 'in-process') await expectCode(pathIngest, 'FORBIDDEN');
      else await expectCode(pathIngest, 'NOT_FOUND');
    });
  });
}
