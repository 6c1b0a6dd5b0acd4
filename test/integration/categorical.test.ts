import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../main/contracts/client.js';
import { seededRandom } from '../../main/stats/random.js';
import { noiseCategoryCsv, tempDir, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';
import { lowerIsBetter } from '../../main/training/labels.js';

describe('categorical columns in boosting and SMOTE', () => {
  let h: Harness;
  const files = tempDir();
  before(async () => {
    h = await startHarness('in-process');
    for (const noise of [false, true]) {
      const path = writeFile(files.dir, `signal-${noise}.csv`, noiseCategoryCsv(8000, 3, noise));
      await h.client.call('datasets.ingest', { name: noise ? 'with-noise' : 'plain', path });
    }
    // The rare class lives in 30 narrow bands of x: SMOTE's neighbours reach across bands, so its synthetic rows
    // fill the gaps between them, where the class is absent; a plain boosted fit finds the bands.
    const random = seededRandom(1);
    const lines = ['x,shade,label'];
    for (let i = 0; i < 3000; i++) {
      const x = random();
      const inBand = (x * 30) % 1 < 0.12;
      const shade = ['a', 'b', 'c', 'd'][Math.floor(random() * 4)]!;
      lines.push(`${x.toFixed(5)},${shade},${random() < (inBand ? 0.9 : 0.01) ? 'rare' : 'common'}`);
    }
    await h.client.call('datasets.ingest', { name: 'bands', path: writeFile(files.dir, 'bands.csv', `${lines.join('\n')}\n`) });
    const cats = ['colour,size,label'];
    for (let i = 0; i < 200; i++)
      cats.push(`${['red', 'green', 'blue'][i % 3]},${['s', 'm'][i % 2]},${i % 7 === 0 ? 'rare' : 'common'}`);
    await h.client.call('datasets.ingest', {
      name: 'all-categorical',
      path: writeFile(files.dir, 'cats.csv', `${cats.join('\n')}\n`),
    });
  });
  after(async () => {
    await h.close();
    files.cleanup();
  });

  const train = async (args: Record<string, unknown>) => {
    const job = await h.client.call('training.start', { target: 'y', algorithm: 'gbdt', seed: 1, ...args } as never);
    const done = await h.engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return h.client.call('models.version', { name: done.result!.model, version: done.result!.version });
  };

  it('a 400-level noise category costs boosting under 0.01 test ROC AUC (it cost 0.03 unregularised)', async () => {
    const plain = await train({ dataset: 'plain', model: 'no-noise' });
    const noisy = await train({ dataset: 'with-noise', model: 'noise' });
    const unregularised = await train({
      dataset: 'with-noise',
      model: 'noise-unregularised',
      minCategoryRows: 0,
      catSmooth: 0,
      catL2: 0,
      maxCatThreshold: 255,
      minDataPerGroup: 0,
      maxCatToOnehot: 0,
    });
    const auc = (info: { metrics: Record<string, number> }): number => info.metrics.roc_auc!;
    assert.ok(auc(plain) > 0.9, `plain ${auc(plain)}`);
    assert.ok(auc(plain) - auc(noisy) < 0.01, `noise costs ${auc(plain) - auc(noisy)}`);
    assert.ok(auc(plain) - auc(unregularised) > 0.02, `unregularised noise costs ${auc(plain) - auc(unregularised)}`);
    // Rare levels are pooled in the model itself (its "other" level), so serving and ONNX treat them alike.
    assert.equal(noisy.params.minCategoryRows, 10);
    assert.ok((noisy.report.onnxParityMaxAbsDiff as number) < 1e-5);
  });

  it('drops SMOTE that scores below the plain fit on cross-validation, and says why', async () => {
    const info = await train({ dataset: 'bands', target: 'label', model: 'bands', resample: 'smote' });
    const guard = info.report.smoteGuard as {
      kept: boolean;
      metric: string;
      cv_plain: number;
      cv_smote: number;
      reason: string;
    };
    assert.equal(guard.kept, false);
    // Worse on the guard's metric: log loss (lower is better) by default for classification.
    assert.ok(
      lowerIsBetter.has(guard.metric) ? guard.cv_smote > guard.cv_plain : guard.cv_smote < guard.cv_plain,
      JSON.stringify(guard),
    );
    assert.match(guard.reason, /did not beat the plain model/);
    assert.equal(info.report.resampling, null, 'the kept model has no synthetic rows');
    assert.ok((info.report.warnings as { kind: string }[]).some((w) => w.kind === 'resampling'));
    assert.ok(info.metrics.roc_auc! > 0.85, `test ROC AUC ${info.metrics.roc_auc}`);
  });

  it('the auto search keeps SMOTE only when it beats the plain candidate, and says why', async () => {
    const info = await train({ dataset: 'bands', target: 'label', algorithm: 'auto', model: 'bands-auto', timeBudget: 30 });
    const imbalance = (info.report.search as { imbalance: Record<string, unknown> }).imbalance as {
      compared: { strategy: string; threshold: string; cvMetric: number }[];
      chosen: { strategy: string };
      smote: { kept: boolean; reason: string };
    };
    const row = (strategy: string) => imbalance.compared.find((r) => r.strategy === strategy && r.threshold === 'default');
    // The decision itself has known answers in test/unit/smote.test.ts; here the search reports it, whichever
    // treatments the budget reached on this machine.
    assert.equal(imbalance.smote.kept, imbalance.chosen.strategy === 'SMOTE');
    assert.ok(imbalance.smote.reason.length > 0);
    const smote = row('SMOTE');
    if (smote === undefined) assert.match(imbalance.smote.reason, /^not tried: the time budget ran out first/);
    // The search's metric is log loss by default for classification: lower is better.
    else if (
      lowerIsBetter.has((info.report.search as { metric: string }).metric)
        ? smote.cvMetric >= row('none')!.cvMetric
        : smote.cvMetric <= row('none')!.cvMetric
    ) {
      assert.notEqual(imbalance.chosen.strategy, 'SMOTE');
      assert.match(imbalance.smote.reason, /did not beat the plain model/);
    }
  });

  it('refuses SMOTE with no numeric feature before queueing, and an out-of-range categorical knob', async () => {
    const before = (await h.client.call('training.list', {})).length;
    await assert.rejects(
      h.client.call('training.start', { dataset: 'all-categorical', target: 'label', algorithm: 'gbdt', resample: 'smote' }),
      (e: unknown) => e instanceof ApiError && e.code === 'VALIDATION_FAILED' && /numeric feature/.test(e.message),
    );
    await assert.rejects(
      h.client.call('training.start', { dataset: 'plain', target: 'y', algorithm: 'gbdt', maxCatThreshold: 0 }),
      (e: unknown) => e instanceof ApiError && e.code === 'VALIDATION_FAILED',
    );
    assert.equal((await h.client.call('training.list', {})).length, before);
  });
});
