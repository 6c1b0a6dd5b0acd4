import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ApiEvent, TrainingJob } from '../../main/contracts/api.js';
import type { CallOutcome } from '../../main/contracts/transport.js';
import { isBridgeRequest } from '../../main/desktop/bridge-protocol.js';
import {
  checkDroppedFile,
  configWithWatch,
  datasetNameFor,
  maxDroppedBytes,
  parseDesktopAction,
  performDesktopAction,
  restoreWithEngineStopped,
  type FileProbe,
} from '../../main/desktop/desktop-actions.js';
import { menuTemplate, type MenuItemTemplate } from '../../main/desktop/menu.js';
import { notificationFor } from '../../main/desktop/notify.js';
import { parseWindowState, restoreWindowState, serializeWindowState } from '../../main/desktop/window-state.js';
import { tempDir } from '../helpers.js';

const root = new URL('../../../', import.meta.url);

/** A fake file system: path → size (a regular file), 'dir' or a link's target. */
function probe(entries: Record<string, number | 'dir' | { link: string }>): FileProbe {
  const resolve = (p: string): string => {
    const e = entries[p];
    return typeof e === 'object' ? resolve(e.link) : p;
  };
  return {
    realpath: (p) => {
      if (!(p in entries)) throw new Error('ENOENT');
      return resolve(p);
    },
    stat: (p) => {
      const e = entries[p];
      if (e === undefined || typeof e === 'object') throw new Error('ENOENT');
      return { isFile: () => e !== 'dir', isDirectory: () => e === 'dir', size: e === 'dir' ? 0 : e };
    },
  };
}

