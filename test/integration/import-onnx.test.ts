import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { startHarness, type Harness } from './harness.js';

const ctx = { transport: 'in-process' } as const;
const fixtureScript = fileURLToPath(new URL('../../../test/fixtures/foreign_onnx.py', import.meta.url));

function readCsvRows(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

describe('models made elsewhere: hearth models import FILE.onnx', () => {
  let h: Harness;
  let api: Handlers;
  let dir: string;
  before(async () => {
    h = await startHarness('in-process');
    api = createHandlers(h.engine);
    dir = join(h.dataDir, 'foreign');
    // scikit-learn fits the models and the onnx package writes the graphs: nothing of Hearth's own exporter.
    const made = spawnSync('/usr/bin/python3', [fixtureScript, dir], { encoding: 'utf8' });
    assert.equal(made.status, 0, `foreign_onnx.py (needs python3-onnx and python3-sklearn): ${made.stderr}`);
  });
  after(() => h?.close());

  it('reads the schema from the graph and predicts what scikit-learn predicts', async () => {
    const info = await api['models.import'](
      {
        name: 'iris',
        path: join(dir, 'iris.onnx'),
        target: 'species',
        features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
        referencePath: join(dir, 'iris_train.csv'),
      },
      ctx,
    );
    assert.equal(info.task, 'multiclass');
    assert.equal(info.algorithm, 'onnx');
    assert.deepEqual(
      info.inputSchema.map((i) => `${i.name}:${i.type}`),
      ['sepal_length:double', 'sepal_width:double', 'petal_length:double', 'petal_width:double'],
    );
    assert.equal(info.origin?.url, 'file:iris.onnx');
    assert.deepEqual([info.dataset.name, info.dataset.version], ['iris-reference', 1]);
    assert.deepEqual(h.engine.registry.list()[0]!.aliases, { production: 1 });
    // The predict form's schema: numbers with the reference data's ranges, and no explainer for a foreign graph.
    const schema = await api['models.schema']({ name: 'iris' }, ctx);
    assert.deepEqual(
      schema.inputs.map((i) => i.kind),
      ['number', 'number', 'number', 'number'],
    );
    const lengths = readCsvRows(join(dir, 'iris_train.csv')).map((r) => Number(r.sepal_length));
    assert.deepEqual([schema.inputs[0]!.min, schema.inputs[0]!.max], [Math.min(...lengths), Math.max(...lengths)]);
    assert.equal(schema.explain, null);
    assert.match(schema.explainRefusal ?? '', /imported ONNX graphs carry no explainer/);
    assert.deepEqual(schema.rangesFrom, { dataset: 'iris-reference', version: 1 });

    const expected = readCsvRows(join(dir, 'iris_expected.csv'));
    const rows = expected.map((r) => ({
      sepal_length: Number(r.sepal_length),
      sepal_width: Number(r.sepal_width),
      petal_length: Number(r.petal_length),
      petal_width: Number(r.petal_width),
    }));
    const answer = await api['models.predict']({ name: 'iris', rows }, ctx);
    assert.equal(answer.predictions.length, 40);
    let worst = 0;
    answer.predictions.forEach((p, i) => {
      assert.ok('probabilities' in p);
      for (const c of ['setosa', 'versicolor', 'virginica']) {
        worst = Math.max(worst, Math.abs(p.probabilities[c]! - Number(expected[i]![`p_${c}`])));
      }
      const best = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0]![0];
      assert.equal(p.label, best);
    });
    // The graph computes in float32: agreement to float32's precision.
    assert.ok(worst < 1e-5, `largest difference from scikit-learn ${worst}`);
  });

  it('names the features of a wide input from the graph metadata, and reads a regressor', async () => {
    const info = await api['models.import']({ name: 'diabetes', path: join(dir, 'diabetes.onnx'), target: 'progression' }, ctx);
    assert.equal(info.task, 'regression');
    assert.deepEqual(
      info.inputSchema.map((i) => i.name),
      ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
    );
    // No reference data: the schema has the graph's inputs and says it knows no ranges.
    const schema = await api['models.schema']({ name: 'diabetes' }, ctx);
    assert.equal(schema.rangesFrom, null);
    assert.ok(schema.inputs.every((i) => i.kind === 'number' && i.min === null && i.max === null));
    const expected = readCsvRows(join(dir, 'diabetes_expected.csv'));
    const rows = expected.map((r) => Object.fromEntries(info.inputSchema.map((i) => [i.name, Number(r[i.name])])));
    const answer = await api['models.predict']({ name: 'diabetes', rows }, ctx);
    answer.predictions.forEach((p, i) => {
      assert.ok('value' in p);
      assert.ok(Math.abs(p.value - Number(expected[i]!.expected)) < 1e-3, `row ${i}: ${p.value} vs ${expected[i]!.expected}`);
    });
    // A row missing a float input is NaN to the graph; one with text is refused with the row and column.
    await assert.rejects(api['models.predict']({ name: 'diabetes', rows: [{ ...rows[0], bmi: 'heavy' }] }, ctx), {
      code: 'VALIDATION_FAILED',
      message: /"bmi" must be a number/,
    });
  });

  it('measures drift against the reference data that came with the model', async () => {
    const train = readCsvRows(join(dir, 'iris_train.csv'));
    const rows = train.map((r) => ({
      sepal_length: Number(r.sepal_length),
      sepal_width: Number(r.sepal_width),
      // Planted shift: petals 2.5 cm longer than the model ever saw.
      petal_length: Number(r.petal_length) + 2.5,
      petal_width: Number(r.petal_width),
    }));
    await api['models.predict']({ name: 'iris', rows }, ctx);
    const report = await api['models.drift']({ name: 'iris' }, ctx);
    const drifted = report.features.columns.filter((c) => c.drifted).map((c) => c.column);
    assert.ok(drifted.includes('petal_length'), `drifted: ${drifted.join(', ')}`);
    assert.ok(!drifted.includes('sepal_width'), `drifted: ${drifted.join(', ')}`);
  });

  it('refuses graphs it cannot feed, and a conflicting name, storing nothing', async () => {
    const models = h.engine.registry.list().length;
    const datasets = h.engine.datasets.list().map((d) => `${d.name}:${d.versions}`);
    await assert.rejects(api['models.import']({ name: 'image', path: join(dir, 'bad_rank3.onnx') }, ctx), {
      code: 'INVALID_INPUT',
      message: /input "image" has 4 dimensions/,
    });
    await assert.rejects(
      api['models.import']({ name: 'iris', path: join(dir, 'diabetes.onnx'), referencePath: join(dir, 'iris_train.csv') }, ctx),
      { code: 'CONFLICT' },
    );
    await assert.rejects(api['models.import']({ name: 'junk', path: join(dir, 'iris_train.csv') }, ctx), {
      code: 'INVALID_INPUT',
    });
    assert.equal(h.engine.registry.list().length, models);
    assert.deepEqual(
      h.engine.datasets.list().map((d) => `${d.name}:${d.versions}`),
      datasets,
    );
  });
});
