import {
  app,
  BrowserWindow,
  ipcMain,
  net,
  protocol,
  session,
  utilityProcess,
  Notification,
  safeStorage,
  type IpcMainInvokeEvent,
  type UtilityProcess,
} from 'electron';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { consoleCsp } from './csp.js';
import { isBridgeRequest, type BridgeReply, type EngineHostMessage } from './bridge-protocol.js';
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
import { dataDirConfig, storeKeySource } from '../settings/resolve.js';

/*
 * The desktop shell: windows, the app:// protocol and the one IPC channel. The engine runs in an Electron
 * utility process (main/desktop/engine-host.js), so no job can freeze a window, and this file stays thin.
 */

const rendererRoot = fileURLToPath(new URL('../../renderer/', import.meta.url));
const channel = 'hearth:bridge';

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let engine: UtilityProcess | undefined;
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

function startEngine(): UtilityProcess {
  const dataDir = environmentValue('HEARTH_DATA_DIR') ?? join(app.getPath('userData'), 'data');
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
      if (message.event.name === 'alerts.changed' && message.event.data.status === 'firing' && Notification.isSupported())
        new Notification({ title: `Hearth alert: ${message.event.data.rule}`, body: message.event.data.message }).show();
    }
  });
  child.on('exit', (code) => {
    for (const resolve of pending.values())
      resolve({ ok: false, error: { code: 'INTERNAL', message: `the engine stopped (exit code ${code})` } });
    pending.clear();
    if (!app.isReady() || windows.size === 0) return;
    engine = startEngine();
  });
  return child;
}

/** Only our own top frame, loaded from app://hearth, may use the bridge. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  return isTrustedSender(event.senderFrame);
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'Hearth',
    webPreferences: secureWebPreferences(fileURLToPath(new URL('./preload.cjs', import.meta.url))),
  });
  windows.add(window);
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
  ipcMain.handle(channel, (event, request: unknown): Promise<BridgeReply> => {
    if (!trustedSender(event)) return Promise.resolve({ ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } });
    if (!isBridgeRequest(request))
      return Promise.resolve({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'malformed bridge request' } });
    const id = randomUUID();
    return new Promise((resolve) => {
      pending.set(id, resolve);
      engine!.postMessage({ id, request });
    });
  });
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
