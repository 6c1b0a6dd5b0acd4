/**
 * `npm run screenshots [-- <folder>]`: pictures of the console's main pages at 1280×800, in the light and the dark
 * theme, written as PNGs to <folder> (docs/screenshots/ by default). It starts a headless `hearth serve` on a
 * throwaway data folder, ingests the bundled sample and trains its first model as `hearth start` does, adds a
 * boosted-trees version to compare it with, and opens each page in Chromium as a user would.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { startJsonChild, tempDir } from '../helpers.js';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { sampleDataset } from '../../main/cli/commands/serve.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const token = 'screenshots-token-abcdefghijklmnop';
const viewport = { width: 1280, height: 800 };

/** Waits for a training job; its id once it succeeded. */
async function finished(api: Client, jobId: string): Promise<string> {
  for (;;) {
    const j = await api.call('training.get', { jobId });
    if (j.status === 'succeeded') return jobId;
    if (j.status !== 'queued' && j.status !== 'running')
      throw new Error(`training ${jobId}: ${j.status} ${j.error?.message ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The pages shown, each opened from the signed-in console and waited on until its content is drawn. */
const shots: { name: string; open: (page: Page, runs: string[]) => Promise<void> }[] = [
  {
    name: 'overview',
    open: (page) => page.getByTestId('overview-production').locator('tbody tr').first().waitFor(),
  },
  {
    name: 'dataset',
    open: async (page) => {
      await page.getByTestId('nav-datasets').click();
      await page.getByTestId(`dataset-row-${sampleDataset.name}`).click();
      await page.getByTestId('dataset-detail').locator('.recharts-surface').first().waitFor();
    },
  },
  ...(['overview', 'evaluation', 'explanations'] as const).map((tab) => ({
    name: `model-${tab}`,
    open: async (page: Page) => {
      await page.getByTestId('nav-models').click();
      await page.getByTestId(`model-tab-${tab}`).click();
      const panel = page.getByTestId(`model-panel-${tab}`);
      await panel.waitFor();
      if (tab !== 'overview') await panel.locator('.recharts-surface, table').first().waitFor();
    },
  })),
  {
    name: 'runs-compare',
    open: async (page, runs) => {
      await page.getByTestId('nav-runs').click();
      for (const id of runs) await page.getByTestId(`run-pick-${id}`).check();
      await page.getByTestId('runs-compare').click();
      await page.getByTestId('runs-comparison').waitFor();
      await page.getByTestId('runs-comparison').scrollIntoViewIfNeeded();
    },
  },
  {
    name: 'predict',
    open: async (page) => {
      await page.getByTestId('nav-predict').click();
      await page.getByTestId('predict-model').selectOption(sampleDataset.model);
      await page.locator(`[data-testid="predict-form"][data-model="${sampleDataset.model}"]`).waitFor();
    },
  },
  { name: 'train', open: (page) => page.getByTestId('nav-train').click() },
];

async function main(): Promise<void> {
  const folder = resolve(process.argv[2] ?? 'docs/screenshots');
  mkdirSync(folder, { recursive: true });
  const tmp = tempDir('hearth-screenshots-');
  let server: { child: ChildProcess; url: string } | undefined;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  try {
    server = await startJsonChild(
      process.execPath,
      [bin, 'serve', '--port', '0', '--json', '--data-dir', join(tmp.dir, 'data')],
      {
        HEARTH_TOKEN: token,
      },
    );
    const api = createClient(httpTransport({ baseUrl: server.url, token }));
    const uploadId = await api.upload(new Blob([readFileSync(sampleDataset.file)]), 'birdstrikes.csv');
    await api.call('datasets.ingest', { name: sampleDataset.name, uploadId, fileName: 'birdstrikes.csv' });
    // The sample's first model as `hearth start` trains it, then boosted trees beside it (version 2).
    const runs = [
      await finished(
        api,
        (
          await api.call('training.start', {
            dataset: sampleDataset.name,
            target: sampleDataset.target,
            algorithm: 'auto',
            timeBudget: sampleDataset.timeBudget,
            model: sampleDataset.model,
          })
        ).id,
      ),
      await finished(
        api,
        (
          await api.call('training.start', {
            dataset: sampleDataset.name,
            target: sampleDataset.target,
            algorithm: 'gbdt',
            trees: 200,
            learningRate: 0.05,
            model: sampleDataset.model,
          })
        ).id,
      ),
    ];
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      for (const shot of shots) {
        await page.goto(`${server.url}/#token=${token}`);
        await page.locator('[data-ready="true"]').waitFor();
        await shot.open(page, runs);
        // Let charts measure their containers and settle before the picture.
        await page.waitForTimeout(400);
        const file = join(folder, `${shot.name}-${colorScheme}.png`);
        await page.screenshot({ path: file });
        console.log(`${file} ${Math.round(statSync(file).size / 1024)} KiB`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    server?.child.kill('SIGTERM');
    await new Promise((r) => server?.child.once('exit', r) ?? r(undefined));
    tmp.cleanup();
  }
}

await main();
