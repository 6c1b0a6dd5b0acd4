import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startJsonChild, syntheticCsv, tempDir, writeFile } from '../helpers.js';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { registrySkip, startRegistry } from '../integration/registry-harness.js';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { readCsv } from '../../main/data/csv.js';
import { writeParquet } from '../../main/data/parquet.js';
import { nativeKernel } from '../../workers/gbdt/kernel.js';

const adapter = await probeWebGpu();

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const artifacts = fileURLToPath(new URL('../../../test-results/', import.meta.url));
const token = 'e2e-token-abcdefghijklmnop';

/** Selectors live here, not in the test steps. */
class ConsolePage {
  constructor(readonly page: Page) {}
  nav(
    name:
      'overview' | 'datasets' | 'pipelines' | 'train' | 'models' | 'runs' | 'costs' | 'predict' | 'alerts' | 'sync' | 'settings',
  ) {
    return this.page.getByTestId(`nav-${name}`).click();
  }
  /** Opens a tab of the model page: overview, evaluation, explanations, serving, monitoring, versions or compress. */
  modelTab(name: 'overview' | 'evaluation' | 'explanations' | 'serving' | 'monitoring' | 'versions' | 'compress') {
    return this.page.getByTestId(`model-tab-${name}`).click();
  }
  ready() {
    return this.page.locator('[data-ready="true"]').waitFor();
  }
  async upload(path: string, name: string) {
    await this.nav('datasets');
    await this.page.getByTestId('dataset-name').fill(name);
    await this.page.getByTestId('upload-input').setInputFiles(path);
    return this.page.getByTestId('ingest-message').textContent();
  }
  async train(dataset: string, target: string, model: string, algorithm: 'linear' | 'gbdt' | 'mlp') {
    await this.nav('train');
    await this.page.getByTestId('train-dataset').selectOption(dataset);
    await this.page.getByTestId('train-target').selectOption(target);
    await this.page.getByTestId('train-algorithm').selectOption(algorithm);
    await this.page.getByTestId('train-model').fill(model);
    await this.page.getByTestId('train-start').click();
    await this.page.locator('[data-testid="train-job"][data-status="succeeded"]').waitFor({ timeout: 60_000 });
  }
}

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return startJsonChild(process.execPath, [bin, 'serve', '--port', '0', '--json', '--data-dir', dataDir], {
    HEARTH_TOKEN: token,
  });
}

