import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { modelInputs, parseStoredModel, predictModel, predictUncalibrated, type TrainedModel } from '../../main/models/model.js';
import { rawInputsFromFrame } from '../../main/models/preprocess.js';
import { seededRandom } from '../../main/stats/random.js';
import { selectRows } from '../../main/table/frame.js';
import { evaluate } from '../../main/training/evaluation.js';
import { labelledSplit } from '../../main/training/labels.js';
import type { CalibrationReport } from '../../main/training/calibrate.js';
import { idleTrainingWorkers, prewarmTrainingWorker } from '../../main/training/worker-run.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

/** 4,000 rows, about one in nine positive: P(positive) = sigmoid(1.4·x1 − 0.8·x2 − 2.6). */
function imbalancedCsv(): string {
  const random = seededRandom(11);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const lines = ['x1,x2,x3,label'];
  for (let i = 0; i < 4000; i++) {
    const [x1, x2, x3] = [gaussian(), gaussian(), gaussian()];
    const p = 1 / (1 + Math.exp(-(1.4 * x1 - 0.8 * x2 - 2.6)));
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${x3.toFixed(4)},${random() < p ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('calibration in training', () => {
  const engine = Engine.open(tmp.dir);
  after(() => engine.close());

  it('a search with SMOTE and balanced class weights (miscalibrated by design) serves calibrated probabilities: lower test log loss', async (t) => {
    await engine.datasets.ingestCsv('rare', writeFile(tmp.dir, 'rare.csv', imbalancedCsv()));
    const args = {
      dataset: 'rare',
      target: 'label',
      algorithm: 'auto' as const,
      timeBudget: 3,
      classWeight: 'balanced' as const,
      resample: 'smote' as const,
      imbalance: 'none' as const,
      model: 'rare',
    };
    const job = engine.trainer.start(args);
    const done = await engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const info = engine.registry.version('rare', done.result!.version);
    const search = info.report.search as { metric: string; calibration: CalibrationReport };
    // The default objective for classification is log loss.
    assert.equal(search.metric, 'log_loss');
    const calibration = search.calibration;
    assert.deepEqual(
      calibration.compared.map((c) => c.method),
      ['none', 'platt', 'isotonic'],
    );
    // The final model's own check: the out-of-fold calibrator is served only when nothing does better on validation rows
    // neither saw: not the model as it is, nor a method chosen again on the final model's own validation predictions.
    assert.ok(calibration.validation !== undefined, JSON.stringify(calibration));
    const model = parseStoredModel(engine.registry.modelJson('rare', done.result!.version)) as TrainedModel;
    const { validation } = calibration;
    if (!validation.kept) {
      assert.ok(calibration.refit !== undefined && calibration.refit.rows <= validation.rows, JSON.stringify(calibration));
      assert.deepEqual(
        calibration.refit.compared.map((c) => c.method),
        ['none', 'platt', 'isotonic'],
      );
      const outOfFoldFailed =
        validation.withCalibrator > validation.without || validation.rocAucWith! < validation.rocAucWithout! - 0.002;
      const refitScore = calibration.refit.compared.find((c) => c.method === calibration.method)?.cv_log_loss;
      assert.ok(
        outOfFoldFailed || (refitScore !== undefined && refitScore < validation.withCalibrator),
        JSON.stringify(calibration),
      );
      t.diagnostic(`out-of-fold calibrator not kept: ${calibration.note}`);
      if (calibration.method === 'none') {
        assert.equal(model.calibrator, undefined);
        assert.match(
          calibration.note ?? '',
          /did not lower the final model's validation log loss|lowered the final model's validation ROC AUC/,
        );
        return;
      }
      assert.match(
        calibration.note ?? '',
        new RegExp(`${calibration.method} refitted on ${calibration.refit.rows} of the final model's validation rows`),
      );
    }
    assert.notEqual(
      calibration.method,
      'none',
      JSON.stringify({
        algorithm: info.algorithm,
        board: info.report.leaderboard,
        calibration,
        ensemble: (info.report.search as Record<string, unknown>).ensemble,
      }),
    );
    assert.ok(calibration.calibrator !== null);
    // Brier and ECE are reported beside log loss.
    for (const key of ['log_loss', 'brier', 'ece']) assert.ok(Number.isFinite(info.metrics[key]), key);

    // On the run's own test rows, the stored model with its calibrator against the same model without it.
    assert.deepEqual(model.calibrator, calibration.calibrator);
    const { frame } = engine.datasets.loadFrame('rare');
    const { split, classOf, classes } = labelledSplit(frame, args);
    const raw = rawInputsFromFrame({ features: modelInputs(model) }, selectRows(frame, split.test));
    const targets = Int32Array.from(split.test, (r) => classOf![r]!);
    const calibrated = evaluate('binary', predictModel(model, raw), targets, classes).metrics;
    const uncalibrated = evaluate('binary', predictUncalibrated(model, raw), targets, classes).metrics;
    t.diagnostic(
      `${info.algorithm}, calibration ${calibration.method}: test log loss ${calibrated.log_loss!.toFixed(4)} (uncalibrated ${uncalibrated.log_loss!.toFixed(4)}), ECE ${calibrated.ece!.toFixed(4)} (${uncalibrated.ece!.toFixed(4)}), AUC ${calibrated.roc_auc!.toFixed(4)} (${uncalibrated.roc_auc!.toFixed(4)})`,
    );
    assert.equal(calibrated.log_loss, info.metrics.log_loss);
    assert.ok(
      calibrated.log_loss! < uncalibrated.log_loss!,
      `test log loss ${calibrated.log_loss} calibrated against ${uncalibrated.log_loss} without`,
    );
    assert.ok(calibrated.ece! < uncalibrated.ece!, `ECE ${calibrated.ece} against ${uncalibrated.ece}`);
    // Ranking is kept: Platt is monotone, and centred isotonic strictly increasing between its block centres.
    assert.ok(calibrated.roc_auc! > uncalibrated.roc_auc! - 0.005, `AUC ${calibrated.roc_auc} against ${uncalibrated.roc_auc}`);
  });

  it('with log loss the search ranks candidates as they will be served: calibrated by cross-fitting, and the chosen one is the one it scored', async () => {
    const job = engine.trainer.start({
      dataset: 'rare',
      target: 'label',
      algorithm: 'auto',
      timeBudget: 4,
      model: 'rare-ranked',
    });
    const done = await engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const info = engine.registry.version('rare-ranked', done.result!.version);
    const board = info.report.leaderboard as { algorithm: string; cvMetric: number; cvCalibrated?: number }[];
    const search = info.report.search as { calibration: CalibrationReport; ensemble: { kept: boolean } | null };
    const ranked = board.filter((e) => e.cvCalibrated !== undefined);
    assert.ok(ranked.length >= 1, JSON.stringify(board));
    // "auto" may leave the probabilities as they are, so calibrated is never worse than raw (same folds, same loss).
    for (const e of ranked) assert.ok(e.cvCalibrated! <= e.cvMetric + 1e-9, JSON.stringify(e));
    // The board reads in the order the search chose by: calibrated where it was scored so.
    const rank = board.map((e) => e.cvCalibrated ?? e.cvMetric);
    assert.deepEqual(
      rank,
      [...rank].sort((a, b) => a - b),
    );
    // The chosen model is the board's first, or the more strongly penalised linear model the one-standard-error
    // rule took in its place (the run's notes say which); its calibration is the one its rank was scored with
    // (unless the final model's check dropped it).
    const notes = (info.report.budget as { notes: string[] } | undefined)?.notes ?? [];
    const rule = notes.map((n) => /^search: linear with L2 ([\d.e-]+) chosen over/.exec(n)).find((m) => m !== null);
    const chosen =
      rule === undefined
        ? board[0]!
        : board.find((e) => e.algorithm === 'linear' && (e as { params?: { l2?: number } }).params?.l2 === Number(rule[1]))!;
    assert.ok(chosen !== undefined, JSON.stringify(notes));
    assert.equal(info.algorithm, chosen.algorithm);
    const { calibration } = search;
    const scored = calibration.compared.find(
      (c) =>
        c.method ===
        (calibration.validation?.kept === false
          ? calibration.compared.reduce((b, c) => (c.cv_log_loss < b.cv_log_loss ? c : b)).method
          : calibration.method),
    );
    assert.ok(scored !== undefined);
    assert.ok(
      Math.abs(scored.cv_log_loss - chosen.cvCalibrated!) < 1e-12,
      `${scored.cv_log_loss} against ${chosen.cvCalibrated}`,
    );
  });

  it('calibration "none" leaves the probabilities as the model gives them; a wrong method is refused before queueing', async () => {
    const job = engine.trainer.start({
      dataset: 'rare',
      target: 'label',
      algorithm: 'auto',
      timeBudget: 1,
      calibration: 'none',
      model: 'rare-raw',
    });
    const done = await engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const model = parseStoredModel(engine.registry.modelJson('rare-raw', done.result!.version));
    assert.equal((model as TrainedModel).calibrator, undefined);
    const jobs = engine.trainer.list().length;
    assert.throws(
      () => engine.trainer.start({ dataset: 'rare', target: 'label', algorithm: 'auto', calibration: 'temperature' }),
      /does not apply to binary/,
    );
    assert.equal(engine.trainer.list().length, jobs);
  });
});

describe('training workers', () => {
  const engine = Engine.open(`${tmp.dir}/workers`);
  after(() => engine.close());

  it('a worker that finished a fit cleanly is reused for the next; a failed one is not', async () => {
    await engine.datasets.ingestCsv('few', writeFile(tmp.dir, 'few.csv', imbalancedCsv()));
    const first = await engine.trainer.wait(engine.trainer.start({ dataset: 'few', target: 'label', algorithm: 'linear' }).id);
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    // At most two wait, unreferenced (this process still ends when the tests do).
    const parked = idleTrainingWorkers();
    assert.ok(parked >= 1 && parked <= 2, `${parked} idle`);
    // A fold of an MLP cancelled mid-fit ends with an error reply: that worker is ended, not parked.
    const job = engine.trainer.start({ dataset: 'few', target: 'label', algorithm: 'mlp', epochs: 500 });
    while (engine.trainer.get(job.id).status === 'queued') await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    engine.trainer.cancel(job.id);
    const cancelled = await engine.trainer.wait(job.id);
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
    assert.ok(idleTrainingWorkers() <= parked - 1, `${idleTrainingWorkers()} idle after a cancelled fit (was ${parked})`);
  });

  it('a parked worker that fails while starting leaves the list instead of ending the process', () => {
    const script = fileURLToPath(new URL('../fixtures/prewarm-failing.js', import.meta.url));
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim()), { parked: 1, after: 0 });
  });

  it('a run starts a worker as it begins, unless one already waits (its start-up overlaps loading the table)', async () => {
    const before = idleTrainingWorkers();
    prewarmTrainingWorker();
    assert.equal(idleTrainingWorkers(), Math.max(1, before));
    prewarmTrainingWorker();
    assert.equal(idleTrainingWorkers(), Math.max(1, before), 'a second call starts no second worker');
    // The parked worker fits: a run takes it rather than starting another.
    const done = await engine.trainer.wait(engine.trainer.start({ dataset: 'few', target: 'label', algorithm: 'linear' }).id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.ok(idleTrainingWorkers() >= 1 && idleTrainingWorkers() <= 2);
  });
});
