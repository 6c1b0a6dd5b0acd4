import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startJsonChild, syntheticCsv, tempDir } from '../helpers.js';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';

const require = createRequire(import.meta.url);
const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const artifacts = fileURLToPath(new URL('../../../test-results/', import.meta.url));
const token = 'e2e-a11y-token-abcdefghijklmnop';
/** The console's Content-Security-Policy refuses inline scripts, as it should; axe is injected as one. */
const bypassCSP = true;

/** The classes of the multiclass data: long, as real label columns have them, so the matrices must cut them. */
export const longClasses = [
  'shipped_by_regular_ground_freight',
  'shipped_by_express_air_courier',
  'collected_in_store_by_customer',
  'returned_to_sender_undeliverable',
  'held_at_customs_awaiting_papers',
];

/** 500 rows: two numbers whose sum decides one of five long-named classes, with noise near the edges. */
function longClassCsv(): string {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const lines = ['weight,distance,route'];
  for (let i = 0; i < 500; i++) {
    const weight = random() * 10;
    const distance = random() * 10;
    const score = weight + distance + (random() - 0.5) * 2;
    const k = Math.min(4, Math.max(0, Math.floor(score / 4)));
    lines.push(`${weight.toFixed(3)},${distance.toFixed(3)},${longClasses[k]!}`);
  }
  return `${lines.join('\n')}\n`;
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * axe-core's serious and critical violations of the WCAG 2.0/2.1 A and AA rules on the page as it is now. axe is
 * injected from node_modules (no network), once per document.
 */
async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis)))
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    // The test program is compiled without the DOM library: the shape of axe's answer used here.
    const axe = (
      globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> } }
    ).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const describeViolations = (where: string, violations: Violation[]): string[] =>
  violations.map(
    (v) =>
      `${where}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
        .slice(0, 4)
        .map(
          (n) =>
            `${n.target.join(' ')}${n.failureSummary === undefined ? '' : ` [${n.failureSummary.replace(/\s+/g, ' ').slice(0, 240)}]`}`,
        )
        .join('; ')}`,
  );

