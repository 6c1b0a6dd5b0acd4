// Sandboxed preloads must be CommonJS. This exposes exactly three functions; never ipcRenderer itself.
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
});
