import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  screen,
  session,
  shell,
  utilityProcess,
  Notification,
  safeStorage,
  type IpcMainInvokeEvent,
  type UtilityProcess,
} from 'electron';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { consoleCsp } from './csp.js';
import { bridgeRequestSchema, type BridgeReply, type EngineHostMessage, type EngineRequest } from './bridge-protocol.js';
import {
  configWithStream,
  configWithWatch,
  datasetNameFor,
  parseDesktopAction,
  performDesktopAction,
  restoreWithEngineStopped,
  rotateWithEngineStopped,
} from './desktop-actions.js';
import { HearthError } from '../contracts/errors.js';
import { rotateStoreKey } from '../security/rotate-key.js';
import { menuTemplate } from './menu.js';
import { notificationFor } from './notify.js';
import { parseWindowState, restoreWindowState, serializeWindowState, minimumSize } from './window-state.js';
import { restoreBackup } from '../store/backup.js';
import {
  allowNavigation,
  appOrigin,
  isTrustedSender,
  permissionDecision,
  resolveAppPath,
  secureWebPreferences,
  windowOpenDecision,
} from './security.js';
import { environmentValue } from '../settings/environment.js';
import { configPath, dataDirConfig, storeKeySource } from '../settings/resolve.js';

/*
 * The desktop shell: windows, the app:// protocol and the one IPC channel. The engine runs in an Electron
 * utility process (main/desktop/engine-host.js), so no job can freeze a window, and this file stays thin.
 */

const rendererRoot = fileURLToPath(new URL('../../renderer/', import.meta.url));
/** The installation's root (dist/main/desktop/ is three folders down): the manual ships in its docs/. */
const appRoot = fileURLToPath(new URL('../../../', import.meta.url));
const channel = 'hearth:bridge';

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let engine: UtilityProcess | undefined;
/** Set while the engine is stopped on purpose (a restore): its exit then starts no new one. */
let stopping: (() => void) | null = null;
const pending = new Map<string, (reply: BridgeReply) => void>();
const windows = new Set<BrowserWindow>();

/**
 * The store key for the desktop: kept in the OS keychain through Electron's safeStorage (Keychain on macOS, DPAPI
 * on Windows, the Secret Service on Linux), sealed in a file beside the data folder. A new data folder gets a new
 * key; a folder that already holds a plain store stays plain (a key applies to new stores only).
 */
function desktopStoreKey(dataDir: string): string | undefined {
  // A key given some other way (HEARTH_STORE_KEY, store.keyFile by variable or config file, a passphrase) wins.
  const given = storeKeySource(dataDirConfig(dataDir));
  if (given.key !== undefined || given.keyFile !== undefined || given.passphrase !== undefined) return undefined;
  const sealedFile = join(app.getPath('userData'), 'store-key.sealed');
  if (existsSync(sealedFile)) return safeStorage.decryptString(readFileSync(sealedFile));
  if (existsSync(join(dataDir, 'hearth.db')) || !safeStorage.isEncryptionAvailable()) return undefined;
  const key = randomBytes(32).toString('base64');
  writeFileSync(sealedFile, safeStorage.encryptString(key), { mode: 0o600 });
  return key;
}

function dataDirectory(): string {
  return environmentValue('HEARTH_DATA_DIR') ?? join(app.getPath('userData'), 'data');
}

function startEngine(): UtilityProcess {
  const dataDir = dataDirectory();
  const key = desktopStoreKey(dataDir);
  const child = utilityProcess.fork(fileURLToPath(new URL('./engine-host.js', import.meta.url)), [], {
    serviceName: 'Hearth engine',
    env: {
      ...process.env,
      ORT_DISABLE_TELEMETRY: '1',
      HEARTH_DATA_DIR: dataDir,
      ...(key === undefined ? {} : { HEARTH_STORE_KEY: key }),
    },
  });
  child.on('message', (message: EngineHostMessage) => {
    if (message.type === 'reply') {
      pending.get(message.id)?.(message.reply);
      pending.delete(message.id);
    } else if (message.type === 'event') {
      for (const w of windows) w.webContents.send('hearth:event', message.event);
      // A finished job or a firing alert, noticed even when the window is behind another.
      const text = notificationFor(message.event);
      if (text !== null && Notification.isSupported()) new Notification(text).show();
    }
  });
  child.on('exit', (code) => {
    for (const resolve of pending.values())
      resolve({ ok: false, error: { code: 'INTERNAL', message: `the engine stopped (exit code ${code})` } });
    pending.clear();
    if (stopping !== null) {
      const done = stopping;
      stopping = null;
      engine = undefined;
      done();
      return;
    }
    if (!app.isReady() || windows.size === 0) return;
    engine = startEngine();
  });
  return child;
}

