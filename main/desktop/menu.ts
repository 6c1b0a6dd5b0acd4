/*
 * The application menu's template, built without electron so a test can read it: main.ts hands it to
 * Menu.buildFromTemplate, whose MenuItemConstructorOptions this type matches (the compiler checks it there).
 */

/** The Electron roles the menu uses (each a built-in action: Electron implements it). */
export type MenuRole =
  | 'appMenu'
  | 'editMenu'
  | 'windowMenu'
  | 'quit'
  | 'close'
  | 'reload'
  | 'forceReload'
  | 'toggleDevTools'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen';

export interface MenuItemTemplate {
  id?: string;
  label?: string;
  role?: MenuRole;
  type?: 'separator' | 'normal';
  accelerator?: string;
  click?: () => void;
  submenu?: MenuItemTemplate[];
}

/** What the menu's own items do; main.ts supplies them (native dialogs, the engine, the shell). */
export interface MenuActions {
  openDataset: () => void;
  importModel: () => void;
  exportOnnx: () => void;
  openManual: () => void;
  about: () => void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Unpackaged (npm run desktop): reload and the developer tools are offered; a packaged app has neither. */
  dev: boolean;
  appName: string;
}

const separator: MenuItemTemplate = { type: 'separator' };

/** File (open a dataset, import a model, export ONNX), Edit, View, Window and Help; on macOS the app menu first. */
export function menuTemplate(options: MenuOptions, actions: MenuActions): MenuItemTemplate[] {
  const mac = options.platform === 'darwin';
  const file: MenuItemTemplate = {
    label: 'File',
    submenu: [
      { id: 'open-dataset', label: 'Open Dataset…', accelerator: 'CmdOrCtrl+O', click: actions.openDataset },
      { id: 'import-model', label: 'Import Model…', accelerator: 'CmdOrCtrl+I', click: actions.importModel },
      { id: 'export-onnx', label: 'Export ONNX…', accelerator: 'CmdOrCtrl+E', click: actions.exportOnnx },
      separator,
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItemTemplate = {
    label: 'View',
    submenu: [
      ...(options.dev
        ? [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, separator]
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemTemplate = {
    label: 'Help',
    submenu: [
      { id: 'manual', label: `${options.appName} Manual`, click: actions.openManual },
      // macOS puts About in the app menu (its role); elsewhere it lives here.
      ...(mac ? [] : [separator, { id: 'about', label: `About ${options.appName}`, click: actions.about }]),
    ],
  };
  return [...(mac ? [{ role: 'appMenu' as const }] : []), file, { role: 'editMenu' }, view, { role: 'windowMenu' }, help];
}
