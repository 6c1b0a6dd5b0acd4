import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { nativeKernel } from '../../workers/gbdt/kernel.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const tmp = tempDir();
after(tmp.cleanup);
const dataDir = `${tmp.dir}/data`;

function hearth(...args: string[]): ReturnType<typeof hearthWith> {
  return hearthWith({}, ...args);
}

function hearthWith(
  env: Record<string, string>,
  ...args: string[]
): {
  status: number | null;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
} {
  const r = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    env: { ...process.env, HEARTH_DATA_DIR: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
}

describe('hearth CLI', () => {
  const train = writeFile(tmp.dir, 'train.csv', syntheticCsv('regression', 2000, 1));
  const holdout = writeFile(tmp.dir, 'holdout.csv', syntheticCsv('regression', 300, 2));

  it('ingests with --json', () => {
    const r = hearth('ingest', train, '--dataset', 'sales', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = r.json();
    assert.deepEqual([out.dataset, out.version, out.rows, out.quarantined], ['sales', 1, 2000, 0]);
    assert.deepEqual(
      (out.columns as { name: string }[]).map((c) => c.name),
      ['x1', 'x2', 'colour', 'flag', 'amount'],
    );
  });

  it('trains with --json, with snake-case metric keys', () => {
    const r = hearth('train', '--dataset', 'sales@1', '--target', 'amount', '--model', 'sales-amount', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = r.json();
    assert.deepEqual([out.model, out.version, out.algorithm, out.task], ['sales-amount', 1, 'linear', 'regression']);
    const metrics = out.metrics as Record<string, number>;
    assert.deepEqual(Object.keys(metrics).sort(), ['mae', 'r2', 'rmse']);
    assert.ok(metrics.r2! > 0.9, `r2 ${metrics.r2}`);
    // The test rows' residuals the console charts: each is actual − predicted, and their root mean square the RMSE.
    const { residuals } = out.curves as {
      residuals: { rows: number; points: { actual: number; predicted: number; residual: number }[] };
    };
    assert.ok(residuals.rows > 0 && residuals.points.length === residuals.rows);
    for (const p of residuals.points) assert.ok(Math.abs(p.actual - p.predicted - p.residual) < 1e-9);
    const rms = Math.sqrt(residuals.points.reduce((sum, p) => sum + p.residual ** 2, 0) / residuals.rows);
    assert.ok(Math.abs(rms - metrics.rmse!) < 1e-9, `${rms} against ${metrics.rmse}`);
  });

  it('evaluates a labelled file and predicts a file to CSV', () => {
    const e = hearth('evaluate', '--model', 'sales-amount@1', holdout, '--json');
    assert.equal(e.status, 0, e.stderr);
    const evaluation = e.json() as { model: string; version: number; metrics: Record<string, number> };
    assert.equal(evaluation.version, 1);
    // Noise (σ = 1) and 5% missing inputs, imputed by median, bound how low the error can go.
    assert.ok(evaluation.metrics.rmse! > 0.9 && evaluation.metrics.rmse! < 3, `rmse ${evaluation.metrics.rmse}`);
    assert.ok(evaluation.metrics.r2! > 0.85, `r2 ${evaluation.metrics.r2}`);
    // Beside it, the training mean on the same rows: its RMSE recomputed here from the file's own targets.
    const baseline = (
      e.json() as { baseline: { kind: string; answer: number; metrics: Record<string, number>; beaten: boolean } }
    ).baseline;
    assert.equal(baseline.kind, 'mean');
    const amounts = readFileSync(holdout, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').at(-1)!)
      .filter((v) => v !== '')
      .map(Number);
    const rmse = Math.sqrt(amounts.reduce((s, y) => s + (y - baseline.answer) ** 2, 0) / amounts.length);
    assert.ok(Math.abs(baseline.metrics.rmse! - rmse) < 1e-9, `${baseline.metrics.rmse} against ${rmse}`);
    assert.equal(baseline.beaten, true);
    const out = `${tmp.dir}/predictions.csv`;
    const p = hearth('predict', '--model', 'sales-amount', holdout, '--out', out);
    assert.equal(p.status, 0, p.stderr);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 301);
    assert.equal(lines[0], 'x1,x2,colour,flag,amount,prediction');
  });

  it('lists, promotes and rolls back models', () => {
    assert.equal(hearth('train', '--dataset', 'sales', '--target', 'amount', '--model', 'sales-amount', '--l2', '0.5').status, 0);
    const list = hearth('models', 'list', '--json');
    assert.deepEqual((JSON.parse(list.stdout) as { aliases: Record<string, number> }[])[0]!.aliases, { production: 1 });
    assert.deepEqual(hearth('models', 'promote', 'sales-amount', '2', '--json').json(), {
      model: 'sales-amount',
      alias: 'production',
      version: 2,
      previousVersion: 1,
    });
    assert.deepEqual(hearth('models', 'rollback', 'sales-amount', '--json').json(), {
      model: 'sales-amount',
      alias: 'production',
      version: 1,
      previousVersion: 2,
    });
  });

  it('shows a version’s input schema: kinds, the levels it knows, the training ranges', () => {
    const r = hearth('models', 'schema', 'sales-amount@1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const schema = r.json() as { inputs: { name: string; kind: string; levels: string[] | null }[]; explain: string | null };
    assert.deepEqual(
      schema.inputs.map((i) => `${i.name}:${i.kind}`),
      ['x1:number', 'x2:number', 'flag:boolean', 'colour:category'],
    );
    assert.deepEqual(schema.inputs.find((i) => i.name === 'colour')?.levels, ['amber', 'blue', 'green', 'red']);
    assert.equal(schema.explain, 'linear-shap');
    const text = hearth('models', 'schema', 'sales-amount@1').stdout;
    assert.match(text, /colour {2}category {2}4 levels: amber, blue, green, red/);
    assert.match(text, /explain: linear-shap/);
  });

  it('tags a run by a prefix of its id, lists the tag, refuses an odd one, takes it off', () => {
    const runs = JSON.parse(hearth('runs', 'list', '--json').stdout) as { id: string }[];
    const id = runs[0]!.id;
    const tagged = hearth('runs', 'tag', id.slice(0, 8), 'baseline', '--json');
    assert.equal(tagged.status, 0, tagged.stderr);
    assert.deepEqual(tagged.json().tags, ['baseline']);
    assert.match(hearth('runs', 'list').stdout, new RegExp(`${id.slice(0, 8)} .*\\[baseline\\]`));
    // Read through runs.tag's schema before any call, like a flag: a usage error naming TAG.
    const odd = hearth('runs', 'tag', id.slice(0, 8), 'two words');
    assert.equal(odd.status, 2);
    assert.match(odd.stderr, /TAG.*a tag is one word/);
    assert.deepEqual(hearth('runs', 'tag', id.slice(0, 8), 'baseline', '--remove', '--json').json().tags, []);
  });

  it('prints the overview: production models, runs and datasets', () => {
    const o = hearth('overview', '--json').json() as unknown as {
      production: { model: string; version: number }[];
      datasets: { name: string }[];
    };
    assert.ok(o.production.length > 0);
    assert.ok(o.datasets.some((d) => d.name === 'sales'));
    assert.match(hearth('overview').stdout, /^Production models:\n/);
  });

  it('promotes to a named alias (not production), removes it, exports the ONNX file and explains a row', () => {
    const staged = hearth('models', 'promote', 'sales-amount', '2', '--alias', 'staging', '--json');
    assert.equal(staged.status, 0, staged.stderr);
    assert.deepEqual(staged.json(), { model: 'sales-amount', alias: 'staging', version: 2, previousVersion: null });
    const aliases = () =>
      (JSON.parse(hearth('models', 'list', '--json').stdout) as { aliases: Record<string, number> }[])[0]!.aliases;
    assert.deepEqual(aliases(), { production: 1, staging: 2 });
    const odd = hearth('models', 'promote', 'sales-amount', '2', '--alias', 'no such/alias');
    assert.equal(odd.status, 2);
    assert.match(odd.stderr, /--alias/);
    assert.equal(hearth('models', 'remove-alias', 'sales-amount', '--alias', 'production').status, 1);
    assert.deepEqual(hearth('models', 'remove-alias', 'sales-amount', '--alias', 'staging', '--json').json(), {
      model: 'sales-amount',
      alias: 'staging',
      removedVersion: 2,
    });
    assert.deepEqual(aliases(), { production: 1 });

    const file = `${tmp.dir}/sales.onnx`;
    const exported = hearth('models', 'export', 'sales-amount@2', '--out', file, '--json');
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal((exported.json().metadata as Record<string, string>)['hearth.version'], '2');
    const check = spawnSync('/usr/bin/python3', [
      '-c',
      'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))',
      file,
    ]);
    assert.equal(check.status, 0, String(check.stderr));
    const again = hearth('models', 'export', 'sales-amount@2', '--out', file);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /exists: add --force/);
    assert.equal(hearth('models', 'export', 'sales-amount@2', '--out', file, '--force').status, 0);

    const row = { x1: 1.5, x2: 2, colour: 'green', flag: true };
    const explained = hearth('explain', '--model', 'sales-amount', JSON.stringify(row), '--json');
    assert.equal(explained.status, 0, explained.stderr);
    const p = (
      explained.json().predictions as {
        value: number;
        explanation: { expectedValue: number; contributions: Record<string, number>; method: string };
      }[]
    )[0]!;
    assert.equal(p.explanation.method, 'linear-shap');
    const sum = p.explanation.expectedValue + Object.values(p.explanation.contributions).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - p.value) < 1e-9, `${sum} vs ${p.value}`);
    const text = hearth('explain', '--model', 'sales-amount', JSON.stringify(row));
    assert.match(text.stdout, /linear-shap, value of "amount"/);
  });

  it('trains gbdt with its histograms on WebGPU when asked: the CPU’s model, and the report says so', async () => {
    const probe = await probeWebGpu();
    const args = ['train', '--dataset', 'sales', '--target', 'amount', '--algorithm', 'gbdt', '--trees', '12', '--json'];
    const bad = hearthWith({ HEARTH_GBDT_DEVICE: 'cuda' }, ...args, '--model', 'sales-bad-device');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /HEARTH_GBDT_DEVICE must be cpu or webgpu/);
    if (!probe.ok) {
      assert.equal(process.env.HEARTH_REQUIRE_WEBGPU === '1', false, probe.reason);
      return;
    }
    const cpu = hearth(...args, '--model', 'sales-cpu');
    const gpu = hearthWith({ HEARTH_GBDT_DEVICE: 'webgpu', HEARTH_GBDT_GPU_MIN_ROWS: '0' }, ...args, '--model', 'sales-gpu');
    assert.equal(cpu.status, 0, cpu.stderr);
    assert.equal(gpu.status, 0, gpu.stderr);
    const device = gpu.json().histogramDevice as { device: string; adapter: string; gpuNodes: number; cpuNodes: number };
    assert.equal(cpu.json().histogramDevice, null);
    assert.equal(device.device, 'webgpu');
    assert.equal(device.adapter.startsWith('software:'), probe.info.software);
    assert.ok(device.gpuNodes > 0 && device.cpuNodes === 0, JSON.stringify(device));
    // The same trees, so the same predictions of the test rows, so the same metrics.
    assert.deepEqual(gpu.json().metrics, cpu.json().metrics);
  });

  it('trains gradient-boosted trees and a random forest with hyper-parameters as options', () => {
    const r = hearth(
      'train',
      '--dataset',
      'sales',
      '--target',
      'amount',
      '--algorithm',
      'gbdt',
      '--model',
      'sales-gbdt',
      '--trees',
      '60',
      '--learning-rate',
      '0.2',
      '--max-leaves',
      '15',
      '--min-child-samples',
      '10',
      '--folds',
      '3',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const out = r.json() as {
      algorithm: string;
      trees: number;
      durationMs: number;
      peakRssMb: number;
      fitMs: number;
      boostMs: number;
      kernel: string;
      validationCurve: { iteration: number; loss: number; validationLoss: number }[];
      metrics: Record<string, number>;
    };
    assert.equal(out.algorithm, 'gbdt');
    // The fastest kernel built: native where its addon is (CI requires it), else wasm.
    assert.equal(out.kernel, nativeKernel() instanceof Error ? 'wasm-simd' : 'native');
    assert.ok(out.trees >= 1 && out.trees <= 60);
    assert.ok(out.durationMs > 0 && out.fitMs > 0 && out.peakRssMb > 0);
    // The boosting rounds are part of the fit, never all of it (binning comes first).
    assert.ok(out.boostMs > 0 && out.boostMs < out.fitMs, `boost ${out.boostMs} ms of a ${out.fitMs} ms fit`);
    assert.ok(out.validationCurve.length >= out.trees);
    assert.ok(out.validationCurve[0]!.validationLoss > out.validationCurve[out.trees - 1]!.validationLoss);
    assert.ok(out.metrics.r2! > 0.85, `r2 ${out.metrics.r2}`);
    const cv = (
      r.json() as { crossValidation: { folds: number; metrics: Record<string, { mean: number; std: number; folds: number[] }> } }
    ).crossValidation;
    assert.equal(cv.folds, 3);
    assert.equal(cv.metrics.r2!.folds.length, 3);
    assert.ok(Math.abs(cv.metrics.r2!.mean - out.metrics.r2!) < 0.1, `cv r2 ${cv.metrics.r2!.mean} vs test ${out.metrics.r2}`);
    const forest = hearth(
      'train',
      '--dataset',
      'sales',
      '--target',
      'amount',
      '--algorithm',
      'forest',
      '--model',
      'sales-forest',
      '--trees',
      '20',
      '--json',
    );
    assert.equal(forest.status, 0, forest.stderr);
    assert.equal((forest.json() as { algorithm: string }).algorithm, 'forest');
    const p = hearth('predict', '--model', 'sales-forest', holdout, '--json');
    assert.equal(p.status, 0, p.stderr);
    assert.equal((p.json() as { predictions: unknown[] }).predictions.length, 300);
  });

  it('takes boosting’s categorical knobs as flags, into the run’s arguments and the model’s parameters', () => {
    const flags = ['--min-category-rows', '3', '--cat-smooth', '5', '--cat-l2', '2', '--max-cat-threshold', '8'];
    const extra = ['--min-data-per-group', '50', '--max-cat-to-onehot', '2'];
    const r = hearth(
      'train',
      '--dataset',
      'sales',
      '--target',
      'amount',
      '--algorithm',
      'gbdt',
      '--model',
      'sales-cat',
      ...flags,
      ...extra,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const run = (hearth('runs', 'list', '--json').json() as unknown as { id: string; model: string | null }[]).find(
      (x) => x.model === 'sales-cat',
    )!;
    const detail = hearth('runs', 'show', run.id, '--json').json() as {
      args: Record<string, unknown>;
      modelVersion: { params: Record<string, unknown> };
    };
    const expected = { minCategoryRows: 3, catSmooth: 5, catL2: 2, maxCatThreshold: 8, minDataPerGroup: 50, maxCatToOnehot: 2 };
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(detail.args[key], value, key);
      assert.equal(detail.modelVersion.params[key], value, key);
    }
    const bad = hearth('train', '--dataset', 'sales', '--target', 'amount', '--algorithm', 'gbdt', '--max-cat-threshold', '0');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--max-cat-threshold/);
  });

  it('exits 2 on usage errors and 1 on failures, with a JSON error under --json', () => {
    assert.equal(hearth('frobnicate').status, 2);
    assert.equal(hearth('train', '--target', 'amount').status, 2);
    assert.equal(hearth('ingest', train, '--dataset', 'x', '--bogus-flag').status, 2);
    const missing = hearth('ingest', `${tmp.dir}/missing.csv`, '--dataset', 'x', '--json');
    assert.equal(missing.status, 1);
    assert.equal((missing.json().error as { code: string }).code, 'NOT_FOUND');
    const rollback = hearth('models', 'rollback', 'sales-amount');
    assert.equal(rollback.status, 1);
    assert.match(rollback.stderr, /CONFLICT/);
  });

  it('reads flags through the schema of the method a command calls: allowed values and ranges come from it', async () => {
    const { apiSchemas } = await import('../../main/contracts/index.js');
    const metrics = (apiSchemas['training.start'].shape.metric.unwrap() as { options: string[] }).options;
    const bad = hearth('train', '--dataset', 'sales', '--target', 'amount', '--metric', 'nope');
    assert.equal(bad.status, 2);
    assert.ok(bad.stderr.includes(`--metric must be one of ${metrics.join(', ')}`), bad.stderr);
    const kinds = apiSchemas['alerts.add-rule'].shape.kind.options;
    const kind = hearth('alerts', 'add', 'r1', '--model', 'sales-amount', '--kind', 'nope', '--threshold', '1');
    assert.equal(kind.status, 2);
    assert.ok(kind.stderr.includes(`--kind must be one of ${kinds.join(', ')}`), kind.stderr);
    // Out of training.start's range (trees ≥ 1): refused before any work, so no run and no model appear.
    const runsBefore = (hearth('runs', 'list', '--json').json() as unknown as unknown[]).length;
    const trees = hearth(
      'train',
      '--dataset',
      'sales',
      '--target',
      'amount',
      '--algorithm',
      'gbdt',
      '--trees',
      '0',
      '--model',
      'never',
    );
    assert.equal(trees.status, 2);
    assert.match(trees.stderr, /--trees/);
    assert.equal((hearth('runs', 'list', '--json').json() as unknown as unknown[]).length, runsBefore);
    assert.equal(hearth('retention', 'set', 'dataset', 'sales', '--keep-versions', '0').status, 2);
    assert.equal(hearth('train', '--dataset', 'sales', '--target', 'amount', '--folds', 'x').status, 2);
    // Ingest's --format and --delimiter, backends pin's NAME and a rules file are read through their methods too.
    const format = hearth('ingest', 'nowhere.csv', '--dataset', 'x', '--format', 'xls');
    assert.equal(format.status, 2);
    assert.match(format.stderr, /--format must be one of/);
    const pin = hearth('backends', 'pin', 'onnxruntime', 'warp-drive');
    assert.equal(pin.status, 2);
    assert.match(pin.stderr, /NAME must be one of/);
    const rulesFile = writeFile(
      tmp.dir,
      'bad-rules.json',
      JSON.stringify([{ kind: 'missing', column: 'amount', max: 0.1, severity: 'warn' }, { kind: 'nonsense' }]),
    );
    const rules = hearth('rules', 'set', 'sales', rulesFile);
    assert.equal(rules.status, 1);
    assert.match(rules.stderr, /bad-rules\.json is not a valid rules list at \[1\][\s\S]*VALIDATION_FAILED/);
  });

  it("prints one command's usage for `hearth <command> --help`, every command for `hearth --help`", () => {
    const train = hearth('train', '--help');
    assert.equal(train.status, 0);
    assert.match(train.stdout, /^hearth train: /);
    assert.match(train.stdout, /--dataset NAME\[@V\] --target COL/);
    assert.doesNotMatch(train.stdout, /backup restore/);
    const all = hearth('--help');
    assert.equal(all.status, 0);
    assert.match(all.stdout, /backup restore FILE --data-dir DIR/);
    assert.equal(hearth().status, 2);
  });

  it('answers every --json document with one key casing: camelCase, except keys that are data', () => {
    // Keys under these are names from the data or the user (metric, column, class, feature, alias, parameter names).
    const dataMaps = new Set(['metrics', 'params', 'contributions', 'realised', 'estimated', 'columns', 'aliases']);
    const offending: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) return value.forEach((v) => walk(v, `${path}[]`));
      if (value === null || typeof value !== 'object') return;
      const parent = path.split('.').pop()!.replace(/\[\]$/, '');
      for (const [key, v] of Object.entries(value)) {
        if (!dataMaps.has(parent) && !/^[a-z][a-zA-Z0-9]*$/.test(key)) offending.push(`${path}.${key}`);
        walk(v, `${path}.${key}`);
      }
    };
    const runs = hearth('runs', 'list', '--json').json() as unknown as { id: string }[];
    for (const args of [
      ['train', '--dataset', 'sales@1', '--target', 'amount', '--algorithm', 'gbdt', '--trees', '5', '--model', 'casing'],
      ['ingest', train, '--dataset', 'casing-data', '--force'],
      ['models', 'list'],
      ['models', 'report', 'sales-amount', '--out', `${tmp.dir}/casing-report.html`],
      ['datasets', 'list'],
      ['datasets', 'show', 'sales'],
      ['runs', 'list'],
      ['runs', 'show', runs[0]!.id],
      ['overview'],
      ['evaluate', '--model', 'sales-amount', holdout],
      ['predict', '--model', 'sales-amount', holdout],
      ['predict', '--model', 'sales-amount', holdout, '--out', `${tmp.dir}/casing-predictions.csv`],
      ['version'],
      ['sync', 'status'],
      ['alerts', 'list'],
      ['retention', 'list'],
      ['token', 'list'],
      ['audit', '--limit', '20'],
    ]) {
      const r = hearth(...args, '--json');
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      walk(JSON.parse(r.stdout), args.slice(0, 2).join(' '));
    }
    assert.deepEqual([...new Set(offending)], []);
  });
});