/**
 * Stops the engine on purpose and waits for it to be gone (it holds the store open): asked to shut down, it stops its
 * services, writes the prediction log and closes the store; one that has not exited in 15 s is killed.
 */
function stopEngine(): Promise<void> {
  const child = engine;
  if (child === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const deadline = setTimeout(() => child.kill(), 15_000);
    stopping = () => {
      clearTimeout(deadline);
      resolve();
    };
    child.postMessage({ id: randomUUID(), request: { kind: 'shutdown' } satisfies EngineRequest });
  });
}

/** A request to the engine process: the renderer's, or one the shell built (`local`). */
function toEngine(request: EngineRequest): Promise<BridgeReply> {
  const child = engine;
  if (child === undefined)
    return Promise.resolve({ ok: false, error: { code: 'CONFLICT', message: 'the engine is restarting: try again' } });
  const id = randomUUID();
  return new Promise((resolve) => {
    pending.set(id, resolve);
    child.postMessage({ id, request });
  });
}

/** Rewrites the data folder's config file (by rename, never half-written) and restarts the engine to apply it. */
async function editConfig(change: (text: string | null, path: string) => string): Promise<void> {
  const path = configPath(dataDirectory());
  const next = change(existsSync(path) ? readFileSync(path, 'utf8') : null, path);
  writeFileSync(`${path}.tmp`, next, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  await stopEngine();
  engine = startEngine();
}

/**
 * `hearth keys rotate` for the desktop's own key (the OS keychain's, desktopStoreKey): a new random key, sealed beside
 * the old one before the store is touched, so a rotation cut short resumes with the same key next time; it becomes the
 * key the engine starts with only after every blob and the database are under it. A key given another way (variable,
 * key file, passphrase) is that way's to rotate: `hearth keys rotate` names the new one.
 */
function rotateKey(): Promise<unknown> {
  const dataDir = dataDirectory();
  const given = storeKeySource(dataDirConfig(dataDir));
  if (given.key !== undefined || given.keyFile !== undefined || given.passphrase !== undefined)
    return Promise.reject(
      new HearthError(
        'CONFLICT',
        "the store key is not the desktop's own (it is set by a variable or the config file): rotate it with hearth keys rotate",
      ),
    );
  const sealedFile = join(app.getPath('userData'), 'store-key.sealed');
  const stagedFile = `${sealedFile}.next`;
  if (!existsSync(sealedFile))
    return Promise.reject(new HearthError('VALIDATION_FAILED', "the store is not encrypted with a key of the desktop's"));
  const current = safeStorage.decryptString(readFileSync(sealedFile));
  let next = '';
  return rotateWithEngineStopped({
    stopEngine,
    stageKey: () => {
      if (existsSync(stagedFile)) next = safeStorage.decryptString(readFileSync(stagedFile));
      else {
        next = randomBytes(32).toString('base64');
        writeFileSync(stagedFile, safeStorage.encryptString(next), { mode: 0o600 });
      }
    },
    rotate: () => rotateStoreKey(dataDir, { key: current }, { key: next }),
    commitKey: () => renameSync(stagedFile, sealedFile),
    startEngine: () => (engine = startEngine()),
  });
}

/** A native open (input) or save (output) dialog: the only way a path for a backup or a scored file is chosen. */
async function chooseFile(purpose: 'backup' | 'score-input' | 'score-output'): Promise<string | null> {
  const window = BrowserWindow.getFocusedWindow() ?? [...windows][0];
  if (purpose === 'score-input') {
    const options = {
      title: 'Score a CSV file',
      properties: ['openFile'] as 'openFile'[],
      filters: [{ name: 'CSV', extensions: ['csv', 'tsv'] }],
    };
    const r = await (window === undefined ? dialog.showOpenDialog(options) : dialog.showOpenDialog(window, options));
    return r.canceled ? null : (r.filePaths[0] ?? null);
  }
  const options =
    purpose === 'backup'
      ? {
          title: 'Save a backup',
          defaultPath: `hearth-${new Date().toISOString().replace(/[:.]/g, '-')}.hbk`,
          filters: [{ name: 'Hearth backup', extensions: ['hbk'] }],
        }
      : { title: 'Save the predictions', defaultPath: 'predictions.csv', filters: [{ name: 'CSV', extensions: ['csv'] }] };
  const r = await (window === undefined ? dialog.showSaveDialog(options) : dialog.showSaveDialog(window, options));
  return r.canceled || r.filePath === undefined || r.filePath === '' ? null : r.filePath;
}

/** A desktop action from the renderer, checked in full (zod) before anything is done. */
function desktopAction(payload: unknown): Promise<BridgeReply> {
  const parsed = parseDesktopAction(payload);
  if (!parsed.ok) return Promise.resolve({ ok: false, error: { code: 'VALIDATION_FAILED', message: parsed.message } });
  return performDesktopAction(parsed.action, {
    callLocal: (method, args) => toEngine({ kind: 'local', method, args }),
    fs: { stat: statSync, realpath: realpathSync },
    chooseFolder: async () => {
      const window = BrowserWindow.getFocusedWindow() ?? [...windows][0];
      const options = { title: 'Watch a folder', properties: ['openDirectory'] as 'openDirectory'[] };
      const r = await (window === undefined ? dialog.showOpenDialog(options) : dialog.showOpenDialog(window, options));
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    // The config file gains the folder or stream (the rest of it unchanged), and the engine restarts so its services
    // run it, exactly as `hearth serve` would after an edit and a restart.
    addWatch: (watch) => editConfig((text, path) => configWithWatch(text, path, watch)),
    addStream: (stream) => editConfig((text, path) => configWithStream(text, path, stream)),
    rotateKey,
    chooseFile,
    callEngine: (request) => toEngine(request),
    restore: (file, passphrase) => {
      const dataDir = dataDirectory();
      const backupDir = dataDirConfig(dataDir)?.backups?.dir ?? join(dataDir, 'backups');
      return restoreWithEngineStopped(dataDir, {
        stopEngine,
        startEngine: () => (engine = startEngine()),
        restore: () =>
          restoreBackup(join(backupDir, file), dataDir, { force: true, ...(passphrase === undefined ? {} : { passphrase }) }),
      });
    },
  });
}

/** Sends the focused window (or the first) a menu command its console carries out (an export, files to ingest). */
function toRenderer(command: { command: 'ingest-files'; paths: string[] } | { command: 'export-onnx' }): void {
  const target = BrowserWindow.getFocusedWindow() ?? [...windows][0];
  target?.webContents.send('hearth:menu', command);
}

function installMenu(): void {
  const parent = () => BrowserWindow.getFocusedWindow() ?? [...windows][0];
  const template = menuTemplate(
    { platform: process.platform, dev: !app.isPackaged, appName: 'Hearth' },
    {
      openDataset: () => {
        const window = parent();
        const options = {
          title: 'Open a dataset',
          properties: ['openFile', 'multiSelections'] as ('openFile' | 'multiSelections')[],
          filters: [{ name: 'CSV or Parquet', extensions: ['csv', 'tsv', 'parquet', 'pq'] }],
        };
        void (window === undefined ? dialog.showOpenDialog(options) : dialog.showOpenDialog(window, options)).then((r) => {
          if (!r.canceled && r.filePaths.length > 0) toRenderer({ command: 'ingest-files', paths: r.filePaths });
        });
      },
      importModel: () => {
        const options = {
          title: 'Import an ONNX model',
          properties: ['openFile'] as 'openFile'[],
          filters: [{ name: 'ONNX model', extensions: ['onnx'] }],
        };
        const window = parent();
        void (window === undefined ? dialog.showOpenDialog(options) : dialog.showOpenDialog(window, options)).then(async (r) => {
          const path = r.filePaths[0];
          if (r.canceled || path === undefined) return;
          const name = datasetNameFor(path);
          const reply = await toEngine({ kind: 'local', method: 'models.import', args: { name, path } });
          void dialog.showMessageBox({
            type: reply.ok ? 'info' : 'error',
            message: reply.ok ? `Imported ${name}` : `Could not import ${name}`,
            detail: reply.ok ? 'It is on the Models page.' : reply.error.message,
          });
        });
      },
      exportOnnx: () => toRenderer({ command: 'export-onnx' }),
      openManual: () => void shell.openPath(join(appRoot, 'docs')),
      about: () =>
        void dialog.showMessageBox({
          type: 'info',
          title: 'About Hearth',
          message: `Hearth ${app.getVersion()}`,
          detail: `On-device machine learning.\nElectron ${process.versions.electron}, Node ${process.versions.node}, Chromium ${process.versions.chrome}`,
        }),
    },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

const windowStateFile = (): string => join(app.getPath('userData'), 'window-state.json');

/** The displays' work areas, the primary first (window-state.ts clamps a saved window onto one of them). */
function workAreas() {
  const primary = screen.getPrimaryDisplay();
  return [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea);
}

/** Only our own top frame, loaded from app://hearth, may use the bridge. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  return isTrustedSender(event.senderFrame);
}

function createWindow(): void {
  const saved = parseWindowState(existsSync(windowStateFile()) ? readFileSync(windowStateFile(), 'utf8') : null);
  const state = restoreWindowState(saved, workAreas());
  const window = new BrowserWindow({
    ...state.bounds,
    minWidth: minimumSize.width,
    minHeight: minimumSize.height,
    title: 'Hearth',
    webPreferences: secureWebPreferences(fileURLToPath(new URL('./preload.cjs', import.meta.url))),
  });
  if (state.maximized) window.maximize();
  windows.add(window);
  // The normal bounds (not the maximised ones), so un-maximising next time lands where the user left it.
  window.on('close', () => {
    try {
      writeFileSync(
        windowStateFile(),
        serializeWindowState({ bounds: window.getNormalBounds(), maximized: window.isMaximized() }),
      );
    } catch {
      // The state is a comfort: a read-only profile folder must not stop the window from closing.
    }
  });
  window.on('closed', () => windows.delete(window));
  window.webContents.setWindowOpenHandler(windowOpenDecision);
  window.webContents.on('will-navigate', (event, url) => {
    if (!allowNavigation(url)) event.preventDefault();
  });
  void window.loadURL(`${appOrigin}/index.html`);
}

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(permissionDecision()));
  session.defaultSession.setPermissionCheckHandler(permissionDecision);
  protocol.handle('app', async (request) => {
    const path = resolveAppPath(rendererRoot, request.url);
    if (path === null) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(path).toString());
    const headers = new Headers(response.headers);
    headers.set('content-security-policy', consoleCsp);
    return new Response(response.body, { status: response.status, headers });
  });
  engine = startEngine();
  ipcMain.handle(channel, (event, payload: unknown): Promise<BridgeReply> => {
    if (!trustedSender(event)) return Promise.resolve({ ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } });
    const parsed = bridgeRequestSchema.safeParse(payload);
    if (!parsed.success)
      return Promise.resolve({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'malformed bridge request' } });
    const request = parsed.data;
    if (request.kind === 'desktop') return desktopAction(request.payload);
    return toEngine(request.kind === 'call' ? { kind: 'call', method: request.method, args: request.args } : request);
  });
  installMenu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.on('window-all-closed', () => {
  engine?.kill();
  if (process.platform !== 'darwin') app.quit();
});