describe('the desktop shell, checked without Electron', () => {
  it('keeps electron out of every module a test or the engine imports (only main.ts and the preload take it)', () => {
    for (const file of ['bridge-protocol', 'desktop-actions', 'menu', 'notify', 'window-state', 'security', 'csp'])
      assert.doesNotMatch(
        readFileSync(new URL(`main/desktop/${file}.ts`, root), 'utf8'),
        /from 'electron'|require\('electron'\)/,
        file,
      );
  });

  describe('window state', () => {
    const laptop = { x: 0, y: 0, width: 1440, height: 875 };
    const monitor = { x: 1440, y: -200, width: 2560, height: 1400 };

    it('opens a first window at the default size, centred on the primary display', () => {
      assert.deepEqual(restoreWindowState(null, [laptop]), {
        bounds: { x: 80, y: 8, width: 1280, height: 860 },
        maximized: false,
      });
    });

    it('keeps a window where it was when its title bar is on a display', () => {
      const saved = { bounds: { x: 1600, y: 0, width: 1800, height: 1000 }, maximized: true };
      assert.deepEqual(restoreWindowState(saved, [laptop, monitor]), saved);
    });

    it('moves a window left on a monitor that is gone to the primary display, shrunk to fit its work area', () => {
      const saved = { bounds: { x: 1600, y: 0, width: 1800, height: 1000 }, maximized: false };
      assert.deepEqual(restoreWindowState(saved, [laptop]), {
        bounds: { x: 0, y: 0, width: 1440, height: 875 },
        maximized: false,
      });
    });

    it('pulls a window hanging off an edge back inside, and a title bar above the top is not reachable', () => {
      // 200 px of its title bar on the laptop: reachable, so it stays on the laptop, moved fully inside.
      const hanging = { bounds: { x: 1240, y: 100, width: 800, height: 600 }, maximized: false };
      assert.deepEqual(restoreWindowState(hanging, [laptop]).bounds, { x: 640, y: 100, width: 800, height: 600 });
      // The title bar 30 px above the display's top: only 10 px of it show, so it is centred instead.
      const above = { bounds: { x: 100, y: -30, width: 800, height: 600 }, maximized: false };
      assert.deepEqual(restoreWindowState(above, [laptop]).bounds, { x: 320, y: 138, width: 800, height: 600 });
    });

    it('never opens smaller than the minimum, and a state file that is not ours is ignored', () => {
      const tiny = { bounds: { x: 10, y: 10, width: 50, height: 20 }, maximized: false };
      assert.deepEqual(restoreWindowState(tiny, [laptop]).bounds, { x: 10, y: 10, width: 640, height: 480 });
      for (const bad of [
        null,
        '',
        'not json',
        '{"bounds":{"x":0}}',
        '{"bounds":{"x":0,"y":0,"width":-1,"height":5},"maximized":false}',
      ])
        assert.equal(parseWindowState(bad), null, String(bad));
      const state = { bounds: { x: 12.4, y: 3, width: 900.6, height: 700 }, maximized: true };
      assert.deepEqual(parseWindowState(serializeWindowState(state)), {
        bounds: { x: 12, y: 3, width: 901, height: 700 },
        maximized: true,
      });
    });
  });

  describe('menu', () => {
    const calls: string[] = [];
    const actions = {
      openDataset: () => calls.push('open'),
      importModel: () => calls.push('import'),
      exportOnnx: () => calls.push('export'),
      openManual: () => calls.push('manual'),
      about: () => calls.push('about'),
    };
    const labels = (items: MenuItemTemplate[]) => items.map((i) => i.label ?? i.role ?? i.type);
    const sub = (items: MenuItemTemplate[], label: string) => items.find((i) => i.label === label)!.submenu!;

    it('offers File (open, import, export), Edit, View, Window and Help; the app menu first on macOS', () => {
      const linux = menuTemplate({ platform: 'linux', dev: false, appName: 'Hearth' }, actions);
      assert.deepEqual(labels(linux), ['File', 'editMenu', 'View', 'windowMenu', 'Help']);
      assert.deepEqual(labels(sub(linux, 'File')), ['Open Dataset…', 'Import Model…', 'Export ONNX…', 'separator', 'quit']);
      assert.deepEqual(labels(sub(linux, 'Help')), ['Hearth Manual', 'separator', 'About Hearth']);
      const mac = menuTemplate({ platform: 'darwin', dev: false, appName: 'Hearth' }, actions);
      assert.deepEqual(labels(mac), ['appMenu', 'File', 'editMenu', 'View', 'windowMenu', 'Help']);
      assert.equal(sub(mac, 'File').at(-1)!.role, 'close');
      assert.deepEqual(labels(sub(mac, 'Help')), ['Hearth Manual']);
      for (const item of sub(linux, 'File').slice(0, 3)) item.click!();
      for (const item of sub(linux, 'Help')) item.click?.();
      assert.deepEqual(calls, ['open', 'import', 'export', 'manual', 'about']);
    });

    it('offers reload and the developer tools only unpackaged', () => {
      const roles = (dev: boolean) =>
        sub(menuTemplate({ platform: 'linux', dev, appName: 'Hearth' }, actions), 'View').map((i) => i.role ?? i.type);
      assert.deepEqual(roles(false), ['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen']);
      assert.deepEqual(roles(true).slice(0, 3), ['reload', 'forceReload', 'toggleDevTools']);
    });
  });

  describe('dropped files and the desktop actions over IPC', () => {
    const fs = probe({
      '/home/u/sales.csv': 120,
      '/home/u/Q1 Sales (final).parquet': 4096,
      '/home/u/empty.csv': 0,
      '/home/u/folder.csv': 'dir',
      '/home/u/huge.csv': maxDroppedBytes + 1,
      '/home/u/link.csv': { link: '/home/u/sales.csv' },
      '/home/u/sneaky.csv': { link: '/etc/shadow' },
      '/etc/shadow': 900,
    });

    it('accepts an absolute CSV or Parquet regular file within the limit, following a link to what is read', () => {
      assert.deepEqual(checkDroppedFile('/home/u/sales.csv', fs), {
        path: '/home/u/sales.csv',
        fileName: 'sales.csv',
        format: 'csv',
      });
      assert.deepEqual(checkDroppedFile('/home/u/link.csv', fs), {
        path: '/home/u/sales.csv',
        fileName: 'link.csv',
        format: 'csv',
      });
      assert.equal((checkDroppedFile('/home/u/Q1 Sales (final).parquet', fs) as { format: string }).format, 'parquet');
    });

    it('refuses a relative path, another kind of file, a folder, an empty or huge file, and a link to a non-CSV', () => {
      const refusal = (p: string) => (checkDroppedFile(p, fs) as { error?: string }).error ?? 'accepted';
      assert.match(refusal('sales.csv'), /not an absolute path/);
      assert.match(refusal('/home/u/model.onnx'), /only CSV .* and Parquet/);
      assert.match(refusal('/home/u/missing.csv'), /cannot be read/);
      assert.match(refusal('/home/u/folder.csv'), /not a regular file/);
      assert.match(refusal('/home/u/empty.csv'), /empty/);
      assert.match(refusal('/home/u/huge.csv'), /larger than 2 GiB/);
      assert.match(refusal('/home/u/sneaky.csv'), /links to a file that is not CSV/);
    });

    it('names a dataset after a file, keeping only what a name may hold', () => {
      assert.equal(datasetNameFor('/home/u/Q1 Sales (final).parquet'), 'Q1-Sales-final-');
      assert.equal(datasetNameFor('/home/u/..csv'), 'dataset');
      assert.equal(datasetNameFor('/x/' + 'a'.repeat(300) + '.csv').length, 128);
    });

    it("checks each action's payload with zod, and the bridge carries it only as kind desktop", () => {
      assert.equal(parseDesktopAction({ action: 'ingest-files', dataset: 'sales', paths: ['/home/u/sales.csv'] }).ok, true);
      for (const bad of [
        { action: 'ingest-files', dataset: '../etc', paths: ['/a.csv'] },
        { action: 'ingest-files', dataset: 'sales', paths: [] },
        { action: 'ingest-files', dataset: 'sales', paths: ['/a.csv'], extra: 1 },
        { action: 'restore', file: '../../secret.hbk' },
        { action: 'ingest-query', args: { name: 'x', from: 'mysql://h/db', query: 'select 1' } },
        { action: 'run-shell', command: 'rm -rf /' },
        null,
      ]) {
        const parsed = parseDesktopAction(bad);
        assert.equal(parsed.ok, false, JSON.stringify(bad));
      }
      assert.match((parseDesktopAction({ action: 'restore', file: 'x' }) as { message: string }).message, /^file: /);
      assert.equal(isBridgeRequest({ kind: 'desktop', payload: { action: 'restore', file: 'hearth-1.hbk' } }), true);
      assert.equal(isBridgeRequest({ kind: 'local', method: 'datasets.ingest', args: { path: '/etc/shadow' } }), false);
    });

    it('ingests the files in order (the first makes the version, the rest append), reporting a refused one and going on', async () => {
      const sent: [string, unknown][] = [];
      let version = 0;
      const action = parseDesktopAction({
        action: 'ingest-files',
        dataset: 'sales',
        paths: ['/home/u/sales.csv', '/home/u/folder.csv', '/home/u/link.csv'],
      });
      assert.ok(action.ok);
      const outcome = await performDesktopAction(action.action, {
        fs,
        restore: () => Promise.reject(new Error('not asked')),
        chooseFolder: () => Promise.reject(new Error('not asked')),
        addWatch: () => Promise.reject(new Error('not asked')),
        addStream: () => Promise.reject(new Error('not asked')),
        rotateKey: () => Promise.reject(new Error('not asked')),
        chooseFile: () => Promise.reject(new Error('not asked')),
        callEngine: () => Promise.reject(new Error('not asked')),
        callLocal: async (method, args): Promise<CallOutcome> => {
          sent.push([method, args]);
          return { ok: true, result: { version: ++version } };
        },
      });
      assert.deepEqual(sent, [
        ['datasets.ingest', { name: 'sales', path: '/home/u/sales.csv', fileName: 'sales.csv', format: 'csv' }],
        ['datasets.ingest', { name: 'sales', path: '/home/u/sales.csv', fileName: 'link.csv', format: 'csv', append: true }],
      ]);
      assert.deepEqual(outcome, {
        ok: true,
        result: [
          { file: 'sales.csv', ok: true, result: { version: 1 } },
          { file: 'folder.csv', ok: false, error: { code: 'VALIDATION_FAILED', message: 'folder.csv: not a regular file' } },
          { file: 'link.csv', ok: true, result: { version: 2 } },
        ],
      });
    });

    it('adds a watched folder the user chose to the config file, keeping the rest, and refuses a file or a repeat', async () => {
      const added: unknown[] = [];
      const deps = (folder: string | null) => ({
        fs,
        chooseFolder: () => Promise.resolve(folder),
        addWatch: async (w: unknown) => void added.push(w),
        restore: () => Promise.reject(new Error('not asked')),
        callLocal: () => Promise.reject(new Error('not asked')),
        addStream: () => Promise.reject(new Error('not asked')),
        rotateKey: () => Promise.reject(new Error('not asked')),
        chooseFile: () => Promise.reject(new Error('not asked')),
        callEngine: () => Promise.reject(new Error('not asked')),
      });
      const action = parseDesktopAction({ action: 'add-watch', dataset: 'events', intervalSeconds: 10 });
      assert.ok(action.ok);
      assert.deepEqual(await performDesktopAction(action.action, deps('/home/u/folder.csv')), {
        ok: true,
        result: { added: { dir: '/home/u/folder.csv', dataset: 'events', intervalSeconds: 10 } },
      });
      assert.deepEqual(await performDesktopAction(action.action, deps(null)), { ok: true, result: { added: null } });
      const notFolder = await performDesktopAction(action.action, deps('/home/u/sales.csv'));
      assert.equal(notFolder.ok ? '' : notFolder.error.code, 'VALIDATION_FAILED');
      assert.equal(added.length, 1);

      const before = '{"server": {"port": 9000}, "watch": [{"dir": "/a", "dataset": "x"}]}';
      const after = JSON.parse(configWithWatch(before, 'hearth.config.json', { dir: '/b', dataset: 'y' })) as unknown;
      assert.deepEqual(after, {
        server: { port: 9000 },
        watch: [
          { dir: '/a', dataset: 'x' },
          { dir: '/b', dataset: 'y' },
        ],
      });
      assert.deepEqual(JSON.parse(configWithWatch(null, 'c.json', { dir: '/b', dataset: 'y' })), {
        watch: [{ dir: '/b', dataset: 'y' }],
      });
      assert.throws(() => configWithWatch(before, 'c.json', { dir: '/a', dataset: 'x' }), /already watched/);
      assert.throws(() => configWithWatch('{not json', 'c.json', { dir: '/b', dataset: 'y' }), /not JSON/);
      assert.throws(() => configWithWatch('{"watch": 5}', 'c.json', { dir: '/b', dataset: 'y' }), /c\.json/);
      assert.throws(() => configWithWatch('{"nonsense": 1}', 'c.json', { dir: '/b', dataset: 'y' }), /c\.json/);
    });

    it('restores with the engine stopped, starts it again even when the restore fails, and carries back what the store lacks', async () => {
      const tmp = tempDir();
      try {
        const dataDir = join(tmp.dir, 'data');
        const replaced = join(tmp.dir, 'data.replaced');
        mkdirSync(join(replaced, 'backups'), { recursive: true });
        writeFileSync(join(replaced, 'backups', 'hearth-1.hbk'), 'x');
        writeFileSync(join(replaced, 'hearth.config.json'), '{}');
        mkdirSync(dataDir);
        writeFileSync(join(dataDir, 'hearth.config.json'), '{"restored":true}');
        const steps: string[] = [];
        const result = await restoreWithEngineStopped(dataDir, {
          stopEngine: async () => void steps.push('stop'),
          restore: async () => (steps.push('restore'), { replacedTo: replaced, files: 3 }),
          startEngine: () => void steps.push('start'),
        });
        assert.deepEqual(steps, ['stop', 'restore', 'start']);
        assert.deepEqual(result, { replacedTo: replaced, files: 3, carriedBack: ['backups'] });
        assert.ok(existsSync(join(dataDir, 'backups', 'hearth-1.hbk')));
        // The restored folder's own config wins over the old one.
        assert.equal(readFileSync(join(dataDir, 'hearth.config.json'), 'utf8'), '{"restored":true}');

        steps.length = 0;
        await assert.rejects(
          restoreWithEngineStopped(dataDir, {
            stopEngine: async () => void steps.push('stop'),
            restore: () => Promise.reject(new Error('bad passphrase')),
            startEngine: () => void steps.push('start'),
          }),
          /bad passphrase/,
        );
        assert.deepEqual(steps, ['stop', 'start']);
      } finally {
        tmp.cleanup();
      }
    });
  });

  describe('notifications', () => {
    const job = (over: Partial<TrainingJob>): ApiEvent => ({
      name: 'training.did-finish',
      data: {
        id: 'j1',
        status: 'succeeded',
        args: { model: 'churn' } as TrainingJob['args'],
        createdAt: '',
        finishedAt: '',
        progress: null,
        history: [],
        result: { model: 'churn', version: 3, metrics: {}, durationMs: 12_400 },
        error: null,
        ...over,
      },
    });

    it('tells of a finished or failed training job, a pipeline run and a firing alert, and of nothing else', () => {
      assert.deepEqual(notificationFor(job({})), { title: 'Trained churn v3', body: 'Finished in 12 s.' });
      assert.deepEqual(
        notificationFor(job({ status: 'failed', result: null, error: { code: 'VALIDATION_FAILED', message: 'no rows' } })),
        { title: 'Training churn failed', body: 'no rows' },
      );
      assert.equal(notificationFor(job({ status: 'cancelled', result: null })), null);
      const alert = (status: 'firing' | 'resolved'): ApiEvent => ({
        name: 'alerts.changed',
        data: {
          id: 1,
          rule: 'drift',
          model: 'churn',
          kind: 'drift',
          status,
          value: 0.4,
          message: 'PSI 0.4',
          startedAt: '',
          resolvedAt: null,
          webhook: { status: null, attempts: 0 },
        } as never,
      });
      assert.deepEqual(notificationFor(alert('firing')), { title: 'Hearth alert: drift', body: 'PSI 0.4' });
      assert.equal(notificationFor(alert('resolved')), null);
      assert.equal(
        notificationFor({ name: 'datasets.ingest-progress', data: { dataset: 'd', bytesRead: 1, totalBytes: 2 } }),
        null,
      );
    });
  });
});
