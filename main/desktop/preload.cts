// Sandboxed preloads must be CommonJS. This exposes a few functions; never ipcRenderer itself.
import electron = require('electron');

type Listener = (event: unknown) => void;

electron.contextBridge.exposeInMainWorld('hearth', {
  call: (method: string, args: unknown): Promise<unknown> =>
    electron.ipcRenderer.invoke('hearth:bridge', { kind: 'call', method, args }),
  upload: (data: ArrayBuffer, fileName: string): Promise<unknown> =>
    electron.ipcRenderer.invoke('hearth:bridge', { kind: 'upload', fileName, data }),
  onEvent: (listener: Listener): (() => void) => {
    const handler = (_event: unknown, payload: unknown): void => listener(payload);
    electron.ipcRenderer.on('hearth:event', handler);
    return () => electron.ipcRenderer.removeListener('hearth:event', handler);
  },
  // The desktop's own actions (SQL source, dropped files, restore): the main process checks each with zod.
  desktop: (payload: unknown): Promise<unknown> => electron.ipcRenderer.invoke('hearth:bridge', { kind: 'desktop', payload }),
  // A dropped File's path on this machine (Electron no longer sets File.path); the main process checks it again.
  pathForFile: (file: File): string => electron.webUtils.getPathForFile(file),
  onMenu: (listener: Listener): (() => void) => {
    const handler = (_event: unknown, payload: unknown): void => listener(payload);
    electron.ipcRenderer.on('hearth:menu', handler);
    return () => electron.ipcRenderer.removeListener('hearth:menu', handler);
  },
});
