import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClassCurves, ResidualSample } from '../../main/contracts/api.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

describe('evaluation curves of every task, stored at training and shown in the report', () => {
  let h: Harness;
  const files = tempDir();
  before(async () => {
    h = await startHarness('in-process');
    for (const task of ['multiclass', 'regression'] as const)
      await h.client.call('datasets.ingest', {
        name: task,
        path: writeFile(files.dir, `${task}.csv`, syntheticCsv(task, 600, 3)),
      });
  });
  after(async () => {
    await h.close();
    files.cleanup();
  });

  const train = async (dataset: string, target: string) => {
    const job = await h.client.call('training.start', { dataset, target, algorithm: 'gbdt', trees: 20 });
    const done = await h.engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return h.client.call('models.version', { name: done.result!.model, version: done.result!.version });
  };

  it('multiclass: one ROC and PR curve per class and the reliability bins', async () => {
    const v = await train('multiclass', 'kind');
    const perClass = v.report.perClass as ClassCurves[];
    assert.deepEqual(perClass.map((c) => c.class).sort(), ['a', 'b', 'c']);
    const split = v.report.split as { test: number };
    assert.equal(
      perClass.reduce((s, c) => s + c.support, 0),
      split.test,
    );
    for (const c of perClass) {
      assert.ok(c.roc.length >= 2 && c.roc.length <= 200 && c.pr.length <= 200);
      assert.ok(c.rocAuc !== null && c.rocAuc > 0.6, `${c.class} ${c.rocAuc}`);
    }
    assert.equal(v.report.calibrationOf, 'top-label confidence');
    const bins = v.report.calibration as { count: number }[];
    assert.equal(
      bins.reduce((s, b) => s + b.count, 0),
      split.test,
    );
    const html = (await h.client.call('models.report', { name: v.model, version: v.version })).html;
    assert.match(html, /ROC curves, each class against the rest/);
    assert.match(html, /Reliability \(top-label confidence/);
  });

  it('regression: actual, predicted and actual − predicted for each test row', async () => {
    const v = await train('regression', 'amount');
    const residuals = v.report.residuals as ResidualSample;
    assert.equal(residuals.rows, (v.report.split as { test: number }).test);
    assert.equal(residuals.points.length, residuals.rows);
    for (const p of residuals.points) assert.ok(Math.abs(p.actual - p.predicted - p.residual) < 1e-9);
    // The residuals' root mean square is the reported RMSE.
    const rmse = Math.sqrt(residuals.points.reduce((s, p) => s + p.residual ** 2, 0) / residuals.rows);
    assert.ok(Math.abs(rmse - v.metrics.rmse!) < 1e-9, `${rmse} against ${v.metrics.rmse}`);
    const html = (await h.client.call('models.report', { name: v.model, version: v.version })).html;
    assert.match(html, /Predicted against actual/);
    assert.match(html, /Residuals \(actual − predicted\)/);
  });
});
