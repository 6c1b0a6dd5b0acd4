import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { waitForJob } from '../integration/harness.js';
import { startJsonChild, syntheticCsv, tempDir } from '../helpers.js';

/*
 * The console's operations against a real `hearth serve` whose config names a watched folder and an MQTT stream:
 * what an admin sees and does over HTTP (and the notes where HTTP refuses by design), what a viewer does not see, and
 * the desktop app's half of the console (its forms and confirmations) with the main process's bridge stood in for.
 */

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const token = 'e2e-gaps-token-abcdefghijk';

/** Selectors live here, not in the steps. */
class Console {
  constructor(readonly page: Page) {}
  nav(name: 'datasets' | 'models' | 'operations') {
    return this.page.getByTestId(`nav-${name}`).click();
  }
  text(testId: string) {
    return this.page
      .getByTestId(testId)
      .textContent()
      .then((t) => t ?? '');
  }
  ready() {
    return this.page.locator('[data-ready="true"]').waitFor();
  }
}

describe('console: operations, SQL sources, ONNX download and the desktop half', () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'data');
  const inbox = join(tmp.dir, 'inbox');
  let server: { child: ChildProcess; url: string };
  let api: Client;
  let browser: Browser;
  let contexts: BrowserContext[] = [];

  const open = async (options: { token: string; bridge?: boolean }): Promise<Console> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    contexts.push(context);
    if (options.bridge === true)
      // The desktop preload's bridge, stood in for: API calls go to the real server; desktop actions are recorded
      // and answered as the main process answers them (their own checks are unit-tested without Electron).
      await context.addInitScript(
        ({ token: t }) => {
          const w = globalThis as unknown as Record<string, unknown>;
          const sent: unknown[] = [];
          w.desktopSent = sent;
          w.hearth = {
            call: async (method: string, args: unknown) => {
              const r = await fetch(`/api/${method}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
                body: JSON.stringify(args ?? {}),
              });
              const body: unknown = await r.json();
              return r.ok ? { ok: true, result: body } : { ok: false, error: body };
            },
            upload: () => Promise.resolve({ ok: false, error: { code: 'NOT_SUPPORTED', message: 'not in this test' } }),
            onEvent: () => () => undefined,
            onMenu: (listener: (command: unknown) => void) => {
              w.menu = listener;
              return () => undefined;
            },
            pathForFile: () => '',
            desktop: (payload: { action: string; dataset?: string }) => {
              sent.push(payload);
              if (payload.action === 'ingest-files')
                return Promise.resolve({
                  ok: true,
                  result: [
                    { file: 'Q1 sales.csv', ok: true, result: { dataset: payload.dataset, version: 3, rows: 12 } },
                    { file: 'notes.txt', ok: false, error: { code: 'VALIDATION_FAILED', message: 'notes.txt: only CSV' } },
                  ],
                });
              if (payload.action === 'add-watch')
                return Promise.resolve({ ok: true, result: { added: { dir: '/srv/drop', dataset: payload.dataset } } });
              if (payload.action === 'ingest-query')
                return Promise.resolve({
                  ok: true,
                  result: { dataset: 'orders', version: 1, rows: 42, quarantined: 0, columns: [], contentHash: 'x' },
                });
              return Promise.resolve({
                ok: true,
                result: { files: 7, replacedTo: '/data.replaced-1', carriedBack: ['backups'] },
              });
            },
          };
        },
        { token },
      );
    const ui = new Console(await context.newPage());
    await ui.page.goto(options.bridge === true ? server.url : `${server.url}/#token=${options.token}`);
    await ui.ready();
    return ui;
  };

  before(async () => {
    mkdirSync(dataDir);
    mkdirSync(inbox);
    writeFileSync(
      join(dataDir, 'hearth.config.json'),
      JSON.stringify({
        watch: [{ dir: inbox, dataset: 'events', intervalSeconds: 0.2 }],
        streams: [{ mqtt: 'mqtt://plant:hunter2@127.0.0.1:1', in: 'line/in', out: 'line/out', model: 'churn' }],
      }),
    );
    server = await startJsonChild(process.execPath, [bin, 'serve', '--port', '0', '--json', '--data-dir', dataDir], {
      HEARTH_TOKEN: token,
    });
    api = createClient(httpTransport({ baseUrl: server.url, token }));
    const uploadId = await api.upload(new Blob([syntheticCsv('binary', 400, 3)]), 'churn.csv');
    await api.call('datasets.ingest', { name: 'churn', uploadId, fileName: 'churn.csv' });
    const job = await api.call('training.start', { dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
    assert.equal((await waitForJob(api, job.id)).status, 'succeeded');
    // A file in the watched folder, old enough to be taken on the watcher's second look.
    const file = join(inbox, 'monday.csv');
    writeFileSync(file, syntheticCsv('binary', 30, 4));
    const t = Date.now() / 1000 - 60;
    utimesSync(file, t, t);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    contexts = [];
    await browser?.close();
    server?.child.kill('SIGTERM');
    tmp.cleanup();
  });

  it("shows an admin the config's stream and watched folder, read-only, with what the folder appended", async () => {
    const ui = await open({ token });
    await ui.nav('operations');
    const row = ui.page.getByTestId('stream-line/in');
    await row.waitFor();
    const stream = (await row.textContent()) ?? '';
    assert.match(stream, /line\/in → line\/out/);
    assert.match(stream, /mqtt:\/\/plant:\*\*\*@127\.0\.0\.1:1/);
    assert.doesNotMatch(stream, /hunter2/);
    assert.match(await ui.text('stream-state-line/in'), /reconnecting/);
    // The watcher appends on its own schedule: refresh until the page shows the file.
    const recent = ui.page.getByTestId('watch-recent-events');
    for (let i = 0; i < 100 && (await recent.count()) === 0; i++) {
      await ui.page.getByTestId('operations-refresh').click();
      await ui.page.waitForTimeout(200);
    }
    assert.match((await recent.textContent()) ?? '', /monday\.csv\s*appended 30 rows as v1/);
    assert.match(await ui.text('watches-note'), /refuses over HTTP by design/);
    // Over HTTP the folders and streams are read-only: no field to add one.
    assert.equal(await ui.page.locator('[data-testid="watches"] input, [data-testid="streams"] input').count(), 0);
    assert.equal(await ui.page.getByTestId('watch-add').count(), 0);
  });

  it('says the store is plain and that rotation is done on the box; backs up, lists the backup, and gives the restore command', async () => {
    const ui = await open({ token });
    await ui.nav('operations');
    assert.match(await ui.text('store-key-status'), /not encrypted/);
    assert.equal(await ui.page.getByTestId('store-key-status').getAttribute('data-encrypted'), 'false');
    assert.match(await ui.text('store-key-host-only'), /hearth keys rotate --new-key-file FILE/);
    await ui.page.getByTestId('restore-backup-create').click();
    const made = /to (hearth-[0-9TZ-]+\.hbk)\./.exec(
      await ui.page
        .getByTestId('restore-message')
        .textContent()
        .then((t) => t ?? ''),
    );
    assert.ok(made !== null);
    await ui.page.getByTestId(`restore-row-${made[1]}`).waitFor();
    assert.deepEqual(
      (await api.call('backups.list', {})).map((b) => b.file),
      [made[1]],
    );
    // Over HTTP restore is the box's: the command, and no button that would fail.
    assert.match(await ui.text('restore-host-only'), /hearth backup restore .* --force/);
    assert.equal(await ui.page.locator('[data-testid^="restore-hearth-"]').count(), 0);
  });

  it('says SQL sources are refused over HTTP by design, with the CLI command, instead of a form', async () => {
    const ui = await open({ token });
    await ui.nav('datasets');
    await ui.page.getByTestId('sql-source').locator('summary').click();
    assert.match(await ui.text('sql-source-note'), /refused over HTTP by design.*hearth ingest --from postgres:\/\//s);
    assert.equal(await ui.page.getByTestId('sql-source-form').count(), 0);
  });

  it("downloads the model's ONNX file: an ONNX protobuf, byte for byte the API's models.export", async () => {
    const ui = await open({ token });
    await ui.nav('models');
    const [download] = await Promise.all([ui.page.waitForEvent('download'), ui.page.getByTestId('download-onnx').click()]);
    assert.equal(download.suggestedFilename(), 'churn-v1.onnx');
    const saved = join(tmp.dir, 'downloaded.onnx');
    await download.saveAs(saved);
    const bytes = readFileSync(saved);
    // ModelProto's field 1, ir_version, a varint: tag byte (1 << 3) | 0; then the IR version (ONNX IR 3 or later).
    assert.equal(bytes[0], 0x08);
    assert.ok(bytes[1]! >= 3 && bytes[1]! < 0x80);
    const exported = await api.call('models.export', { name: 'churn', version: 1 });
    assert.ok(Buffer.from(exported.base64, 'base64').equals(bytes), 'the download is the API export');
  });

  it("shows a viewer none of the admin's operations", async () => {
    const viewer = (await api.call('tokens.create', { name: 'gaps-viewer', role: 'viewer' })).token;
    const ui = await open({ token: viewer });
    await ui.nav('operations');
    await ui.page.getByTestId('operations-admin-only').waitFor();
    for (const id of ['restore-backup-create', 'streams', 'watches', 'store-key', 'operations-refresh'])
      assert.equal(await ui.page.getByTestId(id).count(), 0, id);
  });

  it('in the desktop app: sends a SQL source as a desktop action, and restores only after a confirmation naming what is replaced', async () => {
    const ui = await open({ token, bridge: true });
    await ui.nav('datasets');
    await ui.page.getByTestId('sql-source').locator('summary').click();
    await ui.page.getByTestId('sql-name').fill('orders');
    await ui.page.getByTestId('sql-from').fill('sqlite:///srv/shop.db');
    await ui.page.getByTestId('sql-query').fill('SELECT * FROM orders');
    await ui.page.getByTestId('sql-ingest').click();
    assert.match(
      await ui.page
        .getByTestId('sql-message')
        .textContent()
        .then((t) => t ?? ''),
      /Ingested 42 rows into orders v1/,
    );

    await ui.nav('operations');
    await ui.page.getByTestId('watch-add-dataset').fill('drops');
    await ui.page.getByTestId('watch-add-interval').fill('30');
    await ui.page.getByTestId('watch-add-choose').click();
    assert.match(await ui.text('watch-add-message'), /Watching \/srv\/drop for drops/);
    assert.equal(await ui.page.getByTestId('restore-host-only').count(), 0);
    const [backup] = await api.call('backups.list', {});
    assert.ok(backup !== undefined);
    await ui.page.getByTestId(`restore-${backup.file}`).click();
    const replaces = await ui.page.getByTestId('restore-replaces').textContent();
    assert.match(replaces ?? '', new RegExp(`everything in ${dataDir.replace(/[/.]/g, '\\$&')}: its 2 datasets, 1 models`));
    // Cancel first: nothing is sent.
    await ui.page.getByTestId('restore-confirm-no').click();
    assert.equal(await ui.page.getByTestId('restore-confirm').count(), 0);
    await ui.page.getByTestId(`restore-${backup.file}`).click();
    await ui.page.getByTestId('restore-confirm-yes').click();
    assert.match(
      await ui.page
        .getByTestId('restore-message')
        .textContent()
        .then((t) => t ?? ''),
      /Restored 7 files/,
    );
    const sent = await ui.page.evaluate(() => (globalThis as unknown as { desktopSent: unknown[] }).desktopSent);
    assert.deepEqual(sent, [
      { action: 'ingest-query', args: { name: 'orders', from: 'sqlite:///srv/shop.db', query: 'SELECT * FROM orders' } },
      { action: 'add-watch', dataset: 'drops', intervalSeconds: 30 },
      { action: 'restore', file: backup.file },
    ]);
  });

  it('in the desktop app: File › Open Dataset… (or a drop) offers the files under a dataset named after the first, then ingests them by path', async () => {
    const ui = await open({ token, bridge: true });
    await ui.page.evaluate(() =>
      (globalThis as unknown as { menu: (c: unknown) => void }).menu({
        command: 'ingest-files',
        paths: ['/home/u/Q1 sales.csv', '/home/u/notes.txt'],
      }),
    );
    await ui.page.getByTestId('drop-panel').waitFor();
    assert.equal(await ui.page.getByTestId('drop-dataset').inputValue(), 'Q1-sales');
    await ui.page.getByTestId('drop-dataset').fill('sales');
    await ui.page.getByTestId('drop-append').check();
    await ui.page.getByTestId('drop-ingest').click();
    assert.match(await ui.text('drop-message'), /Ingested 1 file\(s\) into sales v3\. notes\.txt: notes\.txt: only CSV/);
    assert.equal(await ui.page.getByTestId('drop-panel').count(), 0);
    const sent = await ui.page.evaluate(() => (globalThis as unknown as { desktopSent: unknown[] }).desktopSent);
    assert.deepEqual(sent, [
      { action: 'ingest-files', dataset: 'sales', paths: ['/home/u/Q1 sales.csv', '/home/u/notes.txt'], append: true },
    ]);
  });
});
