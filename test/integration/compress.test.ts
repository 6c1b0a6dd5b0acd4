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
import { leafCount, refitHost, refitWithLeaves } from '../../main/training/compress-refit.js';
import { rocAuc } from '../../main/stats/metrics.js';
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
    // Shallower refits: half and a quarter of the run's 31 leaves, alone and in float32.
    for (const id of ['leaves-15', 'leaves-15+f32', 'leaves-15+narrow+f32', 'leaves-7', 'leaves-7+f32'])
      assert.ok(ids.includes(id), ids.join(' '));
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

  it('a refit at the 31 leaves of the run grows exactly the original trees (same rows, parameters, seed)', async () => {
    const { frame } = engine.datasets.loadFrame('t');
    const run = engine.trainer.runOf('g', 1)!;
    const info = engine.registry.version('g', 1);
    const original = stored('g', 1) as TreeModel;
    const source = {
      name: 'g',
      version: 1,
      model: original,
      args: run.args,
      report: info.report,
      params: info.params,
      trained: true,
    };
    const host = refitHost(new Int32Array(new SharedArrayBuffer(4)), () => undefined);
    const same = await refitWithLeaves(source, frame, labelledSplit(frame, run.args), 31, host);
    assert.deepEqual(same.model, original);
    // At 15 leaves the trees are really capped (the original's grew up to 31).
    assert.equal(Math.max(...original.trees.map(leafCount)), 31);
    const fifteen = await refitWithLeaves(source, frame, labelledSplit(frame, run.args), 15, host);
    assert.equal(Math.max(...fifteen.model.trees.map(leafCount)), 15);
    assert.equal(fifteen.model.trees.length, 100);
    // With the TypeScript kernel pinned, as `hearth backends pin gbdt typescript` pins it: that kernel grows them, and
    // the same trees.
    const pinned = refitHost(new Int32Array(new SharedArrayBuffer(4)), () => undefined, {
      pinnedKernel: () => 'typescript',
      unusableKernels: () => [],
    });
    const again = await refitWithLeaves(source, frame, labelledSplit(frame, run.args), 15, pinned);
    assert.equal(again.fitReport.kernel, 'typescript');
    assert.notEqual(fifteen.fitReport.kernel, 'typescript', 'a compiled kernel is built here');
    assert.deepEqual(again.model, fifteen.model);
  });

  it('leaves-15: trees of at most 15 leaves, its graph answers as its TypeScript model, judged on the same rows', async () => {
    const listed = job.result!.variants.find((v) => v.variant === 'leaves-15')!;
    assert.equal(listed.description, 'refit with 15 leaves per tree');
    assert.equal(typeof listed.pareto.size, 'boolean');
    assert.ok(listed.sizeBytes < job.result!.original.sizeBytes);
    const chosen = await client.call('models.compress-choose', { name: 'g', variant: 'leaves-15' });
    const model = stored('g', chosen.version) as TreeModel;
    assert.ok(model.trees.every((t) => leafCount(t) <= 15));
    assert.equal(chosen.params.maxLeaves, 15);
    const compression = chosen.report.compression as { lineage: string; refit: { maxLeaves: number; largestTreeLeaves: number } };
    assert.equal(compression.lineage, 'compressed from v1: refit with 15 leaves per tree');
    assert.equal(compression.refit.largestTreeLeaves, 15);
    // The ONNX graph against the TypeScript trees on the test rows.
    const test = rowsOf('test');
    const raw = test.raw(model);
    const session = await createSession(engine.registry.onnxBytes('g', chosen.version));
    const served = await new Predictor('', 0, model, session).run(raw);
    await session.session.release();
    const reference = predictModel(model, raw);
    assert.ok(maxAbsDifference(served, reference) <= 1e-5, `${maxAbsDifference(served, reference)}`);
    // The metric is on the run's own test rows: recomputed here from the trees' probabilities of those rows.
    if (reference.kind !== 'classification') throw new Error('binary');
    const positive = Float64Array.from({ length: raw.rows }, (_, i) => reference.probabilities[2 * i + 1]!);
    const auc = rocAuc(Uint8Array.from(test.targets), positive);
    assert.ok(Math.abs(auc - chosen.metrics.roc_auc!) < 1e-6, `${auc} vs ${chosen.metrics.roc_auc}`);
    assert.equal(chosen.metrics.roc_auc, listed.test);
    assert.equal(chosen.report.split && (chosen.report.split as { test: number }).test, test.targets.length);
    // Not the original's answers: a real refit.
    assert.ok(maxAbsDifference(reference, predictModel(stored('g', 1), raw)) > 1e-3);
  });

  it('choosing leaves-15+f32 twice gives byte-identical graphs; a refit composes with truncation', async () => {
    const first = await client.call('models.compress-choose', { name: 'g', variant: 'leaves-15+f32' });
    const second = await client.call('models.compress-choose', { name: 'g', variant: 'leaves-15+f32' });
    assert.notEqual(first.version, second.version);
    assert.deepEqual(engine.registry.onnxBytes('g', first.version), engine.registry.onnxBytes('g', second.version));
    assert.equal(engine.registry.modelJson('g', first.version), engine.registry.modelJson('g', second.version));
    assert.equal(
      (first.report.compression as { lineage: string }).lineage,
      'compressed from v1: refit with 15 leaves per tree, float32',
    );
    assert.equal((stored('g', first.version) as TreeModel).precision, 'float32');
    const truncated = await client.call('models.compress-choose', { name: 'g', variant: 'leaves-7+rounds-40' });
    const model = stored('g', truncated.version) as TreeModel;
    assert.equal(model.trees.length, 40);
    assert.ok(model.trees.every((t) => leafCount(t) <= 7));
    assert.equal(
      (truncated.report.compression as { lineage: string }).lineage,
      'compressed from v1: refit with 7 leaves per tree, first 40 of 100 rounds (40 of 100 trees)',
    );
  });

  it('a forest refits shallower too', async () => {
    const started = engine.trainer.start({ dataset: 't', target: 'label', algorithm: 'forest', model: 'f', trees: 20, seed: 3 });
    const done = await engine.trainer.wait(started.id);
    assert.equal(done.status, 'succeeded', done.error?.message);
    const original = stored('f', 1) as TreeModel;
    // 2,100 training rows, two rows a leaf at least: the 1,024-leaf cap is not reached, so 512 is offered only if a
    // tree grew past it.
    const largest = Math.max(...original.trees.map(leafCount));
    assert.ok(largest > 16 && largest < 1024, `${largest}`);
    const chosen = await client.call('models.compress-choose', { name: 'f', variant: 'leaves-16' });
    const model = stored('f', chosen.version) as TreeModel;
    assert.equal(model.trees.length, 20);
    assert.equal(Math.max(...model.trees.map(leafCount)), 16);
    assert.ok(chosen.metrics.roc_auc! > 0.6, `${chosen.metrics.roc_auc}`);
  });

  it('a cancel stops a job in its refits', async () => {
    const started = await client.call('models.compress', { name: 'g50' });
    for (let i = 0; i < 2000; i++) {
      const now = engine.compressor.get(started.id);
      if (now.status !== 'running' || (now.progress.current ?? '').startsWith('leaves-')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.match(engine.compressor.get(started.id).progress.current ?? '', /^leaves-/);
    await client.call('models.compress-cancel', { jobId: started.id });
    const done = await engine.compressor.wait(started.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.error!.code, 'CANCELLED');
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
    // A refit must be shallower than the run's, come first, and refit the run itself (not a variant of it).
    await assert.rejects(
      client.call('models.compress-choose', { name: 'g', variant: 'leaves-31' }),
      /leaves-31 is not a shallower refit of g v1: its run grew up to 31 leaves per tree \(use 2 to 30\)/,
    );
    await assert.rejects(client.call('models.compress-choose', { name: 'g', variant: 'leaves-1' }), /not a shallower refit/);
    await assert.rejects(client.call('models.compress-choose', { name: 'g', variant: 'leaves-999999' }), /not a shallower refit/);
    await assert.rejects(client.call('models.compress-choose', { name: 'g', variant: 'f32+leaves-7' }), /leaves-N comes first/);
    await assert.rejects(
      client.call('models.compress-choose', { name: 'g', version: 2, variant: 'leaves-7' }),
      /NOT_SUPPORTED|g v2 is a variant/,
    );
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
    assert.match(
      table.stdout,
      /\nleaves-7\+f32 +[\d.]+ +[\d.]+ +[\d.]+ +0\.\d{4} +0\.\d{4} +[+-]0\.\d{4} +\S+ +ok +refit with 7 leaves per tree, float32/,
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
    assert.ok(!mjob.result!.variants.some((v) => v.variant.startsWith('leaves-')));
    await assert.rejects(client.call('models.compress-choose', { name: 'm', variant: 'leaves-7' }), /tree models only/);
  });
});
