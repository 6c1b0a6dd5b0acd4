import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { ApiError } from '../../main/contracts/client.js';
import { loadOrt } from '../../main/accel/ort-load.js';
import type { EnsembleModel } from '../../main/models/ensemble-model.js';
import { exportModelToOnnx, onnxInputSchema, type TrainedModel } from '../../main/models/model.js';
import { knownLinear } from '../fixtures/known-linear.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';

const fixtureScript = fileURLToPath(new URL('../../../test/fixtures/foreign_onnx.py', import.meta.url));

const expectCode = async (promise: Promise<unknown>, code: string): Promise<ApiError> => {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.code, code, error.message);
  return error;
};

describe('registry aliases, ONNX export and explanations (issue 19, items 8–10)', () => {
  let h: Harness;
  let url: string;
  const tokens: Record<'viewer' | 'analyst', string> = { viewer: '', analyst: '' };

  before(async () => {
    h = await startHarness('http');
    url = h.server!.url;
    await h.engine.datasets.ingestCsv('customers', writeFile(h.dataDir, '../customers.csv', syntheticCsv('binary', 400)));
    const datasetVersionId = (await h.engine.datasets.detail('customers', 1)).id;
    const register = (model: string, stored: TrainedModel, algorithm: string) =>
      h.engine.registry.register({
        model,
        algorithm,
        task: stored.task,
        target: stored.target,
        datasetVersionId,
        params: {},
        metrics: {},
        report: {},
        inputSchema: onnxInputSchema(stored),
        onnx: exportModelToOnnx(stored, 'test'),
        modelJson: JSON.stringify(stored),
      });
    register('known', knownLinear(-0.2), 'linear');
    register('known', knownLinear(0.4), 'linear');
    const blend: EnsembleModel = {
      format: 'hearth.ensemble/1',
      task: 'binary',
      target: 'label',
      classes: ['bad', 'good'],
      members: [knownLinear(-0.2), { ...knownLinear(1), weights: [-0.4, 0, 0.9, 0.2] }],
      weights: [0.25, 0.75],
    };
    register('blend', blend, 'ensemble');
    for (const role of ['viewer', 'analyst'] as const)
      tokens[role] = (await h.client.call('tokens.create', { name: `${role}-1`, role })).token;
  });
  after(() => h?.close());

  const post = (method: string, token: string, body: unknown, accept = 'application/json') =>
    fetch(`${url}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, accept },
      body: JSON.stringify(body),
    });
  const aliases = async (name: string) => (await h.client.call('models.list', {})).find((m) => m.name === name)!.aliases;

  it('sets, moves, rolls back and removes any alias; production moves only when no alias is named', async () => {
    assert.deepEqual(await h.client.call('models.promote', { name: 'known', version: 2, alias: 'staging' }), {
      model: 'known',
      alias: 'staging',
      version: 2,
      previousVersion: null,
    });
    assert.deepEqual(await aliases('known'), { production: 1, staging: 2 });
    const moved = await h.client.call('models.promote', { name: 'known', version: 1, alias: 'staging' });
    assert.deepEqual([moved.alias, moved.version, moved.previousVersion], ['staging', 1, 2]);
    assert.deepEqual(await aliases('known'), { production: 1, staging: 1 });
    const back = await h.client.call('models.rollback', { name: 'known', alias: 'staging' });
    assert.deepEqual([back.alias, back.version], ['staging', 2]);
    // Requests without a version still go to production.
    assert.equal((await h.client.call('models.predict', { name: 'known', rows: [{ x1: 1 }] })).version, 1);
    assert.deepEqual(await h.client.call('models.remove-alias', { name: 'known', alias: 'staging' }), {
      model: 'known',
      alias: 'staging',
      removedVersion: 2,
    });
    assert.deepEqual(await aliases('known'), { production: 1 });
    await expectCode(h.client.call('models.remove-alias', { name: 'known', alias: 'staging' }), 'NOT_FOUND');
    await expectCode(h.client.call('models.remove-alias', { name: 'known', alias: 'production' }), 'CONFLICT');
    // An analyst may move an alias, as they may promote; the move is audited.
    const byAnalyst = await post('models.promote', tokens.analyst, { name: 'known', version: 2, alias: 'canary-2' });
    assert.equal(byAnalyst.status, 200);
    const audit = await h.client.call('audit.list', { limit: 20 });
    assert.ok(audit.some((e) => e.action === 'models.promote' && e.actor === 'analyst-1' && e.outcome === 'ok'));
    assert.ok(audit.some((e) => e.action === 'models.remove-alias' && e.outcome === 'ok'));
  });

  it('refuses a viewer and odd alias names with coded errors, leaving the aliases as they were', async () => {
    const before = await aliases('known');
    for (const [method, body] of [
      ['models.promote', { name: 'known', version: 1, alias: 'canary-2' }],
      ['models.rollback', { name: 'known', alias: 'canary-2' }],
      ['models.remove-alias', { name: 'known', alias: 'canary-2' }],
    ] as const) {
      const response = await post(method, tokens.viewer, body);
      assert.equal(response.status, 403, method);
      assert.equal(((await response.json()) as { code: string }).code, 'FORBIDDEN');
    }
    const audit = await h.client.call('audit.list', { limit: 20 });
    assert.ok(audit.some((e) => e.action === 'models.promote' && e.actor === 'viewer-1' && e.outcome === 'denied'));
    for (const alias of ['', 'a b', '../x', '.hidden', 'x/y', '2', 'a'.repeat(129), 'é', 'staging\n']) {
      await expectCode(h.client.call('models.promote', { name: 'known', version: 1, alias }), 'VALIDATION_FAILED');
      await expectCode(h.client.call('models.remove-alias', { name: 'known', alias }), 'VALIDATION_FAILED');
    }
    await expectCode(h.client.call('models.promote', { name: 'known', version: 9, alias: 'staging' }), 'NOT_FOUND');
    assert.deepEqual(await aliases('known'), before);
  });

  it('exports the served graph with its metadata: ONNX checker passes, a fresh ONNX Runtime session answers as served', async () => {
    const rows = [
      { x1: 3, colour: 'green' },
      { x1: -1.5, colour: 'blue' },
      { x1: null, colour: 'purple' },
      { x1: 0.25, colour: null },
    ];
    const exportDir = join(h.dataDir, 'exported');
    spawnSync('mkdir', ['-p', exportDir]);
    for (const name of ['known', 'blend']) {
      // The API's JSON (base64) and the HTTP download are the same bytes.
      const exported = await h.client.call('models.export', { name });
      const download = await post('models.export', tokens.analyst, { name }, 'application/octet-stream');
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'application/octet-stream');
      assert.equal(download.headers.get('content-disposition'), `attachment; filename="${name}-v1.onnx"`);
      const bytes = Buffer.from(await download.arrayBuffer());
      assert.deepEqual(bytes, Buffer.from(exported.base64, 'base64'));
      const file = join(exportDir, exported.fileName);
      writeFileSync(file, bytes);

      // The checker's default pass (structure, operators, opsets, metadata keys once each). Its full_check adds
      // strict shape inference, which stops at ai.onnx.ml's OneHotEncoder: onnx registers no type inference for it.
      const python = spawnSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m)
print(json.dumps({p.key: p.value for p in m.metadata_props}))`,
          file,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(python.status, 0, python.stderr);
      const metadata = JSON.parse(python.stdout) as Record<string, string>;
      assert.equal(metadata['hearth.model'], name);
      assert.equal(metadata['hearth.version'], '1');
      assert.deepEqual(JSON.parse(metadata['hearth.classes']!), ['bad', 'good']);
      assert.deepEqual(JSON.parse(metadata['hearth.input_names']!), ['x1', 'colour']);
      assert.deepEqual(JSON.parse(metadata['hearth.input_types']!), [
        { name: 'x1', type: 'double' },
        { name: 'colour', type: 'string' },
      ]);
      assert.deepEqual(JSON.parse(metadata['hearth.inputs']!), { numeric: ['x1'], categorical: ['colour'] });
      for (const [key, value] of Object.entries(exported.metadata)) assert.equal(metadata[key], value, key);

      const served = await h.client.call('models.predict', { name, rows });
      const ort = await loadOrt();
      const session = await ort.InferenceSession.create(file);
      const out = await session.run({
        numeric: new ort.Tensor(
          'float64',
          Float64Array.from(rows, (r) => r.x1 ?? Number.NaN),
          [rows.length, 1],
        ),
        categorical: new ort.Tensor(
          'string',
          rows.map((r) => r.colour ?? ''),
          [rows.length, 1],
        ),
      });
      const probabilities = out.probabilities!.data as Float64Array;
      const labels = out.label!.data as string[];
      served.predictions.forEach((p, i) => {
        assert.ok('probabilities' in p);
        assert.ok(Math.abs(probabilities[2 * i + 1]! - p.probabilities.good!) < 1e-12, `${name} row ${i}`);
        assert.equal(labels[i], p.label);
      });
      await session.release();
    }
    // Known answer: row 0 of `known` v1 has margin −0.2 + 0.8·(3 − 1)/2 − 0.3 = 0.3.
    const served = await h.client.call('models.predict', { name: 'known', rows: [rows[0]!] });
    const p0 = served.predictions[0]!;
    assert.ok('probabilities' in p0 && Math.abs(p0.probabilities.good! - 1 / (1 + Math.exp(-0.3))) < 1e-12);
  });

  it('refuses export to a viewer and to a service token; an unknown version is NOT_FOUND', async () => {
    const viewer = await post('models.export', tokens.viewer, { name: 'known' }, 'application/octet-stream');
    assert.equal(viewer.status, 403);
    await expectCode(h.client.call('models.export', { name: 'known', version: 7 }), 'NOT_FOUND');
    await expectCode(h.client.call('models.export', { name: 'nobody' }), 'NOT_FOUND');
  });

  it('explains a linear model with exact linear SHAP: hand-computed values, summing to the margin', async () => {
    const result = await h.client.call('models.predict', {
      name: 'known',
      version: 1,
      rows: [{ x1: 3, colour: 'green' }],
      explain: true,
    });
    const e = result.predictions[0]!.explanation!;
    // E[margin] = −0.2 + 0.8·0.1 + 0.5·0.2 − 0.3·0.3 + 1.1·0.5 = 0.44; x1 scaled (3 − 1)/2 = 1 gives 0.8·(1 − 0.1)
    // = 0.72; green gives −0.3 − (0.5·0.2 − 0.3·0.3 + 1.1·0.5) = −0.86. 0.44 + 0.72 − 0.86 = 0.3, the margin.
    assert.deepEqual([e.output, e.space, e.method], ['good', 'log-odds', 'linear-shap']);
    assert.ok(Math.abs(e.expectedValue - 0.44) < 1e-12, String(e.expectedValue));
    assert.ok(Math.abs(e.contributions.x1! - 0.72) < 1e-12, String(e.contributions.x1));
    assert.ok(Math.abs(e.contributions.colour! + 0.86) < 1e-12, String(e.contributions.colour));
    assert.ok(Math.abs(e.expectedValue + e.contributions.x1! + e.contributions.colour! - 0.3) < 1e-12);
  });

  it('explains a trained linear model: base value + contributions = the served log-odds, to 1e-9', async () => {
    const job = await h.client.call('training.start', { dataset: 'customers', target: 'label', model: 'churn' });
    assert.equal((await waitForJob(h.client, job.id)).status, 'succeeded');
    const rows = [
      { x1: 2, x2: 1, colour: 'red', flag: true },
      { x1: -2, x2: 6, colour: 'green', flag: false },
      { x1: null, x2: null, colour: null, flag: null },
      { x1: 0.3, x2: 3, colour: 'mauve', flag: true },
    ];
    const result = await h.client.call('models.predict', { name: 'churn', rows, explain: true });
    for (const p of result.predictions) {
      assert.ok('probabilities' in p);
      const e = p.explanation!;
      assert.equal(e.output, 'good');
      assert.deepEqual(Object.keys(e.contributions).sort(), ['colour', 'flag', 'x1', 'x2']);
      const logOdds = Math.log(p.probabilities.good! / p.probabilities.bad!);
      const sum = e.expectedValue + Object.values(e.contributions).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - logOdds) < 1e-9, `${sum} vs ${logOdds}`);
    }
  });

  it('refuses to explain an ensemble and an imported graph with NOT_SUPPORTED naming the kind', async () => {
    const blend = await expectCode(
      h.client.call('models.predict', { name: 'blend', rows: [{ x1: 1 }], explain: true }),
      'NOT_SUPPORTED',
    );
    assert.match(blend.message, /^blend v1 is an ensemble: explanations for ensembles are not exact/);
    assert.doesNotMatch(blend.message, /linear model/);

    const dir = join(h.dataDir, 'foreign');
    const made = spawnSync('/usr/bin/python3', [fixtureScript, dir], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    // A local path is the CLI's (in-process) way in.
    await createHandlers(h.engine)['models.import'](
      {
        name: 'iris',
        path: join(dir, 'iris.onnx'),
        target: 'species',
        features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      },
      { transport: 'in-process' },
    );
    const row = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    const imported = await expectCode(
      h.client.call('models.predict', { name: 'iris', rows: [row], explain: true }),
      'NOT_SUPPORTED',
    );
    assert.match(imported.message, /iris v1 is an imported ONNX graph: imported ONNX graphs carry no explainer/);
    // Nothing was logged for a refused explanation, and the plain prediction still works.
    assert.equal((await h.client.call('models.predict', { name: 'iris', rows: [row] })).predictions.length, 1);

    // The imported graph exports too: its own inputs, named in the metadata; checked and run afresh.
    const exported = await h.client.call('models.export', { name: 'iris' });
    const file = join(dir, exported.fileName);
    writeFileSync(file, Buffer.from(exported.base64, 'base64'));
    const check = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))', file],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.equal(exported.metadata['hearth.classes'], JSON.stringify(['setosa', 'versicolor', 'virginica']));
    const graphInputs = JSON.parse(exported.metadata['hearth.graph_inputs']!) as { name: string; features: string[] }[];
    assert.deepEqual(
      graphInputs.flatMap((g) => g.features),
      ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    );
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(file);
    const input = graphInputs[0]!;
    const out = await session.run({
      [input.name]: new ort.Tensor('float32', Float32Array.from([5.1, 3.5, 1.4, 0.2]), [1, 4]),
    });
    const served = (await h.client.call('models.predict', { name: 'iris', rows: [row] })).predictions[0]!;
    assert.ok('label' in served);
    assert.equal((out.label!.data as string[])[0], served.label);
    await session.release();
  });
});
