import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../main/contracts/client.js';
import { seededRandom } from '../../main/stats/random.js';
import { tempDir, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

describe('time and group splits through the API', () => {
  let h: Harness;
  const files = tempDir();
  before(async () => {
    h = await startHarness('in-process');
    const random = seededRandom(5);
    const lines = ['day,machine,load,failed'];
    for (let i = 0; i < 900; i++) {
      const load = random() * 10;
      const day = new Date(Date.UTC(2024, 0, 1) + (i % 300) * 86_400_000).toISOString().slice(0, 10);
      lines.push(`${day},m${i % 30},${load.toFixed(3)},${random() < load / 12 ? 'yes' : 'no'}`);
    }
    await h.client.call('datasets.ingest', { name: 'plant', path: writeFile(files.dir, 'plant.csv', `${lines.join('\n')}\n`) });
  });
  after(async () => {
    await h.close();
    files.cleanup();
  });

  const train = async (extra: Record<string, unknown>) => {
    const job = await h.client.call('training.start', {
      dataset: 'plant',
      target: 'failed',
      algorithm: 'gbdt',
      trees: 20,
      folds: 3,
      ...extra,
    });
    const done = await h.engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return h.client.call('models.version', { name: done.result!.model, version: done.result!.version });
  };

  it('splits by time, with forward-chained folds', async () => {
    const info = await train({ timeColumn: 'day', model: 'by-time' });
    const split = info.report.split as { train: number; validation: number; test: number };
    assert.deepEqual([split.train, split.validation, split.test], [630, 135, 135]);
    assert.equal((info.report.crossValidation as { folds: number }).folds, 3);
    assert.equal(info.params.testFraction, 0.15);
  });

  it('splits by group and does not learn from the group column', async () => {
    const info = await train({ groupColumn: 'machine', model: 'by-machine' });
    const ignored = info.report.ignoredColumns as { name: string }[];
    assert.ok(ignored.some((c) => c.name === 'machine'));
    assert.ok(!(info.report.importance as { feature: string }[]).some((f) => f.feature === 'machine'));
  });

  it('warns when rows of one time land on both sides of a time split', async () => {
    const lines = ['day,load,failed'];
    for (let i = 0; i < 200; i++) lines.push(`${i < 100 ? '2024-01-01' : '2024-01-02'},${i % 10},${i % 3 === 0 ? 'yes' : 'no'}`);
    await h.client.call('datasets.ingest', {
      name: 'two-days',
      path: writeFile(files.dir, 'two-days.csv', `${lines.join('\n')}\n`),
    });
    const job = await h.client.call('training.start', {
      dataset: 'two-days',
      target: 'failed',
      timeColumn: 'day',
      model: 'two-days',
    });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    const info = await h.client.call('models.version', { name: 'two-days' });
    const warning = (info.report.warnings as { kind: string; message: string }[]).find((w) => w.kind === 'future');
    assert.ok(warning !== undefined);
    assert.match(warning.message, /^30 test rows are not later/);
  });

  it('refuses a time column that is not a time', async () => {
    await assert.rejects(
      train({ timeColumn: 'machine' }),
      (e: unknown) => e instanceof ApiError && e.code === 'VALIDATION_FAILED',
    );
  });
});

describe('decision thresholds', () => {
  it('tunes a binary model for F1 and labels by that threshold when serving', async () => {
    const h = await startHarness('in-process');
    const files = tempDir();
    try {
      // A rare positive class (about 10%): F1 prefers a threshold below 0.5.
      const random = seededRandom(12);
      const lines = ['x,y'];
      for (let i = 0; i < 3000; i++) {
        const x = random() * 4 - 2;
        lines.push(`${x.toFixed(4)},${random() < 1 / (1 + Math.exp(-(2 * x - 3))) ? 'yes' : 'no'}`);
      }
      await h.client.call('datasets.ingest', { name: 'rare', path: writeFile(files.dir, 'rare.csv', `${lines.join('\n')}\n`) });
      const job = await h.client.call('training.start', {
        dataset: 'rare',
        target: 'y',
        algorithm: 'linear',
        threshold: 'f1',
        model: 'rare',
      });
      assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
      const info = await h.client.call('models.version', { name: 'rare' });
      const tuned = (info.report.decisionThreshold as { threshold: number }).threshold;
      assert.ok(tuned > 0.05 && tuned < 0.5, `threshold ${tuned}`);
      // A row whose probability lies between the tuned threshold and 0.5 is labelled positive.
      const rows = Array.from({ length: 81 }, (_, i) => ({ x: -1 + i * 0.05 }));
      const predictions = (await h.client.call('models.predict', { name: 'rare', rows })).predictions as {
        label: string;
        probabilities: Record<string, number>;
      }[];
      // yes/no keeps its words: the classes are "no" and "yes", never "false" and "true".
      assert.deepEqual(Object.keys(predictions[0]!.probabilities).sort(), ['no', 'yes']);
      const between = predictions.find((p) => p.probabilities.yes! > tuned && p.probabilities.yes! <= 0.5);
      assert.ok(between !== undefined);
      assert.equal(between.label, 'yes');
    } finally {
      await h.close();
      files.cleanup();
    }
  });
});

describe('runs as experiments', () => {
  it('lists, shows and compares runs, and refuses to compare one that failed', async () => {
    const h = await startHarness('in-process');
    const files = tempDir();
    try {
      await h.client.call('datasets.ingest', {
        name: 'd',
        path: writeFile(files.dir, 'd.csv', 'x,y\n1,0\n2,0\n3,1\n4,1\n5,0\n6,1\n7,1\n8,0\n9,1\n10,1\n'),
      });
      const ids: string[] = [];
      for (const algorithm of ['linear', 'gbdt'] as const) {
        const job = await h.client.call('training.start', {
          dataset: 'd',
          target: 'y',
          algorithm,
          model: 'm',
          minChildSamples: 1,
        });
        ids.push(job.id);
        assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
      }
      const runs = await h.client.call('runs.list', {});
      assert.deepEqual(runs.map((r) => r.algorithm).sort(), ['gbdt', 'linear']);
      const shown = await h.client.call('runs.show', { id: ids[1]! });
      assert.equal(shown.modelVersion?.version, 2);
      assert.equal(shown.args.algorithm, 'gbdt');
      const report = await h.client.call('models.report', { name: 'm', version: 2 });
      assert.equal(report.fileName, 'm-v2-report.html');
      assert.match(report.html, /^<!doctype html>/);
      assert.ok(!/<script|https?:\/\//i.test(report.html), 'self-contained: no script, no external resource');
      assert.match(report.html, /roc_auc/);
      assert.match(report.html, /Feature importance/);
      const comparison = await h.client.call('runs.compare', { ids });
      assert.deepEqual(
        comparison.runs.map((r) => r.id),
        ids,
      );
      assert.ok(comparison.metrics.includes('roc_auc'));
      for (const id of ids) {
        assert.ok(comparison.resources[id]!.predictLatencyUs! > 0);
        assert.ok(comparison.curves[id] !== null);
      }
      const failed = await h.client.call('training.start', {
        dataset: 'd',
        target: 'y',
        algorithm: 'linear',
        maxIterations: 5000,
        l2: 0,
      });
      await h.client.call('training.cancel', { jobId: failed.id });
      await h.engine.trainer.wait(failed.id);
      await assert.rejects(
        h.client.call('runs.compare', { ids: [ids[0]!, failed.id] }),
        (e: unknown) => e instanceof ApiError && e.code === 'CONFLICT',
      );
    } finally {
      await h.close();
      files.cleanup();
    }
  });
});