async function waitJob(api: Client, jobId: string): Promise<void> {
  for (;;) {
    const j = await api.call('training.get', { jobId });
    if (j.status === 'succeeded') return;
    assert.ok(j.status === 'queued' || j.status === 'running', `${jobId}: ${j.status} ${j.error?.message ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('console accessibility (axe, both themes), theme toggle, version links, multiclass comparison layout', () => {
  const tmp = tempDir();
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  let api: Client;
  const runs: Record<string, string> = {};

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startJsonChild(process.execPath, [bin, 'serve', '--port', '0', '--json', '--data-dir', `${tmp.dir}/data`], {
      HEARTH_TOKEN: token,
    });
    api = createClient(httpTransport({ baseUrl: server.url, token }));
    for (const [name, csv] of [
      ['customers', syntheticCsv('binary', 400, 3)],
      ['routes', longClassCsv()],
    ] as const) {
      const uploadId = await api.upload(new Blob([csv]), `${name}.csv`);
      await api.call('datasets.ingest', { name, uploadId, fileName: `${name}.csv` });
    }
    // churn v1 (boosting) and v2 (linear): a model with two versions; routes and routes-linear: multiclass runs.
    for (const [key, dataset, target, model, algorithm] of [
      ['churn-gbdt', 'customers', 'label', 'churn', 'gbdt'],
      ['churn-linear', 'customers', 'label', 'churn', 'linear'],
      ['routes-gbdt', 'routes', 'route', 'routes', 'gbdt'],
      ['routes-linear', 'routes', 'route', 'routes-linear', 'linear'],
    ] as const) {
      const job = await api.call('training.start', { dataset, target, algorithm, model, trees: 20 });
      await waitJob(api, job.id);
      runs[key] = job.id;
    }
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    tmp.cleanup();
  });

  /** An element's computed fill, as the browser resolved the tokens. */
  const fill = (locator: Locator) =>
    locator.evaluate(
      (e) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(e).fill,
    );

  const signedIn = async (colorScheme: 'light' | 'dark'): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme, bypassCSP });
    const page = await context.newPage();
    await page.goto(`${server.url}/#token=${token}`);
    await page.locator('[data-ready="true"]').waitFor();
    return { context, page };
  };

  /** Every page of the console, each opened as a user would, checked by axe when its content is there. */
  const auditEveryPage = async (colorScheme: 'light' | 'dark'): Promise<string[]> => {
    const problems: string[] = [];
    const check = async (page: Page, where: string) => {
      problems.push(...describeViolations(`${colorScheme} ${where}`, await axeViolations(page)));
    };
    // Signed out: the login form.
    const anonymous = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme, bypassCSP });
    const login = await anonymous.newPage();
    await login.goto(server.url);
    await login.getByLabel('API token').waitFor();
    await check(login, 'login');
    await anonymous.close();

    const { context, page } = await signedIn(colorScheme);
    const nav = (name: string) => page.getByTestId(`nav-${name}`).click();
    await page.getByTestId('overview').waitFor();
    await check(page, 'overview');
    await nav('datasets');
    await page.getByTestId('datasets-table').waitFor();
    await check(page, 'datasets');
    await page.getByTestId('dataset-row-customers').click();
    await page.getByTestId('dataset-detail').locator('.recharts-surface').first().waitFor();
    await check(page, 'dataset detail');
    await nav('models');
    await page.getByTestId('models-list').getByText('routes', { exact: true }).click();
    for (const tab of ['overview', 'evaluation', 'explanations', 'serving', 'monitoring', 'versions']) {
      await page.getByTestId(`model-tab-${tab}`).click();
      const panel = page.getByTestId(`model-panel-${tab}`);
      await panel.waitFor();
      if (tab === 'evaluation') await panel.getByTestId('confusion-matrix').waitFor();
      if (tab === 'explanations') await panel.locator('.recharts-bar-rectangle').first().waitFor();
      await page.waitForTimeout(200);
      await check(page, `models ${tab} tab`);
    }
    await page.getByTestId('models-list').getByText('churn', { exact: true }).click();
    await page.getByTestId('model-tab-evaluation').click();
    await page.getByTestId('roc-chart').locator('svg').first().waitFor();
    await check(page, 'models evaluation tab (binary)');
    await nav('runs');
    await page.getByTestId(`run-pick-${runs['routes-gbdt']!}`).check();
    await check(page, 'runs');
    await page.getByTestId(`run-pick-${runs['routes-linear']!}`).check();
    await page.getByTestId('runs-compare').click();
    await page.getByTestId('runs-confusion').waitFor();
    await check(page, 'run comparison');
    for (const name of ['train', 'predict', 'pipelines', 'alerts', 'sync', 'access', 'settings']) {
      await nav(name);
      await page.locator('main h2').waitFor();
      await page.waitForTimeout(300);
      await check(page, name);
    }
    // The predict page's form of a model's inputs.
    await nav('predict');
    await page.getByTestId('predict-model').selectOption('churn');
    await page.locator('[data-testid="predict-form"][data-model="churn"]').waitFor();
    await check(page, 'predict form');
    await context.close();
    return problems;
  };

  it('no serious or critical WCAG A/AA violation on any page in the light theme', async () => {
    assert.deepEqual(await auditEveryPage('light'), []);
  });

  it('no serious or critical WCAG A/AA violation on any page in the dark theme', async () => {
    assert.deepEqual(await auditEveryPage('dark'), []);
  });

  it('the theme toggle switches to dark, is kept across a reload, and the charts read the dark tokens', async () => {
    const { context, page } = await signedIn('light');
    const background = () => page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
    assert.equal(await background(), 'rgb(250, 248, 245)');
    const toggle = page.getByTestId('theme-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await background(), 'rgb(23, 19, 17)');
    await page.reload();
    await page.locator('[data-ready="true"]').waitFor();
    assert.equal(await page.evaluate<string>('document.documentElement.dataset.theme'), 'dark');
    assert.equal(await background(), 'rgb(23, 19, 17)');
    // An axis label of a chart is drawn in the dark theme's axis colour, a series in its series colour.
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-row-customers').click();
    const tick = page.getByTestId('profile-x1').locator('.recharts-cartesian-axis-tick-value').first();
    await tick.waitFor();
    assert.equal(await fill(tick), 'rgb(201, 189, 179)');
    const bar = page.getByTestId('profile-x1').locator('.recharts-bar-rectangle path').first();
    assert.equal(await fill(bar), 'rgb(224, 134, 90)');
    // And back: the choice to light is kept too, over a system that prefers light anyway.
    await page.getByTestId('theme-toggle').click();
    assert.equal(await background(), 'rgb(250, 248, 245)');
    assert.equal(await fill(tick), 'rgb(85, 85, 85)');
    await context.close();
  });

  it('a link names the model version: it opens that version, and Back and Forward move between versions and tabs', async () => {
    const { context, page } = await signedIn('light');
    // A new document (a hash change alone would stay on the page open now), as a pasted link opens.
    await page.goto('about:blank');
    await page.goto(`${server.url}/#models/churn/evaluation/v1`);
    await page.locator('[data-ready="true"]').waitFor();
    const pick = page.getByTestId('version-pick');
    await page.getByTestId('model-panel-evaluation').waitFor();
    assert.equal(await pick.inputValue(), '1');
    assert.match((await page.getByTestId('model-detail').textContent()) ?? '', /gbdt · binary/);
    await pick.selectOption('2');
    await page.waitForURL(/#models\/churn\/evaluation\/v2$/);
    await page.getByTestId('model-detail').filter({ hasText: 'linear · binary' }).waitFor();
    await page.getByTestId('model-tab-versions').click();
    await page.waitForURL(/#models\/churn\/versions\/v2$/);
    await page.goBack();
    await page.waitForURL(/#models\/churn\/evaluation\/v2$/);
    await page.getByTestId('model-panel-evaluation').waitFor();
    await page.goBack();
    await page.waitForURL(/#models\/churn\/evaluation\/v1$/);
    await page.getByTestId('model-detail').filter({ hasText: 'gbdt · binary' }).waitFor();
    assert.equal(await pick.inputValue(), '1');
    await page.goForward();
    await page.waitForURL(/#models\/churn\/evaluation\/v2$/);
    await page.getByTestId('model-detail').filter({ hasText: 'linear · binary' }).waitFor();
    assert.equal(await pick.inputValue(), '2');
    // Another model from the list, by keyboard: its newest version, and Back returns to churn v2.
    await page.getByTestId('models-list').getByRole('button', { name: 'routes', exact: true }).press('Enter');
    await page.waitForURL(/#models\/routes\/evaluation\/v1$/);
    await page.goBack();
    await page.waitForURL(/#models\/churn\/evaluation\/v2$/);
    await page.getByTestId('model-detail').filter({ hasText: 'linear · binary' }).waitFor();
    // Leaving for another page and coming Back returns to the model page the address names.
    await page.getByTestId('nav-runs').click();
    await page.locator('main h2', { hasText: 'Runs' }).waitFor();
    await page.goBack();
    await page.waitForURL(/#models\/churn\/evaluation\/v1$/);
    await page.getByTestId('model-detail').filter({ hasText: 'gbdt · binary' }).waitFor();
    assert.equal(await pick.inputValue(), '1');
    // A version that is not there opens the newest, and says so in the address.
    await page.goto('about:blank');
    await page.goto(`${server.url}/#models/churn/overview/v9`);
    await page.locator('[data-ready="true"]').waitFor();
    await page.waitForURL(/#models\/churn\/overview\/v2$/);
    await context.close();
  });

  it('the run comparison puts multiclass confusion matrices side by side, each sized to its table, none overlapping', async () => {
    const { context, page } = await signedIn('light');
    await page.getByTestId('nav-runs').click();
    await page.getByTestId(`run-pick-${runs['routes-gbdt']!}`).check();
    await page.getByTestId(`run-pick-${runs['routes-linear']!}`).check();
    await page.getByTestId('runs-compare').click();
    const matrices = page.getByTestId('runs-confusion').locator('figure');
    await matrices.nth(1).waitFor();
    assert.equal(await matrices.count(), 2);
    // Run in the page (the test program is compiled without the DOM library, hence a string).
    const layout = await page.evaluate<string[]>(`(() => {
      const root = document.querySelector('[data-testid="runs-confusion"]');
      const box = (e) => e.getBoundingClientRect();
      const overlap = (a, b) =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
      const figures = [...root.querySelectorAll('figure')];
      const found = [];
      figures.forEach((figure, i) => {
        const table = figure.querySelector('table');
        const region = figure.querySelector('.scroll-x');
        // The table fits its figure, or its region scrolls; the figure is no wider than its table or caption needs.
        if (box(table).width > box(region).width + 1 && region.scrollWidth <= region.clientWidth)
          found.push('matrix ' + i + ': table ' + box(table).width + ' px in a ' + box(region).width + ' px figure that does not scroll');
        if (box(figure).width > Math.max(box(table).width, box(figure.querySelector('figcaption')).width) + 2)
          found.push('matrix ' + i + ': figure ' + box(figure).width + ' px for a ' + box(table).width + ' px table');
        figures.forEach((other, j) => {
          if (j !== i && (overlap(box(figure), box(other)) || overlap(box(table), box(other))))
            found.push('matrix ' + i + ' overlaps matrix ' + j);
        });
      });
      return found;
    })()`);
    assert.deepEqual(layout, []);
    // Class names are cut to fit, whole on hover.
    const header = matrices.first().locator('thead th[title]').first();
    const title = (await header.getAttribute('title')) ?? '';
    assert.ok(longClasses.includes(title), title);
    const shown = (await header.textContent()) ?? '';
    assert.ok(shown.endsWith('…') && shown.length < title.length && title.startsWith(shown.slice(0, -1)), shown);
    await page.screenshot({ path: `${artifacts}runs-confusion.png`, fullPage: true });
    await context.close();
  });
});
