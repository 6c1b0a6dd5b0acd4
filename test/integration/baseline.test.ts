import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BaselineComparison } from '../../main/contracts/api.js';
import { sampleDataset } from '../../main/cli/commands/serve.js';
import { startHarness, type Harness } from './harness.js';

/** The bundled sample, trained as `hearth start` trains it and as it used to (a linear model). */
describe('the bundled sample beside its baseline', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('in-process');
    await h.engine.datasets.ingestCsv(sampleDataset.name, sampleDataset.file);
  });
  after(() => h?.close());

  const train = async (args: { algorithm: 'linear' | 'auto'; model: string; timeBudget?: number }) => {
    const job = h.engine.trainer.start({ dataset: sampleDataset.name, target: sampleDataset.target, ...args });
    const done = await h.engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded', done.error?.message);
    return h.engine.registry.version(done.result!.model, done.result!.version);
  };

  it('the old first model, a linear one, is warned: 0.891 accuracy where always answering "None" scores 0.894', async () => {
    const info = await train({ algorithm: 'linear', model: 'linear-first' });
    const baseline = info.report.baseline as BaselineComparison;
    assert.equal(baseline.kind, 'majority');
    assert.equal(baseline.answer, 'None');
    // 1,341 of the 1,500 test rows are "None" (the seeded default split).
    assert.equal(baseline.rows, 1500);
    assert.equal(baseline.metrics.accuracy, 1341 / 1500);
    assert.equal(baseline.metrics.roc_auc, 0.5);
    assert.ok(info.metrics.accuracy! < baseline.metrics.accuracy, `${info.metrics.accuracy}`);
    assert.equal(baseline.beaten, false);
    const warnings = info.report.warnings as { code?: string; message: string }[];
    const below = warnings.find((w) => w.code === 'BELOW_BASELINE');
    assert.ok(below !== undefined, JSON.stringify(warnings));
    assert.match(below.message, /does not clearly beat always answering "None" on the 1500 evaluation rows/);
  });

  it('the model `hearth start` trains (a short search) beats it, or carries the warning', async () => {
    const info = await train({ algorithm: 'auto', timeBudget: sampleDataset.timeBudget, model: sampleDataset.model });
    const baseline = info.report.baseline as BaselineComparison;
    assert.equal(baseline.metrics.accuracy, 1341 / 1500);
    const warned = (info.report.warnings as { code?: string }[]).some((w) => w.code === 'BELOW_BASELINE');
    assert.equal(warned, !baseline.beaten);
    // Measured on a quiet machine: accuracy 0.895 and log loss 0.378 against the prior's 0.451 (p ≈ 1e-11), so
    // beaten with no warning. A time-budgeted search may pick another model on a loaded one, so only the ranking,
    // far from chance whatever it picks, is pinned here beside the rule that the warning follows the verdict.
    assert.ok(info.metrics.roc_auc! > baseline.metrics.roc_auc! + 0.2, `roc_auc ${info.metrics.roc_auc}`);
  });
});
