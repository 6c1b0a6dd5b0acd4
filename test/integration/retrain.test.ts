import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { HearthError } from '../../main/contracts/errors.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

const ctx = { transport: 'in-process' } as const;

describe('retraining gated by a comparison with production', () => {
  let h: Harness;
  let api: Handlers;
  before(async () => {
    h = await startHarness('in-process');
    api = createHandlers(h.engine);
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'v1.csv', syntheticCsv('binary', 1000, 3)));
    const job = h.engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 4 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
  });
  after(() => h?.close());

  it('keeps production when the challenger is no better on its holdout (same data, same settings)', async () => {
    const result = await api['models.retrain']({ name: 'churn' }, ctx);
    assert.deepEqual([result.production.version, result.challenger.version], [1, 2]);
    // Same rows, same seed, same learner: the same model, so the same score, and no promotion.
    assert.equal(result.challenger.score, result.production.score);
    assert.equal(result.promoted, false);
    assert.equal(h.engine.registry.resolve('churn'), 1);
  });

  it('promotes a challenger trained on data whose relationship changed, where production fails', async () => {
    // The world turned: the same features now mean the opposite label.
    const flipped = syntheticCsv('binary', 1000, 8).replace(/,(good|bad)$/gm, (_m, l: string) =>
      l === 'good' ? ',bad' : ',good',
    );
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'v2.csv', flipped));
    const result = await api['models.retrain']({ name: 'churn' }, ctx);
    assert.equal(result.dataset.version, 2);
    assert.equal(result.metric, 'roc_auc');
    assert.ok(result.production.score! < 0.35, `production AUC on the new holdout ${result.production.score}`);
    assert.ok(result.challenger.score > 0.7, `challenger AUC ${result.challenger.score}`);
    assert.equal(result.holdoutRows, 150);
    assert.equal(result.test?.method, 'delong');
    assert.ok(result.test.p < 1e-6, `DeLong p ${result.test.p}`);
    assert.match(result.reason, /^challenger \+0\.\d{3} roc_auc on 150 held-out rows, p = .+ \(delong\): promoted$/);
    assert.equal(result.promoted, true);
    assert.equal(h.engine.registry.resolve('churn'), result.challenger.version);
  });

  it('a new-rows rule retrains when the newest data outgrows what production learnt from', async () => {
    const before = h.engine.registry.versions('churn').length;
    await api['alerts.add-rule'](
      { name: 'fresh-data', model: 'churn', kind: 'new-rows', threshold: 500, windowSeconds: 3600, retrain: true },
      ctx,
    );
    assert.deepEqual(await h.engine.alerts.check(), [], 'production was trained on the newest version');
    const more = syntheticCsv('binary', 1000, 8).replace(/,(good|bad)$/gm, (_m, l: string) => (l === 'good' ? ',bad' : ',good'));
    const extra = syntheticCsv('binary', 600, 9)
      .replace(/,(good|bad)$/gm, (_m, l: string) => (l === 'good' ? ',bad' : ',good'))
      .split('\n')
      .slice(1)
      .join('\n');
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'v3.csv', `${more.trimEnd()}\n${extra}`));
    const [fired] = await h.engine.alerts.check();
    assert.equal(fired!.status, 'firing');
    assert.match(fired!.message, /has 600 rows more than v2/);
    assert.match(fired!.message, /retrained: challenger v\d+ (promoted|not promoted)/);
    assert.equal(h.engine.registry.versions('churn').length, before + 1);
  });

  it('does not promote on a holdout of 7 rows (48 rows of data), and says why', async () => {
    const small = (seed: number, flip: boolean) => {
      const csv = syntheticCsv('binary', 48, seed);
      return flip ? csv.replace(/,(good|bad)$/gm, (_m, l: string) => (l === 'good' ? ',bad' : ',good')) : csv;
    };
    await h.engine.datasets.ingestCsv('tiny', writeFile(h.dataDir, 'tiny1.csv', small(21, false)));
    const job = h.engine.trainer.start({ dataset: 'tiny', target: 'label', algorithm: 'linear', model: 'tiny', seed: 4 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    // The world turned on the new data: a challenger would look far better on its few held-out rows.
    await h.engine.datasets.ingestCsv('tiny', writeFile(h.dataDir, 'tiny2.csv', small(22, true)));
    const result = await api['models.retrain']({ name: 'tiny' }, ctx);
    assert.equal(result.holdoutRows, 7);
    assert.deepEqual(result.minimumHoldout, { rows: 30, perClass: 10 });
    assert.equal(result.test, null);
    assert.equal(result.promoted, false);
    assert.equal(result.reason, 'holdout 7 rows < 30: not promoted');
    assert.equal(h.engine.registry.resolve('tiny'), 1);
  });

  it('refuses a model with no training run on this box, and --no-promote only reports', async () => {
    await assert.rejects(
      api['models.retrain']({ name: 'nope' }, ctx),
      (e: unknown) => e instanceof HearthError && e.code === 'NOT_FOUND',
    );
    const before = h.engine.registry.resolve('churn');
    const result = await api['models.retrain']({ name: 'churn', promote: false }, ctx);
    assert.equal(result.promoted, false);
    assert.equal(h.engine.registry.resolve('churn'), before);
  });
});