describe('web console in Chromium against a real hearth serve', () => {
  const tmp = tempDir();
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  let context: BrowserContext;
  let ui: ConsolePage;
  let failed = false;

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer(`${tmp.dir}/data`);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.tracing.start({ screenshots: true, snapshots: true });
    ui = new ConsolePage(await context.newPage());
    await ui.page.goto(`${server.url}/#token=${token}`);
    await ui.ready();
  });

  after(async () => {
    // Keep a trace and a screenshot of a failure as test artifacts.
    if (failed) {
      await ui.page.screenshot({ path: `${artifacts}console-failure.png`, fullPage: true }).catch(() => undefined);
      await context.tracing.stop({ path: `${artifacts}console-trace.zip` }).catch(() => undefined);
    } else await context.tracing.stop();
    await browser.close();
    server.child.kill('SIGTERM');
    tmp.cleanup();
  });

  const step = (name: string, fn: () => Promise<void>, options: { skip?: string | false } = {}) =>
    it(name, options, async () => {
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    });

  void step('removes the token from the address bar', async () => {
    assert.equal(new URL(ui.page.url()).hash, '');
  });

  void step('lands on the overview, which says how to begin on an empty box', async () => {
    await ui.page.getByTestId('overview-no-production').waitFor();
    assert.match((await ui.page.getByTestId('overview').textContent()) ?? '', /No data yet/);
  });

  void step('uploads a CSV and shows its profile with histograms', async () => {
    const file = writeFile(tmp.dir, 'customers.csv', syntheticCsv('binary', 800, 5));
    const message = await ui.upload(file, 'customers');
    assert.match(message ?? '', /Ingested 800 rows into customers v1/);
    await ui.page.getByTestId('profile-x1').locator('.recharts-surface').waitFor();
    assert.equal(await ui.page.locator('[data-testid^="profile-"]').count(), 5);
    // A categorical histogram names its categories; a numeric one has number ticks where its bins start.
    const ticks = async (column: string) => {
      // Recharts 3 draws an axis's tick labels in a layer of their own, named after the axis.
      const values = ui.page
        .getByTestId(`profile-${column}`)
        .locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value');
      await values.first().waitFor();
      return values.allTextContents();
    };
    const colours = await ticks('colour');
    assert.ok(colours.length >= 2 && colours.every((c) => ['red', 'green', 'blue', 'amber'].includes(c)), colours.join(' '));
    const x1 = await ticks('x1');
    assert.ok(x1.length >= 2 && x1.every((t) => /^[-−]?[\d,]*\.?\d+$/.test(t)), x1.join(' '));
  });

  void step('uploads a Parquet file and shows its profile', async () => {
    const { frame } = await readCsv(writeFile(tmp.dir, 'orders.csv', syntheticCsv('multiclass', 300, 8)));
    const file = join(tmp.dir, 'orders.parquet');
    writeParquet(frame, file);
    const message = await ui.upload(file, 'orders');
    assert.match(message ?? '', /Ingested 300 rows into orders v1/);
    await ui.page.getByTestId('profile-kind').waitFor();
    await ui.page.getByText('customers').first().click();
  });

  void step('compares two versions of a dataset: schema, rows and distributions', async () => {
    const message = await ui.upload(writeFile(tmp.dir, 'orders-2.csv', syntheticCsv('multiclass', 250, 9)), 'orders');
    assert.match(message ?? '', /Ingested 250 rows into orders v2/);
    await ui.page.getByTestId('diff-run').click();
    const outcome = ui.page.getByTestId('diff-message');
    await outcome.waitFor();
    assert.match(
      (await outcome.textContent()) ?? '',
      /^v1 → v2: 250 rows added, 300 removed, \d+ columns changed distribution\.$/,
    );
    assert.equal(await ui.page.locator('[data-testid^="diff-column-"]').count(), 5);
    await ui.page.getByText('customers').first().click();
  });

  void step('suggests data-quality rules from a version, saves them, and checks the version against them', async () => {
    await ui.nav('datasets');
    await ui.page.getByTestId('quality-summary').filter({ hasText: 'No rules yet' }).waitFor();
    await ui.page.getByTestId('rules-suggest').click();
    const draft = ui.page.getByTestId('rules-draft');
    await draft.waitFor();
    const suggested = JSON.parse(await draft.inputValue()) as { kind: string; column?: string }[];
    assert.ok(suggested.some((r) => r.kind === 'range' && r.column === 'x1'));
    await ui.page.getByTestId('rules-save').click();
    await ui.page
      .getByTestId('quality-message')
      .filter({ hasText: `Saved ${suggested.length} rules for customers` })
      .waitFor();
    await ui.page
      .getByTestId('quality-summary')
      .filter({ hasText: `All ${suggested.length} rules hold on v1.` })
      .waitFor();
  });

  void step('finds personal data in an upload and ingests it under the policies chosen', async () => {
    const rows = ['email,full_name,visits'];
    for (let i = 0; i < 50; i++) rows.push(`user${i}@example.com,${['Ann Smith', 'John Garcia', 'Maria Rossi'][i % 3]},${i % 7}`);
    const file = writeFile(tmp.dir, 'contacts.csv', `${rows.join('\n')}\n`);
    await ui.nav('datasets');
    await ui.page.getByTestId('dataset-name').fill('contacts');
    await ui.page.getByTestId('upload-input').setInputFiles(file);
    await ui.page.getByTestId('pii-review').waitFor();
    assert.equal(await ui.page.getByTestId('pii-policy-email').inputValue(), 'hash');
    assert.equal(await ui.page.getByTestId('pii-policy-full_name').inputValue(), 'hash');
    await ui.page.getByTestId('pii-policy-full_name').selectOption('drop');
    await ui.page.getByTestId('pii-ingest').click();
    assert.match((await ui.page.getByTestId('ingest-message').textContent()) ?? '', /Ingested 50 rows into contacts v1/);
    // The profile shows what was stored: pseudonyms, no names.
    await ui.page.locator('[data-testid^="profile-"]').first().waitFor();
    assert.equal(await ui.page.getByTestId('profile-full_name').count(), 0);
    assert.equal(await ui.page.getByTestId('profile-email').count(), 1);
    assert.match((await ui.page.getByTestId('pii-policies').textContent()) ?? '', /email hash, full_name drop/);
    // Visits take 7 values over 50 rows: the smallest group has 7 rows, so k = 7 passes k = 5.
    await ui.page.getByTestId('qi-visits').check();
    await ui.page.getByTestId('k-check').click();
    assert.equal(
      await ui.page.getByTestId('privacy-message').textContent(),
      'k = 7: every one of the 7 groups has at least 5 rows.',
    );
    await ui.page.getByTestId('keep-versions').fill('3');
    await ui.page.getByTestId('keep-set').click();
    await ui.page.getByTestId('privacy-message').filter({ hasText: 'contacts keeps its newest 3 versions' }).waitFor();
  });

  void step(
    'keeps a numeric column with a typo numeric and lists the cell, shows dates as dates, answers unchanged for the same file',
    async () => {
      // 400 rows: amount = 3 × id but row 300 (file line 301) reads "9O0"; shipped runs 2024-03-01 … 2024-04-29.
      const lines = ['id,amount,shipped'];
      for (let i = 1; i <= 400; i++)
        lines.push(`${i},${i === 300 ? '9O0' : i * 3},${new Date(Date.UTC(2024, 2, 1 + (i % 60))).toISOString().slice(0, 10)}`);
      const file = writeFile(tmp.dir, 'shipments.csv', `${lines.join('\n')}\n`);
      await ui.nav('datasets');
      const message = ui.page.getByTestId('ingest-message');
      await ui.upload(file, 'shipments');
      await message.filter({ hasText: 'Ingested 400 rows into shipments v1; 1 cells did not parse' }).waitFor();
      assert.match((await ui.page.getByTestId('profile-amount').textContent()) ?? '', /amount integer/);
      assert.match((await ui.page.getByTestId('unparsable-table').textContent()) ?? '', /301amount9O0/);
      assert.equal(await ui.page.getByTestId('date-range-shipped').textContent(), ' · from 2024-03-01 to 2024-04-29');
      await ui.page.getByTestId('profile-shipped').locator('.recharts-xAxis').waitFor();
      // The same bytes again: no version; forced: version 2.
      await ui.upload(file, 'shipments');
      await message.filter({ hasText: 'Unchanged: shipments v1 already holds this file' }).waitFor();
      await ui.page.getByTestId('ingest-force').check();
      await ui.upload(file, 'shipments');
      await message.filter({ hasText: 'Ingested 400 rows into shipments v2' }).waitFor();
      await ui.page.getByTestId('ingest-force').uncheck();
    },
  );

  void step('trains a linear model and gradient-boosted trees, with live loss curves', async () => {
    await ui.train('customers', 'label', 'churn', 'linear');
    await ui.page.getByTestId('train-job').locator('.recharts-line').first().waitFor();
    assert.match((await ui.page.getByTestId('train-result').textContent()) ?? '', /Registered churn v1/);
    await ui.train('customers', 'label', 'churn', 'gbdt');
    await ui.page.getByTestId('train-job').locator('.recharts-line').first().waitFor();
    assert.match((await ui.page.getByTestId('train-result').textContent()) ?? '', /Registered churn v2/);
  });

  void step('shows metrics, the ROC curve and the confusion matrix', async () => {
    await ui.nav('models');
    await ui.page.getByTestId('model-detail').waitFor();
    // The overview reads the main metric in words, with the positive class.
    assert.match(
      (await ui.page.getByTestId('metric-reading').textContent()) ?? '',
      /^ROC AUC 0\.\d+: a random “good” row is scored above a random “bad” row \d+% of the time.*positive class: “good”/,
    );
    await ui.modelTab('evaluation');
    const auc = Number(await ui.page.getByTestId('metric-roc_auc').textContent());
    assert.ok(auc > 0.7 && auc <= 1, `roc_auc ${auc}`);
    // Beside it, what knowing nothing scores on the same rows: ROC AUC 0.5, and a model that clearly beats it.
    assert.equal(await ui.page.getByTestId('baseline-roc_auc').textContent(), '0.5000');
    assert.match(
      (await ui.page.getByTestId('baseline-verdict').textContent()) ?? '',
      /^Clearly beats the baseline on \d+ rows: accuracy \+/,
    );
    await ui.page.getByTestId('roc-chart').locator('.recharts-line').waitFor();
    await ui.page.getByTestId('confusion-matrix').waitFor();
    await ui.page.getByTestId('pr-chart').locator('.recharts-line').waitFor();
    await ui.page.getByTestId('calibration-chart').locator('.recharts-line').waitFor();
    // Version 2 is the tree model: its page ranks features by split gain.
    await ui.modelTab('explanations');
    await ui.page.getByTestId('importance-chart').locator('.recharts-bar-rectangle').first().waitFor();
    await ui.page.screenshot({ path: `${artifacts}models-page.png`, fullPage: true });
    const [download] = await Promise.all([ui.page.waitForEvent('download'), ui.page.getByTestId('download-report').click()]);
    assert.equal(download.suggestedFilename(), 'churn-v2-report.html');
  });

  void step('promotes version 2 to production', async () => {
    await ui.modelTab('versions');
    // Its lineage names the kernel that grew its trees (the fastest npm run build made: native where it builds, as in
    // CI) and how long the boosting rounds took beside the whole fit.
    const kernel = nativeKernel() instanceof Error ? 'WebAssembly \\(SIMD\\)' : 'native \\(C\\)';
    assert.match(
      (await ui.page.getByTestId('tree-kernel').textContent()) ?? '',
      new RegExp(`^Trees grown by the ${kernel} kernel in \\d+\\.\\d\\d s of boosting \\(\\d+\\.\\d\\d s with binning\\)$`),
    );
    assert.equal(await ui.page.getByTestId('aliases-1').textContent(), 'production');
    await ui.page.getByTestId('promote-2').click();
    await ui.page.getByTestId('aliases-2').filter({ hasText: 'production' }).waitFor();
    assert.equal(await ui.page.getByTestId('aliases-1').textContent(), '');
  });

  void step('sets, rolls back and removes a staging alias, downloads the ONNX file, says which versions explain', async () => {
    await ui.nav('models');
    await ui.modelTab('serving');
    await ui.page.getByTestId('alias-version').selectOption('1');
    await ui.page.getByTestId('alias-name').fill('staging');
    await ui.page.getByTestId('alias-set').click();
    await ui.page.getByTestId('alias-staging').filter({ hasText: 'v1' }).waitFor();
    // Production did not move.
    await ui.modelTab('versions');
    await ui.page
      .getByTestId('aliases-1')
      .filter({ hasText: /^staging$/ })
      .waitFor();
    assert.equal(await ui.page.getByTestId('aliases-2').textContent(), 'production');
    // Back on the serving tab, its form starts afresh.
    await ui.modelTab('serving');
    await ui.page.getByTestId('alias-version').selectOption('1');
    await ui.page.getByTestId('alias-name').fill('no such/alias');
    await ui.page.getByTestId('alias-set').click();
    await ui.page.getByTestId('alias-error').filter({ hasText: 'Some input is not valid' }).waitFor();
    assert.equal(await ui.page.getByTestId('alias-remove-production').count(), 0);
    await ui.page.getByTestId('alias-remove-staging').click();
    await ui.page.getByTestId('alias-staging').waitFor({ state: 'detached' });
    // The versions table reloads on its own: wait for its cell rather than read it at once.
    await ui.modelTab('versions');
    await ui.page.getByTestId('aliases-1').filter({ hasText: /^$/ }).waitFor();

    await ui.modelTab('explanations');
    assert.match((await ui.page.getByTestId('explain-support').textContent()) ?? '', /exact TreeSHAP/);
    // The linear version's file: Debian's python3-onnx (1.12) predates ai.onnx.ml opset 5, the tree graphs' TreeEnsemble.
    await ui.page.getByTestId('version-pick').selectOption('1');
    await ui.page.getByTestId('explain-support').filter({ hasText: 'exact linear SHAP' }).waitFor();
    const [download] = await Promise.all([ui.page.waitForEvent('download'), ui.page.getByTestId('download-onnx').click()]);
    assert.equal(download.suggestedFilename(), 'churn-v1.onnx');
    const file = join(tmp.dir, 'churn-v1.onnx');
    await download.saveAs(file);
    const python = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m); print(dict((p.key, p.value) for p in m.metadata_props)["hearth.model"])',
        file,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(python.status, 0, python.stderr);
    assert.equal(python.stdout.trim(), 'churn');
    // Back to production's version for the steps that follow, from the versions table.
    await ui.modelTab('versions');
    await ui.page.getByTestId('version-row-2').click();
  });

  void step('compares the two runs side by side', async () => {
    await ui.nav('runs');
    const boxes = ui.page.locator('[data-testid^="run-pick-"]');
    await boxes.first().waitFor();
    assert.equal(await boxes.count(), 2);
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await ui.page.getByTestId('runs-compare').click();
    const comparison = ui.page.getByTestId('runs-comparison');
    await comparison.waitFor();
    assert.match((await comparison.textContent()) ?? '', /roc_auc/);
    // ROC, precision–recall and calibration overlays: two runs each, plus the calibration diagonal.
    assert.equal(await comparison.locator('.recharts-line').count(), 7);
    // Permutation importance for both runs, the SHAP summary for the tree model, a confusion matrix each.
    await comparison.getByTestId('runs-importance').locator('.recharts-bar-rectangle').first().waitFor();
    await comparison.getByTestId('runs-shap').locator('.recharts-bar-rectangle').first().waitFor();
    assert.equal(await comparison.getByTestId('runs-confusion').locator('table').count(), 2);
  });

  void step('shows what each run cost and what a million predictions cost, on the runs page and the version', async () => {
    await ui.nav('runs');
    const cost = ui.page.locator('[data-testid^="run-cost-"]').first();
    await cost.locator('summary').click();
    const training = (await cost.locator('[data-testid$="-training"]').textContent()) ?? '';
    // "0.9 CPU-s = 0.000250 CPU-h (main thread 0.3 s)": the hours are the seconds over 3,600, to the digits shown.
    const [, seconds, hours] = /([\d.]+) CPU-s = ([\d.e-]+) CPU-h/.exec(training) ?? [];
    assert.ok(seconds !== undefined && hours !== undefined, training);
    assert.ok(Math.abs(Number(seconds) / 3600 - Number(hours)) <= 0.05 / 3600 + Number(hours) * 0.005, training);
    // No rate on this server: CPU-hours only, said so.
    assert.doesNotMatch(training, /CPU-h = /);
    assert.match((await cost.textContent()) ?? '', /none set \(cost\.perCoreHour\)/);
    const single = (await cost.locator('[data-testid$="-single"]').textContent()) ?? '';
    // A million calls at the p50: p50 µs × 10⁶ / 3.6 × 10⁹ CPU-h.
    const [, p50, p99, perMillion] =
      /p50 ([\d.]+) µs, p99 ([\d.]+) µs \(200 calls\); per million: ([\d.e-]+) CPU-h/.exec(single) ?? [];
    assert.ok(p50 !== undefined && p99 !== undefined && perMillion !== undefined, single);
    assert.ok(Number(p50) <= Number(p99), single);
    assert.ok(Math.abs((Number(p50) * 1e6) / 3.6e9 - Number(perMillion)) <= Number(perMillion) * 0.01, single);
    assert.match(
      (await cost.locator('[data-testid$="-batch"]').textContent()) ?? '',
      /10,000 rows in [\d.]+ ms \([\d,]+ rows\/s\); per million: /,
    );
    // The version's cost in a line on its Overview, and in full in its Versions tab.
    await ui.nav('models');
    await ui.modelTab('overview');
    assert.match(
      (await ui.page.getByTestId('overview-cost').textContent()) ?? '',
      /CPU-h to train; [\d.e-]+ CPU-h per million predictions in batches, [\d.e-]+ CPU-h one row at a time/,
    );
    await ui.modelTab('versions');
    const version = ui.page.getByTestId('version-cost');
    await version.waitFor();
    assert.match((await version.textContent()) ?? '', /CPU-s = .* CPU-h.*p50 .* µs.*per million/s);
  });

  void step('predicts one row from the form', async () => {
    await ui.nav('predict');
    await ui.page.getByTestId('input-x1').fill('2.5');
    await ui.page.getByTestId('input-x2').fill('0');
    // colour is categorical: a select of the levels the model was trained on.
    await ui.page.getByTestId('input-colour').selectOption('red');
    await ui.page.getByTestId('predict-submit').click();
    await ui.page.getByTestId('predict-result').waitFor();
    assert.equal(await ui.page.getByTestId('prediction-label').textContent(), 'good');
    assert.match((await ui.page.getByTestId('predict-result').textContent()) ?? '', /^v2:/);
    // The production model is the tree model, so the prediction comes with its TreeSHAP bars.
    await ui.page.getByTestId('shap-chart').locator('.recharts-bar-rectangle').first().waitFor();
    await ui.page.screenshot({ path: `${artifacts}predict-page.png`, fullPage: true });
  });

  void step('sums training and serving CPU-hours per model and ISO week on the Costs page (#costs)', async () => {
    await ui.nav('costs');
    await ui.page.locator('[data-testid="costs-page"][data-loaded="true"]').waitFor();
    assert.equal(new URL(ui.page.url()).hash, '#costs');
    const api = createClient(httpTransport({ baseUrl: server.url, token }));
    // Known answer: the succeeded runs' own CPU-seconds over 3,600, as the runs page shows them.
    const runs = (await api.call('runs.list', {})).filter((r) => r.status === 'succeeded' && r.cost !== null);
    const expected = runs.reduce((sum, r) => sum + r.cost!.training.cpuSeconds, 0) / 3600;
    assert.equal(await ui.page.getByTestId('costs-total-training').textContent(), expected.toPrecision(3));
    const summary = await api.call('costs.summary', {});
    assert.equal(summary.total.runs, runs.length);
    assert.ok(summary.total.predictions >= 1 && summary.total.servingCpuHours > 0);
    await ui.page.getByTestId('costs-chart').locator('.recharts-bar-rectangle').first().waitFor();
    // No rate on this server: no money anywhere.
    assert.equal(await ui.page.getByTestId('costs-total-price').count(), 0);
  });

  void step('compares what production served with its training data, column by column', async () => {
    await ui.nav('models');
    await ui.page.getByTestId('version-pick').selectOption('2');
    await ui.modelTab('monitoring');
    await ui.page.getByTestId('drift-check').click();
    await ui.page.getByTestId('drift-table').waitFor();
    assert.match(
      (await ui.page.getByTestId('drift-summary').textContent()) ?? '',
      /^1 served rows against customers v1 \(800 rows\)/,
    );
    for (const column of ['x1', 'x2', 'colour', 'prediction']) await ui.page.getByTestId(`drift-${column}`).waitFor();
    // One served row cannot show drift: each column says so instead of alarming.
    assert.match((await ui.page.getByTestId('drift-x1').textContent()) ?? '', /not enough data$/);
    await ui.page.getByTestId('drift-chart').locator('.recharts-bar-rectangle').first().waitFor();
    await ui.page.getByTestId('monitor-load').click();
    await ui.page.getByTestId('monitor-table').waitFor();
    assert.match((await ui.page.getByTestId('monitor-table').textContent()) ?? '', /Realised roc_auc/);
  });

  void step('adds an alert rule, checks it, and shows the alert firing', async () => {
    await ui.nav('alerts');
    await ui.page.getByTestId('rule-name').fill('slow');
    await ui.page.getByTestId('rule-model').selectOption('churn');
    await ui.page.getByTestId('rule-kind').selectOption('latency');
    // Any served row is slower than 0 ms: the rule must fire.
    await ui.page.getByTestId('rule-threshold').fill('0');
    await ui.page.getByTestId('rule-add').click();
    await ui.page.getByTestId('rule-slow').waitFor();
    await ui.page.getByTestId('alerts-check').click();
    await ui.page.getByTestId('alerts-message').filter({ hasText: 'slow firing' }).waitFor();
    await ui.page.getByTestId('alert-slow').waitFor();
    assert.match((await ui.page.getByTestId('alerts-summary').textContent()) ?? '', /^1 firing/);
  });

  void step('shows production on the overview: its test metric, served rows, firing alert; opens its model page', async () => {
    await ui.nav('overview');
    const row = ui.page.getByTestId('overview-model-churn');
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /churn v2/);
    assert.match(text, /roc_auc 0\.\d{3}/);
    assert.equal((await ui.page.getByTestId('overview-served-churn').textContent())?.trim(), '1 row');
    assert.match(text, /1 firing/);
    await ui.page.getByTestId('overview-datasets').getByText('customers v', { exact: false }).first().waitFor();
    assert.equal(await ui.page.getByTestId('overview-runs').locator('tr').count(), 2);
    await row.getByRole('button', { name: 'churn v2' }).click();
    await ui.page.getByTestId('model-detail').waitFor();
    assert.equal(await ui.page.getByTestId('version-pick').inputValue(), '2');
  });

  void step('starts a canary and a shadow for production from the Models page', async () => {
    await ui.nav('models');
    await ui.modelTab('serving');
    await ui.page.getByTestId('canary-version').selectOption('1');
    await ui.page.getByTestId('canary-share').fill('25');
    await ui.page.getByTestId('canary-set').click();
    await ui.page.getByTestId('routing-state').filter({ hasText: 'Canary v1 answers 25% of requests' }).waitFor();
    await ui.page.getByTestId('shadow-version').selectOption('1');
    await ui.page.getByTestId('shadow-set').click();
    await ui.page.getByTestId('routing-state').filter({ hasText: 'shadow v1 predicts every request' }).waitFor();
  });

  void step('sets how long the prediction log is kept and collects now', async () => {
    await ui.nav('models');
    await ui.modelTab('serving');
    await ui.page.getByTestId('log-days').fill('30');
    await ui.page.getByTestId('log-days-set').click();
    await ui.page.getByTestId('retention-message').filter({ hasText: 'keeps 30 days of prediction log' }).waitFor();
    await ui.page.getByTestId('gc-now').click();
    await ui.page
      .getByTestId('retention-message')
      .filter({ hasText: /^Removed \d+ dataset versions, 0 log rows/ })
      .waitFor();
  });

  void step('retrains production on the newest data and says whether the challenger won', async () => {
    await ui.nav('models');
    await ui.page.getByTestId('retrain').click();
    await ui.page.getByTestId('retrain-result').waitFor({ timeout: 60_000 });
    assert.match(
      (await ui.page.getByTestId('retrain-result').textContent()) ?? '',
      /^Challenger v\d+ roc_auc [\d.]+ against production v2 [\d.]+ on \d+ held-out rows: (promoted|kept production)/,
    );
  });

  void step('imports an ONNX model made by scikit-learn, with its training data as the drift reference', async () => {
    const foreign = join(tmp.dir, 'foreign');
    const made = spawnSync(
      '/usr/bin/python3',
      [fileURLToPath(new URL('../../../test/fixtures/foreign_onnx.py', import.meta.url)), foreign],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(made.status, 0, made.stderr);
    await ui.nav('models');
    await ui.page.getByTestId('import-onnx').locator('summary').click();
    await ui.page.getByTestId('import-name').fill('iris');
    await ui.page.getByTestId('import-target').fill('species');
    await ui.page.getByTestId('import-features').fill('sepal_length, sepal_width, petal_length, petal_width');
    await ui.page.getByTestId('import-file').setInputFiles(join(foreign, 'iris.onnx'));
    await ui.page.getByTestId('import-reference').setInputFiles(join(foreign, 'iris_train.csv'));
    await ui.page.getByTestId('import-submit').click();
    await ui.page.getByTestId('import-done').waitFor();
    assert.equal(
      await ui.page.getByTestId('import-done').textContent(),
      'Imported iris v1 (multiclass): sepal_length, sepal_width, petal_length, petal_width',
    );
    await ui.page.getByTestId('models-list').getByText('iris').waitFor();
    await ui.modelTab('versions');
    await ui.page.getByTestId('version-row-1').getByText('iris-reference v1').waitFor();
    await ui.modelTab('explanations');
    await ui.page.getByTestId('explain-support').filter({ hasText: 'imported ONNX graphs carry no explainer' }).waitFor();
    await ui.nav('predict');
    await ui.page.getByTestId('predict-model').selectOption('iris');
    await ui.page.getByTestId('explain-unavailable').filter({ hasText: 'imported ONNX graphs carry no explainer' }).waitFor();
    assert.equal(await ui.page.getByTestId('predict-explain').count(), 0);
  });

  void step('searches automatically and charts each candidate as it is scored', async () => {
    await ui.nav('train');
    await ui.page.getByTestId('train-dataset').selectOption('customers');
    await ui.page.getByTestId('train-target').selectOption('label');
    await ui.page.getByTestId('train-algorithm').selectOption('auto');
    await ui.page.getByTestId('train-budget').fill('2');
    await ui.page.getByTestId('train-model').fill('churn-auto');
    // Platt scaling asked for: applied whatever the comparison says, and the comparison shown beside it.
    await ui.page.getByTestId('train-calibration').selectOption('platt');
    await ui.page.getByTestId('train-start').click();
    await ui.page.locator('[data-testid="train-job"][data-status="succeeded"]').waitFor({ timeout: 90_000 });
    // A 2 s budget covers the whole run: the learners whose projected cost fits are tried (boosting first).
    assert.ok((await ui.page.getByTestId('trial-chart').locator('.recharts-scatter-symbol').count()) >= 1);
    await ui.nav('models');
    await ui.page.getByText('churn-auto').click();
    await ui.modelTab('evaluation');
    const leaderboard = ui.page.getByTestId('leaderboard');
    await leaderboard.waitFor();
    assert.match((await leaderboard.textContent()) ?? '', /gbdt/);
    // Size and latency beside the score: the leader is always measured.
    assert.match((await ui.page.getByTestId('leaderboard-size-0').textContent()) ?? '', /^\d+\.\d$/);
    assert.match((await ui.page.getByTestId('leaderboard-latency-0').textContent()) ?? '', /^\d+\.\d$/);
    const calibration = ui.page.getByTestId('calibration-table');
    await calibration.waitFor();
    assert.equal(await ui.page.getByTestId('calibration-method').textContent(), 'platt');
    assert.match((await calibration.textContent()) ?? '', /none.*platt/s);
    // Brier score and ECE beside log loss.
    for (const metric of ['log_loss', 'brier', 'ece']) {
      const value = Number(await ui.page.getByTestId(`metric-${metric}`).textContent());
      assert.ok(value >= 0 && Number.isFinite(value), `${metric} ${value}`);
    }
    // The runs page: the run's wall time against its budget, and on opening, each phase's share.
    await ui.nav('runs');
    const budget = ui.page.locator('[data-testid^="run-budget-"]').filter({ hasText: 'of 2 s budget' });
    await budget.waitFor();
    await budget.locator('summary').click();
    assert.match((await budget.textContent()) ?? '', /search[\d.]+ s\d+%.*fit.*evaluate.*export.*parity.*register/s);
  });

  void step('adds a sync remote, shows its queue and the error of a push to an unreachable registry', async () => {
    await ui.nav('sync');
    // The standby line (sync.standby): a box that is no standby, shipping no backups, says so.
    assert.equal(
      await ui.page.getByTestId('standby-line').textContent(),
      'Backups are not shipped to a registry (config backups.remote).',
    );
    await ui.page.getByTestId('remote-name').fill('central');
    // Port 9 (discard) on loopback: nothing listens there.
    await ui.page.getByTestId('remote-url').fill('oci://127.0.0.1:9/hearth');
    await ui.page.getByTestId('remote-insecure').check();
    await ui.page.getByTestId('remote-add').click();
    await ui.page.getByTestId('remote-central').waitFor();
    assert.match((await ui.page.getByTestId('sync-message').textContent()) ?? '', /Added central: \d+ events to send/);
    await ui.page.getByTestId('push-central').click();
    await ui.page.getByTestId('sync-message').filter({ hasText: 'Stopped' }).waitFor();
    assert.match((await ui.page.getByTestId('remote-central').textContent()) ?? '', /unreachable/);
  });

  void step(
    'pushes to a real registry, pulls a version back, follows production and records an evaluation',
    async () => {
      const registry = await startRegistry(`${tmp.dir}/registry`);
      try {
        const host = registry.url.slice('http://'.length);
        await ui.page.getByTestId('remote-name').fill('live');
        await ui.page.getByTestId('remote-url').fill(`oci://${host}/hearth`);
        await ui.page.getByTestId('remote-add').click();
        await ui.page.getByTestId('remote-live').waitFor();
        await ui.page.getByTestId('push-live').click();
        await ui.page.getByTestId('sync-message').filter({ hasText: 'to live' }).waitFor();
        assert.match((await ui.page.getByTestId('sync-message').textContent()) ?? '', /^Sent \d+ events to live\.$/);

        await ui.page.getByTestId('pull-url').fill(`oci://${host}/hearth/churn:v1`);
        await ui.page.getByTestId('pull-insecure').check();
        await ui.page.getByTestId('pull-run').click();
        await ui.page.getByTestId('sync-message').filter({ hasText: 'Pulled' }).waitFor();
        const pulled = /Pulled churn v(\d+)/.exec((await ui.page.getByTestId('sync-message').textContent()) ?? '');
        assert.ok(pulled !== null);

        await ui.page.getByTestId('follow-remote').selectOption('live');
        await ui.page.getByTestId('follow-model').fill('churn');
        await ui.page.getByTestId('follow-add').click();
        await ui.page.getByTestId('follow-churn-production').waitFor();
        assert.match((await ui.page.getByTestId('follow-churn-production').textContent()) ?? '', /up to date/);

        await ui.nav('models');
        await ui.modelTab('versions');
        await ui.page.getByTestId(`version-row-${pulled[1]}`).click();
        assert.match((await ui.page.getByTestId('model-origin').textContent()) ?? '', /Pulled from oci:\/\/.*hearth\/churn/);
        await ui.modelTab('evaluation');
        await ui.page
          .getByTestId('evaluate-input')
          .setInputFiles(writeFile(tmp.dir, 'labelled.csv', syntheticCsv('binary', 300, 9)));
        await ui.page.getByTestId('snapshots-table').waitFor();
        assert.match((await ui.page.getByTestId('snapshots-table').textContent()) ?? '', /300/);
      } finally {
        registry.child.kill();
      }
    },
    { skip: registrySkip },
  );

  void step('backs the store up from the Sync page and verifies the backup', async () => {
    await ui.nav('sync');
    await ui.page.getByTestId('backup-create').click();
    assert.match(
      (await ui.page.getByTestId('backup-message').textContent()) ?? '',
      /^Backed up \d+ files \(\d+ blobs\) to hearth-.*\.hbk/,
    );
    await ui.page.locator('[data-testid^="backup-verify-"]').first().click();
    await ui.page.getByTestId('backup-message').filter({ hasText: 'every hash matches' }).waitFor();
  });

  void step('trains boosting with categorical knobs from the advanced section, and shows a refused one', async () => {
    await ui.nav('train');
    await ui.page.getByTestId('train-dataset').selectOption('customers');
    await ui.page.getByTestId('train-target').selectOption('label');
    await ui.page.getByTestId('train-algorithm').selectOption('gbdt');
    await ui.page.getByTestId('train-categorical').locator('summary').click();
    await ui.page.getByTestId('train-maxCatThreshold').fill('0');
    await ui.page.getByTestId('train-model').fill('churn-categorical');
    await ui.page.getByTestId('train-start').click();
    // Refused in the form, beside the field, from training.start's own bounds: nothing is sent.
    assert.equal(
      await ui.page.getByTestId('train-maxCatThreshold-error').textContent(),
      '0 is out of range: expected a whole number from 1 to 255',
    );
    await ui.page.getByTestId('train-maxCatThreshold').fill('8');
    await ui.page.getByTestId('train-minCategoryRows').fill('3');
    await ui.page.getByTestId('train-start').click();
    await ui.page.locator('[data-testid="train-job"][data-status="succeeded"]').waitFor({ timeout: 60_000 });
    assert.match((await ui.page.getByTestId('train-result').textContent()) ?? '', /Registered churn-categorical v1/);
  });

  void step('lists every compute back end with its status and pins WebGPU for training', async () => {
    await ui.nav('settings');
    for (const runtime of ['tfjs', 'onnxruntime']) {
      await ui.page.getByTestId(`backend-${runtime}-cpu`).waitFor();
      assert.equal(await ui.page.locator(`[data-testid^="backend-${runtime}-"][data-status]`).count(), 5);
      assert.equal(await ui.page.locator(`[data-testid^="backend-${runtime}-"][data-status="selected"]`).count(), 1);
    }
    // The GBDT kernels: three, each probed against the TypeScript kernel's trees, the native one selected (CI builds it).
    assert.equal(await ui.page.locator('[data-testid^="backend-gbdt-"][data-status]').count(), 3);
    assert.equal(await ui.page.getByTestId('backend-gbdt-native').getAttribute('data-status'), 'selected');
    await ui.page.getByTestId('backends-pin-tfjs').selectOption('webgpu');
    const message = ui.page.getByTestId('backends-message');
    await message.waitFor();
    if (adapter.ok) {
      assert.equal(await message.textContent(), 'tfjs: pinned webgpu; it is selected.');
      assert.equal(await ui.page.getByTestId('backend-tfjs-webgpu').getAttribute('data-status'), 'selected');
    } else assert.match((await message.textContent()) ?? '', /^tfjs: pinned webgpu; it cannot run, so \w+ is used\.$/);
  });

  void step('trains a neural net on the pinned back end and names it, with its device', async () => {
    await ui.train('customers', 'label', 'churn-mlp', 'mlp');
    await ui.nav('models');
    await ui.page.getByText('churn-mlp').click();
    await ui.modelTab('versions');
    const backend = ui.page.getByTestId('mlp-backend');
    await backend.waitFor();
    const text = (await backend.textContent()) ?? '';
    if (adapter.ok) assert.ok(text.startsWith(`Trained on the TensorFlow.js webgpu back end (${adapter.info.device})`), text);
    else assert.match(text, /TensorFlow\.js (tensorflow|wasm|cpu) back end .*passed over: webgpu/);
  });

  void step('traces each version of a dataset to its source and the models trained on it', async () => {
    await ui.nav('datasets');
    await ui.page.getByText('customers').first().click();
    const row = ui.page.getByTestId('lineage-v1');
    await row.filter({ hasText: 'churn-mlp v1' }).waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /customers\.csv/);
    // Every churn version was trained on customers v1 (retrains and imports included); production is marked.
    assert.match(text, /churn v1(;|$)/);
    assert.match(text, /churn v\d+ \(production\)/);
    assert.match(text, /churn-mlp v1 \(production\)/);
  });
  void step('previews a pipeline step by step, runs it, and traces the output version to its input', async () => {
    // orders v2 is syntheticCsv('multiclass', 250, 9): the filter keeps the rows with x1 > 0 (a missing x1 fails).
    const [, ...lines] = syntheticCsv('multiclass', 250, 9).trim().split('\n');
    const positive = lines.filter((l) => l.split(',')[0] !== '' && Number(l.split(',')[0]) > 0).length;
    await ui.nav('pipelines');
    await ui.page.getByTestId('pipeline-definition').fill(`name: big-orders
sources:
  orders: orders
steps:
  - from: orders
  - filter: x1 > 0
  - derive:
      score: round(x1 * 2, 3)
output: orders_big
`);
    await ui.page.getByTestId('pipeline-preview').click();
    await ui.page.getByTestId('preview-step-3').waitFor();
    assert.equal(await ui.page.getByTestId('preview-step-1-rows').textContent(), '250');
    assert.equal(await ui.page.getByTestId('preview-step-2-rows').textContent(), String(positive));
    assert.match((await ui.page.getByTestId('preview-step-3').textContent()) ?? '', /score/);
    await ui.page.getByTestId('pipeline-run').click();
    const message = ui.page.getByTestId('pipeline-message').filter({ hasText: 'appended' });
    await message.waitFor();
    assert.match(
      (await message.textContent()) ?? '',
      new RegExp(`250 new rows from orders v2 .*→ ${positive} appended as orders_big v1`),
    );
    await ui.page.getByTestId('pipeline-runs').filter({ hasText: 'succeeded' }).waitFor();
    // Running again finds nothing new.
    await ui.page.getByTestId('pipeline-run').click();
    await ui.page.getByTestId('pipeline-message').filter({ hasText: 'up to date' }).waitFor();
    await ui.nav('datasets');
    await ui.page.getByText('orders_big').first().click();
    const inputs = ui.page.getByTestId('lineage-v1-inputs');
    await inputs.waitFor();
    assert.match((await inputs.textContent()) ?? '', /orders v2/);
  });
  void step(
    'draws every tab of a binary, a multiclass and a regression model with no overlapping label and no squeezed chart',
    async () => {
      await ui.train('orders', 'kind', 'orders-kind', 'gbdt');
      // A long column name, as real exports have: its label must be cut to fit, whole on hover.
      const long = 'customer_lifetime_value_in_thousands_of_euros_at_signup';
      await ui.upload(writeFile(tmp.dir, 'prices.csv', syntheticCsv('regression', 400, 4).replace(/^x1,/, `${long},`)), 'prices');
      await ui.train('prices', 'amount', 'prices-amount', 'gbdt');
      const tabs = ['overview', 'evaluation', 'explanations', 'serving', 'monitoring', 'versions'] as const;
      const expected: Record<string, string[]> = {
        churn: ['roc-chart', 'pr-chart', 'calibration-chart', 'confusion-matrix'],
        'orders-kind': ['roc-per-class', 'pr-per-class', 'calibration-chart', 'confusion-matrix'],
        'prices-amount': ['predicted-actual-chart', 'residuals-chart'],
      };
      for (const model of Object.keys(expected)) {
        await ui.nav('models');
        await ui.page.getByTestId('models-list').getByText(model, { exact: true }).click();
        await ui.page.getByTestId('model-detail').locator('h3').filter({ hasText: model }).waitFor();
        for (const tab of tabs) {
          await ui.modelTab(tab);
          const panel = ui.page.getByTestId(`model-panel-${tab}`);
          await panel.waitFor();
          if (tab === 'evaluation')
            for (const chart of expected[model]!) await panel.getByTestId(chart).locator('svg, table').first().waitFor();
          if (tab === 'explanations') await panel.locator('.recharts-bar-rectangle').first().waitFor();
          // Every chart in the panel: at least 200 px wide, and no two of its labels' boxes overlapping.
          const problems = await panel.evaluate((panelElement) => {
            // The test program is compiled without the DOM library: the few browser shapes used, named here.
            interface Box {
              left: number;
              right: number;
              top: number;
              bottom: number;
              width: number;
              height: number;
            }
            interface Node {
              textContent: string | null;
              getBoundingClientRect(): Box;
              closest(selector: string): unknown;
              querySelectorAll(selector: string): Iterable<Node>;
            }
            const root = panelElement as unknown as Node;
            const found: string[] = [];
            const svgs = [...root.querySelectorAll('svg')]
              // A legend's swatches are little svgs of their own, not charts.
              .filter((svg) => svg.closest('svg svg') !== svg && svg.closest('.recharts-legend-wrapper') === null);
            for (const svg of svgs) {
              const box = svg.getBoundingClientRect();
              if (box.width < 200) found.push(`a chart ${Math.round(box.width)} px wide`);
              const texts = [...svg.querySelectorAll('text')]
                .filter((t) => (t.textContent ?? '').trim() !== '')
                .map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }))
                .filter((t) => t.box.width > 0 && t.box.height > 0);
              for (let i = 0; i < texts.length; i++)
                for (let j = i + 1; j < texts.length; j++) {
                  const [a, b] = [texts[i]!.box, texts[j]!.box];
                  const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                  const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                  if (dx > 1 && dy > 1) found.push(`“${texts[i]!.text}” overlaps “${texts[j]!.text}”`);
                }
            }
            return found;
          });
          assert.deepEqual(problems, [], `${model}, ${tab} tab`);
          if (tab === 'overview' || tab === 'evaluation' || tab === 'explanations')
            await ui.page.screenshot({ path: `${artifacts}model-${model}-${tab}.png`, fullPage: true });
        }
      }
      await ui.modelTab('explanations');
      const cut = ui.page.getByTestId('importance-chart').locator('text', { has: ui.page.locator('title', { hasText: long }) });
      // Its text is the <title> (the whole name) and then what is drawn: the name cut, with an ellipsis.
      const shown = ((await cut.textContent()) ?? '').replace(long, '');
      assert.match(shown, /^customer_lifetime.*…$/);
      assert.ok(shown.length < long.length, shown);
      // The tab and version are in the address: a reload opens the same model on the same tab and version.
      await ui.modelTab('evaluation');
      assert.match(ui.page.url(), /#models\/prices-amount\/evaluation\/v1$/);
      await ui.page.reload();
      await ui.ready();
      await ui.page.getByTestId('residuals-chart').locator('.recharts-scatter').waitFor();
      assert.equal(await ui.page.getByTestId('model-tab-evaluation').getAttribute('aria-selected'), 'true');
      // The arrow keys move between the tabs.
      await ui.page.getByTestId('model-tab-evaluation').focus();
      await ui.page.keyboard.press('ArrowRight');
      assert.equal(await ui.page.getByTestId('model-tab-explanations').getAttribute('aria-selected'), 'true');
      await ui.page.keyboard.press('ArrowLeft');
      await ui.page.keyboard.press('ArrowLeft');
      assert.equal(await ui.page.getByTestId('model-tab-overview').getAttribute('aria-selected'), 'true');
      assert.match(
        (await ui.page.getByTestId('metric-reading').textContent()) ?? '',
        /^RMSE [\d.,]+: a prediction is typically about/,
      );
    },
  );

  void step('compresses a model: progress, the frontier table and chart, and registers a variant unpromoted', async () => {
    await ui.nav('models');
    await ui.page.getByTestId('models-list').getByText('prices-amount', { exact: true }).click();
    await ui.modelTab('compress');
    await ui.page.getByTestId('compress-start').click();
    const table = ui.page.getByTestId('compress-table');
    await table.waitFor({ timeout: 60_000 });
    assert.match((await table.locator('tr[data-variant="original"]').textContent()) ?? '', /^originalas trained \(v1\)/);
    assert.ok((await table.locator('tr[data-variant]').count()) >= 5);
    // The chart marks the Pareto-optimal points apart from the rest.
    await ui.page.getByTestId('compress').locator('.recharts-scatter-symbol').first().waitFor();
    await ui.page.getByTestId('compress-register-f32').click();
    assert.match(
      (await ui.page.getByTestId('compress-registered').textContent()) ?? '',
      /^Registered v2: compressed from v1: float32 \(not promoted\)$/,
    );
    await ui.modelTab('versions');
    assert.equal(await ui.page.getByTestId('aliases-1').textContent(), 'production');
    assert.equal(await ui.page.getByTestId('aliases-2').textContent(), '');
  });
});

