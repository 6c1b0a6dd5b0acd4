import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { dispatch } from '../../main/api/dispatch.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient, type Client } from '../../main/contracts/client.js';
import type { CompressJob } from '../../main/contracts/compress.js';
import { Engine } from '../../main/engine/engine.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { Predictor } from '../../main/models/predictor.js';
import { exportModelToOnnx, modelInputs, parseStoredModel, predictModel, type TrainedModel } from '../../main/models/model.js';
import { rawInputsFromFrame, type RawInputs } from '../../main/models/preprocess.js';
import { treeContributions } from '../../main/models/compress/trees.js';
import { marginLoss } from '../../main/models/compress/loss.js';
import { labelledSplit } from '../../main/training/labels.js';
import { maxAbsDifference } from '../../main/training/export-check.js';
import { seededRandom } from '../../main/stats/random.js';
import type { TreeModel } from '../../main/models/tree-model.js';
import { tempDir, writeFile } from '../helpers.js';

/** A binary table with a constant column (no tree can split on it: "narrow" must drop it) and some noise. */
function table(rows: number): string {
  const random = seededRandom(11);
  const lines = ['a,b,c,noise,constant,colour,label'];
  const colours = ['red', 'green', 'blue'];
  for (let i = 0; i < rows; i++) {
    const a = random() * 4 - 2;
    const b = random() * 4 - 2;
    const c = random() * 4 - 2;
    const colour = colours[i % 3]!;
    const s = 1.5 * a - b * c + (colour === 'red' ? 0.8 : 0) + 0.5 * Math.sin(3 * b);
    const y = random() < 1 / (1 + Math.exp(-s)) ? 'yes' : 'no';
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${random().toFixed(4)},7,${colour},${y}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('models compress', () => {
  const tmp = tempDir();
  let engine: Engine;
  let client: Client;
  let job: CompressJob;

  before(async () => {
    engine = Engine.open(`${tmp.dir}/data`);
    client = createClient(inProcessTransport(engine, createHandlers(engine)));
    await engine.datasets.ingestCsv('t', writeFile(tmp.dir, 't.csv', table(3000)));
    for (const [model, trees] of [
      ['g', 100],
      ['g50', 50],
    ] as const) {
      const started = engine.trainer.start({
        dataset: 't',
        target: 'label',
        algorithm: 'gbdt',
        model,
        trees,
        earlyStoppingRounds: 0,
        learningRate: 0.1,
        seed: 3,
      });
      const done = await engine.trainer.wait(started.id);
      assert.equal(done.status, 'succeeded', done.error?.message);
    }
  });
  after(async () => {
    engine.close();
    tmp.cleanup();
  });

  const stored = (name: string, version: number): TrainedModel =>
    parseStoredModel(engine.registry.modelJson(name, version)) as TrainedModel;
  const rowsOf = (which: 'validation' | 'test'): { raw: (m: TrainedModel) => RawInputs; targets: Int32Array } => {
    const { frame } = engine.datasets.loadFrame('t');
    const { split, classOf } = labelledSplit(frame, { dataset: 't', target: 'label', algorithm: 'gbdt', seed: 3 });
    const rows = split[which];
    return {
      raw: (m) => {
        const all = rawInputsFromFrame({ features: modelInputs(m) }, frame);
        return {
          rows: rows.length,
          numeric: all.numeric.map((c) => Float64Array.from(rows, (r) => c[r]!)),
          categorical: all.categorical.map((c) => Array.from(rows, (r) => c[r]!)),
        };
      },
      targets: Int32Array.from(rows, (r) => classOf![r]!),
    };
  };

  it('evaluates the candidates and marks a frontier', async () => {
    job = await client.call('models.compress', { name: 'g', metric: 'roc_auc' });
    job = await engine.compressor.wait(job.id);
    assert.equal(job.status, 'succeeded', job.error?.message);
    const ids = job.result!.variants.map((v) => v.variant);
    for (const id of ['f32', 'rounds-50', 'rounds-25', 'rounds-50+narrow+f32']) assert.ok(ids.includes(id), ids.join(' '));
    assert.ok(ids.some((id) => id.startsWith('prune-')));
    assert.equal(job.metric, 'roc_auc');
    // Every graph answered as its TypeScript reference did.
    for (const v of [job.result!.original, ...job.result!.variants]) assert.ok(v.parity <= v.parityTolerance, v.variant);
    // The original's loss is 0 by definition; the smallest variant is on the size frontier.
    assert.equal(job.result!.original.loss, 0);
    const all = [job.result!.original, ...job.result!.variants];
    const smallest = all.reduce((a, b) => (b.sizeBytes < a.sizeBytes ? b : a));
    assert.ok(smallest.pareto.size);
    // A point another beats on both counts is not marked.
    for (const p of all)
      if (all.some((q) => q.sizeBytes < p.sizeBytes && q.loss < p.loss)) assert.equal(p.pareto.size, false, p.variant);
    // float32 halves the thresholds' and leaves' bytes: a measured, real saving.
    assert.ok(job.result!.variants.find((v) => v.variant === 'f32')!.sizeBytes < 0.8 * job.result!.original.sizeBytes);
  });

  it('truncating 100 trees at 50 rounds gives exactly the 50-tree model of the same run', async () => {
    const chosen = await client.call('models.compress-choose', { name: 'g', variant: 'rounds-50' });
    const fifty = stored('g50', 1);
    const truncated = stored('g', chosen.version);
    const raw = rowsOf('test').raw(fifty);
    const a = predictModel(fifty, raw);
    const b = predictModel(truncated, raw);
    assert.equal(maxAbsDifference(a, b), 0);
    // And the served graph of the registered variant says the same.
    const session = await createSession(engine.registry.onnxBytes('g', chosen.version));
    const served = await new Predictor('', 0, truncated, session).run(raw);
    await session.session.release();
    assert.ok(maxAbsDifference(served, a) < 1e-9);
    // One round's tree splits on few features: narrowing drops the others and answers the same.
    const one = await client.call('models.compress-choose', { name: 'g', variant: 'rounds-1+narrow' });
    const narrow = stored('g', one.version) as TreeModel;
    const used = new Set(narrow.trees.flatMap((t) => t.feature.filter((f) => f >= 0)));
    assert.equal(narrow.features.length, used.size);
    assert.ok(narrow.features.length < 5, `${narrow.features.length}`);
    assert.match(
      (one.report.compression as { lineage: string }).lineage,
      /^compressed from v1: first 1 of 100 rounds \(1 of 100 trees\), \d of 5 features$/,
    );
    const wide = (await client.call('models.compress-choose', { name: 'g', variant: 'rounds-1' })).version;
    const full = stored('g', wide);
    assert.equal(
      maxAbsDifference(predictModel(narrow, rowsOf('test').raw(narrow)), predictModel(full, rowsOf('test').raw(full))),
      0,
    );
  });

  it('the float32 variant differs from the float64 model by less than 1e-5', async () => {
    const chosen = await client.call('models.compress-choose', { name: 'g', variant: 'f32' });
    const original = stored('g', 1);
    const single = stored('g', chosen.version);
    const raw = rowsOf('test').raw(original);
    const session = await createSession(engine.registry.onnxBytes('g', chosen.version));
    const served = await new Predictor('', 0, single, session).run(raw);
    await session.session.release();
    // Rounding moves leaves by < 1e-7 each; a row can only change leaf where its value and a threshold round to
    // the same float (two doubles an ulp apart), which few rows do.
    const reference = predictModel(original, raw);
    if (served.kind !== 'classification' || reference.kind !== 'classification') throw new Error('binary');
    let close = 0;
    for (let i = 0; i < raw.rows; i++)
      if (Math.abs(served.probabilities[2 * i + 1]! - reference.probabilities[2 * i + 1]!) < 1e-5) close++;
    assert.ok(close >= 0.99 * raw.rows, `${close} of ${raw.rows} within 1e-5`);
    assert.ok(maxAbsDifference(served, reference) > 0);
  });

  it('pruning reports the validation loss it reaches, and registers with lineage, own metrics, unpromoted', async () => {
    const prune = job.result!.variants.find((v) => v.variant.startsWith('prune-') && !v.variant.includes('+'))!;
    const chosen = await client.call('models.compress-choose', { name: 'g', variant: prune.variant });
    const pruned = stored('g', chosen.version) as TreeModel;
    const kept = Number(prune.variant.slice('prune-'.length));
    assert.equal(pruned.trees.length, kept);
    // The validation log loss of the pruned trees, recomputed here from its margins, is what was reported.
    const validation = rowsOf('validation');
    const parts = treeContributions(pruned, validation.raw(pruned));
    const margins = new Float64Array(validation.targets.length).fill(pruned.baseScore[0]!);
    for (const c of parts) for (let i = 0; i < c.length; i++) margins[i]! += c[i]!;
    const loss = marginLoss('binary', margins, 1, validation.targets);
    assert.ok(Math.abs(loss - prune.validationLoss!.after) < 1e-12, `${loss} vs ${prune.validationLoss!.after}`);
    const report = chosen.report.compression as { lineage: string; from: number };
    assert.equal(report.from, 1);
    assert.equal(report.lineage, `compressed from v1: ${kept} of 100 trees (pruned on validation)`);
    assert.ok(chosen.metrics.roc_auc! > 0.5);
    assert.equal(chosen.metrics.roc_auc, prune.test);
    assert.equal(chosen.report.predictLatencyUs !== undefined, true);
    assert.deepEqual(chosen.aliases, []);
    assert.equal(engine.registry.resolve('g'), 1);
    // A variant of a variant still finds the run's rows (through its lineage).
    const again = await client.call('models.compress', { name: 'g', version: chosen.version, maxSizeKb: 0.001 });
    const failed = await engine.compressor.wait(again.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error!.code, 'VALIDATION_FAILED');
    assert.match(failed.error!.message, /no variant of g v\d+ meets the limits; the best achievable: [\d.]+ KB/);
  });

  it('refuses a viewer, an unknown step and a step of another learner', async () => {
    const denied = await dispatch(
      createHandlers(engine),
      'models.compress',
      { name: 'g' },
      { transport: 'in-process', principal: { name: 'v', role: 'viewer' } },
      engine.access,
    );
    assert.equal(denied.ok, false);
    assert.equal(!denied.ok && denied.error.code, 'FORBIDDEN');
    const before = engine.registry.versions('g').length;
    await assert.rejects(
      client.call('models.compress-choose', { name: 'g', variant: 'rounds-0' }),
      /VALIDATION_FAILED|not a compression step/,
    );
    await assert.rejects(client.call('models.compress-choose', { name: 'g', variant: 'int8' }), /MLPs only/);
    await assert.rejects(client.call('models.compress-choose', { name: 'g', variant: 'prune-99' }), /not on the pruning path/);
    assert.equal(engine.registry.versions('g').length, before);
  });

  it('the CLI prints the frontier, refuses a limit nobody meets with the best achievable, and registers a choice', (t) => {
    engine.close();
    t.after(() => {
      engine = Engine.open(`${tmp.dir}/data`);
      client = createClient(inProcessTransport(engine, createHandlers(engine)));
    });
    const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
    const hearth = (...args: string[]) =>
      spawnSync(process.execPath, [bin, ...args, '--data-dir', `${tmp.dir}/data`], {
        encoding: 'utf8',
        env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      });
    const table = hearth('models', 'compress', 'g@1', '--metric', 'roc_auc', '--max-loss', '0.5');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^g v1: \d+ variants on \d+ validation and \d+ test rows/);
    assert.match(
      table.stdout,
      /\nrounds-50 +[\d.]+ +[\d.]+ +[\d.]+ +0\.\d{4} +0\.\d{4} +[+-]0\.\d{4} +\S+ +ok +first 50 of 100 rounds/,
    );
    const refused = hearth('models', 'compress', 'g', '--max-size', '0.001', '--json');
    assert.equal(refused.status, 1);
    const error = (
      JSON.parse(refused.stdout) as { error: { code: string; message: string; details: { best: { smallestKb: number } } } }
    ).error;
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.match(error.message, /^no variant of g v1 meets the limits; the best achievable: [\d.]+ KB, [\d.]+ µs p50/);
    assert.ok(error.details.best.smallestKb > 0.001);
    const chosen = hearth('models', 'compress', 'g@1', '--choose', 'rounds-10+narrow+f32');
    assert.equal(chosen.status, 0, chosen.stderr);
    assert.match(
      chosen.stdout,
      /^Registered g v\d+ \(compressed from v1: first 10 of 100 rounds \(10 of 100 trees\), \d of 5 features, float32\); not promoted/,
    );
    const bad = hearth('models', 'compress', 'g', '--max-size', 'lots');
    assert.equal(bad.status, 2, bad.stderr);
  });

  it('an int8 MLP answers as its own dequantised reference; float16 too', async () => {
    const started = engine.trainer.start({
      dataset: 't',
      target: 'label',
      algorithm: 'mlp',
      model: 'm',
      hiddenLayers: [32, 16],
      epochs: 30,
      seed: 3,
    });
    const done = await engine.trainer.wait(started.id);
    assert.equal(done.status, 'succeeded', done.error?.message);
    const mjob = await engine.compressor.wait((await client.call('models.compress', { name: 'm' })).id);
    assert.equal(mjob.status, 'succeeded', mjob.error?.message);
    const int8 = mjob.result!.variants.find((v) => v.variant === 'int8')!;
    assert.ok(int8.parity <= 1e-5, `${int8.parity}`);
    assert.ok(int8.sizeBytes < mjob.result!.original.sizeBytes);
    const chosen = await client.call('models.compress-choose', { name: 'm', variant: 'int8' });
    const model = stored('m', chosen.version);
    assert.equal(model.format === 'hearth.mlp/1' && model.weights, 'int8');
    const raw = rowsOf('test').raw(model);
    const onnx = engine.registry.onnxBytes('m', chosen.version);
    // The same graph the exporter writes now, and ONNX Runtime's answers against the TypeScript int8 arithmetic.
    assert.deepEqual(Buffer.from(exportModelToOnnx(model, engine.version)), onnx);
    const session = await createSession(onnx);
    const served = await new Predictor('', 0, model, session).run(raw);
    await session.session.release();
    assert.ok(maxAbsDifference(served, predictModel(model, raw)) <= 1e-5);
    // Quantisation changes the answers a little, not a lot.
    const float = predictModel(stored('m', 1), raw);
    const drift = maxAbsDifference(served, float);
    assert.ok(drift > 0 && drift < 0.1, `${drift}`);
    assert.ok(mjob.result!.variants.find((v) => v.variant === 'f16')!.parity <= 1e-5);
  });
});