/**
 * 600 rows: age 18…80, a 3-level plan, a 25-level city (a searched select; 24 rows each, so every level keeps more
 * than boosting's 10 training rows and stays a level of its own), a signup date, churned yes/no.
 */
function formsCsv(): string {
  const lines = ['age,plan,city,signup,churned'];
  for (let i = 0; i < 600; i++) {
    const age = 18 + (i % 63);
    const plan = ['basic', 'pro', 'team'][i % 3]!;
    const city = `city${String(i % 25).padStart(2, '0')}`;
    const signup = new Date(Date.UTC(2024, 0, 1 + (i % 60))).toISOString().slice(0, 10);
    lines.push(`${age},${plan},${city},${signup},${(age < 35 && plan === 'basic') || i % 7 === 0 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('console forms and lists: sign-in, predict and train forms, search, sort, tags', () => {
  const tmp = tempDir();
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;
  let api: Client;
  let failed = false;
  const runIds: string[] = [];

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer(`${tmp.dir}/data`);
    api = createClient(httpTransport({ baseUrl: server.url, token }));
    // Seeded through the API: these steps are about the forms and lists, not about uploading and training.
    for (const [name, csv] of [
      ['subscribers', formsCsv()],
      ['orders', syntheticCsv('multiclass', 120, 3)],
    ] as const) {
      const uploadId = await api.upload(new Blob([csv]), `${name}.csv`);
      await api.call('datasets.ingest', { name, uploadId, fileName: `${name}.csv` });
    }
    for (const [model, algorithm] of [
      ['churn', 'gbdt'],
      ['churn-linear', 'linear'],
    ] as const) {
      const job = await api.call('training.start', { dataset: 'subscribers', target: 'churned', algorithm, model, trees: 20 });
      for (;;) {
        const j = await api.call('training.get', { jobId: job.id });
        if (j.status === 'succeeded') break;
        assert.ok(j.status === 'queued' || j.status === 'running', `${model}: ${j.status} ${j.error?.message ?? ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      runIds.push(job.id);
    }
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  });

  after(async () => {
    if (failed) await page.screenshot({ path: `${artifacts}console-forms-failure.png`, fullPage: true }).catch(() => undefined);
    await browser.close();
    server.child.kill('SIGTERM');
    tmp.cleanup();
  });

  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    });
  const nav = (name: 'overview' | 'datasets' | 'models' | 'train' | 'runs' | 'predict') =>
    page.getByTestId(`nav-${name}`).click();

  void step('says why a wrong token is refused, in words, then signs in with the right one', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill('not-the-token-0000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(
      await alert.textContent(),
      'The access token is missing or wrong: this API token is unknown, revoked or expired',
    );
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-ready="true"]').getByTestId('nav-predict').waitFor();
  });

  void step('predict: selects of the levels, ranges as hints, a date input, checks before sending', async () => {
    await nav('predict');
    await page.getByTestId('predict-model').selectOption('churn');
    await page.locator('[data-testid="predict-form"][data-model="churn"]').waitFor();
    const plan = page.getByTestId('input-plan');
    assert.equal(await page.locator('select[data-testid="input-plan"]').count(), 1);
    assert.deepEqual(await plan.locator('option').allTextContents(), ['(missing)', 'basic', 'pro', 'team']);
    assert.equal(await page.getByTestId('input-signup').getAttribute('type'), 'date');
    assert.equal(await page.getByTestId('input-signup').getAttribute('min'), '2024-01-01');
    assert.equal(await page.getByTestId('input-age-hint').textContent(), 'training range 18–80 (whole numbers)');
    // 25 cities: past 20 levels the select gets a search box; one match chooses it.
    await page.getByTestId('input-city-search').fill('ty17');
    assert.equal(await page.getByTestId('input-city').inputValue(), 'city17');
    // Not a number: refused beside the field, nothing sent.
    await page.getByTestId('input-age').fill('abc');
    await plan.selectOption('basic');
    await page.getByTestId('predict-submit').click();
    assert.equal(await page.getByTestId('input-age-error').textContent(), '“abc” is not a number');
    assert.equal(await page.getByTestId('input-age').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('predict-result').count(), 0);
    await page.getByTestId('input-age').fill('99');
    assert.match((await page.getByTestId('input-age-warning').textContent()) ?? '', /outside the training range 18–80/);
    await page.getByTestId('input-age').fill('22');
    await page.getByTestId('input-signup').fill('2024-01-15');
    await page.getByTestId('predict-submit').click();
    await page.getByTestId('predict-result').waitFor();
    assert.equal(await page.getByTestId('input-age-error').count(), 0);
    // The tree model explains; the result goes as soon as an input changes (it was for other inputs).
    assert.equal(await page.getByTestId('predict-explain').count(), 1);
    await plan.selectOption('team');
    assert.equal(await page.getByTestId('predict-result').count(), 0);
  });

  void step('predict: another model starts from an empty form of its own inputs', async () => {
    await page.getByTestId('input-age').fill('40');
    await page.getByTestId('predict-submit').click();
    await page.getByTestId('predict-result').waitFor();
    await page.getByTestId('predict-model').selectOption('churn-linear');
    await page.locator('[data-testid="predict-form"][data-model="churn-linear"]').waitFor();
    assert.equal(await page.getByTestId('predict-result').count(), 0);
    assert.equal(await page.getByTestId('input-age').inputValue(), '');
    assert.equal(await page.getByTestId('input-plan').inputValue(), '');
    // Linear models leave date columns out: no signup field.
    assert.equal(await page.getByTestId('input-signup').count(), 0);
    assert.match((await page.getByTestId('predict-explain').locator('..').textContent()) ?? '', /exact linear SHAP/);
  });

  void step('train: "abc" for trees is refused beside the field and nothing is trained', async () => {
    const before = (await api.call('training.list', {})).length;
    await nav('train');
    await page.getByTestId('train-dataset').selectOption('subscribers');
    await page.getByTestId('train-target').selectOption('churned');
    await page.getByTestId('train-algorithm').selectOption('gbdt');
    assert.equal(await page.getByTestId('train-trees-hint').textContent(), 'a whole number from 1 to 10000');
    await page.getByTestId('train-trees').fill('abc');
    await page.getByTestId('train-learning-rate').fill('2');
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-trees-error').waitFor();
    assert.equal(
      await page.getByTestId('train-trees-error').textContent(),
      '“abc” is not a number: expected a whole number from 1 to 10000',
    );
    assert.equal(
      await page.getByTestId('train-learning-rate-error').textContent(),
      '2 is out of range: expected a number above 0, at most 1',
    );
    assert.match((await page.locator('p.error[role="alert"]').textContent()) ?? '', /Not sent: 2 fields need fixing/);
    assert.equal(await page.getByTestId('train-job').count(), 0);
    assert.equal((await api.call('training.list', {})).length, before);
  });

  void step('datasets: searched by name and sorted by a column, aria-sort saying how', async () => {
    await nav('datasets');
    const rows = page.getByTestId('datasets-table').locator('tbody tr');
    await rows.nth(1).waitFor();
    await page.getByTestId('datasets-search').fill('ORD');
    assert.deepEqual(await rows.locator('td:first-child').allTextContents(), ['orders']);
    assert.equal(await page.getByTestId('datasets-count').textContent(), '1 of 2');
    await page.getByTestId('datasets-search').fill('');
    const header = page.getByTestId('datasets-sort-rows');
    await header.getByRole('button').click();
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await rows.locator('td:first-child').allTextContents(), ['orders', 'subscribers']);
    await header.getByRole('button').click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await rows.locator('td:first-child').allTextContents(), ['subscribers', 'orders']);
  });

  void step('overview: the models in production sort by any column', async () => {
    await nav('overview');
    const rows = page.locator('[data-testid^="overview-model-"]');
    await rows.nth(1).waitFor();
    const header = page.getByTestId('overview-production-sort-model');
    await header.getByRole('button').click();
    await header.getByRole('button').click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    assert.deepEqual(
      [await rows.nth(0).getAttribute('data-testid'), await rows.nth(1).getAttribute('data-testid')],
      ['overview-model-churn-linear', 'overview-model-churn'],
    );
  });

  void step('models: searched by name, filtered by task, sorted newest first', async () => {
    await nav('models');
    const names = page.getByTestId('models-list').locator('li strong');
    await names.nth(1).waitFor();
    await page.getByTestId('models-search').fill('LINEAR');
    assert.deepEqual(await names.allTextContents(), ['churn-linear']);
    assert.equal(await page.getByTestId('models-count').textContent(), '1 of 2');
    await page.getByTestId('models-search').fill('');
    await page.getByTestId('models-task-filter').selectOption('regression');
    assert.equal(await names.count(), 0);
    await page.getByTestId('models-task-filter').selectOption('binary');
    assert.equal(await names.count(), 2);
    assert.deepEqual(await names.allTextContents(), ['churn', 'churn-linear']);
    // churn-linear was trained second.
    await page.getByTestId('models-sort').selectOption('created');
    assert.deepEqual(await names.allTextContents(), ['churn-linear', 'churn']);
  });

  void step('runs: tagged from the list, found by tag, an odd tag refused beside the field', async () => {
    await nav('runs');
    const [gbdt, linear] = runIds as [string, string];
    await page.getByTestId(`run-pick-${gbdt}`).check();
    await page.getByTestId('run-tag-input').fill('baseline');
    await page.getByTestId('run-tag-add').click();
    await page.getByTestId(`run-tags-${gbdt}`).filter({ hasText: 'baseline' }).waitFor();
    assert.deepEqual((await api.call('runs.show', { id: gbdt })).run.tags, ['baseline']);
    await page.getByTestId('run-tag-input').fill('not one word');
    await page.getByTestId('run-tag-add').click();
    assert.match((await page.getByTestId('run-tag-input-error').textContent()) ?? '', /a tag is one word/);
    await page.getByTestId('runs-search').fill('baseline');
    const runRows = page.locator('[data-testid^="run-row-"]');
    assert.equal(await runRows.count(), 1);
    await page.getByTestId('runs-search').fill('');
    await page.getByTestId('runs-filter-algorithm').selectOption('linear');
    assert.equal(await page.getByTestId(`run-row-${linear}`).count(), 1);
    assert.equal(await page.getByTestId(`run-row-${gbdt}`).count(), 0);
    await page.getByTestId('runs-filter-algorithm').selectOption('');
    await page.getByTestId('runs-sort-algorithm').getByRole('button').click();
    assert.equal(await page.getByTestId('runs-sort-algorithm').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await runRows.locator('td:nth-child(4)').allTextContents(), ['gbdt', 'linear']);
  });

  void step('runs: the comparison lists the parameters that differ and plots cost against quality', async () => {
    const [gbdt, linear] = runIds as [string, string];
    await page.getByTestId(`run-pick-${linear}`).check();
    await page.getByTestId('runs-compare').click();
    const diff = page.getByTestId('runs-param-diff');
    await diff.waitFor();
    // l2 is in both runs with other values: 1 on the trees' leaves, 0.0001 on the linear weights.
    const l2 = await page.getByTestId('param-diff-l2').locator('td').allTextContents();
    assert.deepEqual(l2.slice(1).sort(), ['0.0001', '1']);
    assert.equal(await page.getByTestId('param-diff-trees').count(), 1);
    await page.getByTestId('runs-cost-quality').locator('.recharts-scatter-symbol').nth(1).waitFor();
    assert.equal(await page.getByTestId('runs-cost-quality').locator('.recharts-scatter-symbol').count(), 2);
    await page.getByTestId('run-untag-' + gbdt + '-baseline').click();
    await page.getByTestId(`run-tags-${gbdt}`).filter({ hasText: /^$/ }).waitFor();
    await page.screenshot({ path: `${artifacts}runs-compare.png`, fullPage: true });
  });
});

describe('console of a replica (serve --replica)', () => {
  const tmp = tempDir();
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;

  before(async () => {
    // A replica following a registry that is not there (a closed loopback port): it serves, is not ready, and says
    // in the console that it is a replica. The following itself is test/integration/replica.test.ts's.
    server = await startJsonChild(process.execPath, [bin, 'serve', '--replica', '--port', '0', '--json', '--data-dir', tmp.dir], {
      HEARTH_TOKEN: token,
      HEARTH_REMOTES: JSON.stringify([{ name: 'central', url: 'oci://127.0.0.1:9/hearth', insecureHttp: true }]),
      HEARTH_FOLLOW: JSON.stringify([{ remote: 'central', model: 'churn', alias: 'production' }]),
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    tmp.cleanup();
  });

  it('says it is a replica, and an upload there is refused with the reason', async () => {
    await page.goto(`${server.url}/#token=${token}`);
    await page.locator('[data-ready="true"]').waitFor();
    assert.equal(await page.getByTestId('replica-badge').textContent(), 'Replica · read-only');
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-name').fill('anything');
    await page.getByTestId('upload-input').setInputFiles(writeFile(tmp.dir, 'rows.csv', syntheticCsv('binary', 20, 3)));
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /this server is a replica/);
  });
});
