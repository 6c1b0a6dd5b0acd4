import { join, normalize, sep } from 'node:path';

/*
 * The desktop shell's security decisions, kept free of electron so tests can check them without the runtime
 * (main.ts applies them): Electron's security checklist items 2-4 and 11-15 for windows, navigation, new windows,
 * permissions, IPC senders and the app:// protocol.
 */

export const appOrigin = 'app://hearth';

/**
 * scheme://host of a URL. Node's WHATWG URL gives `origin` "null" for any scheme it does not know, app:// included
 * (Electron's renderer knows it as standard; its main process uses Node's URL), so the origin is built by hand.
 */
function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.host === '' ? null : `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Every window's webPreferences: isolated, sandboxed, no Node, no webviews, web security on. */
export function secureWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    spellcheck: false,
  } as const;
}

/** Only our own top frame, loaded from app://hearth, may use the bridge. */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  if (frame === null || frame === undefined || frame.parent !== null) return false;
  return originOf(frame.url) === appOrigin;
}

/** Navigation stays inside the app: any other origin (the web, file://) is refused. */
export function allowNavigation(url: string): boolean {
  return originOf(url) === appOrigin;
}

/** New windows are never opened (links to the web are not followed from inside the app). */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/** Permission requests (camera, geolocation, notifications from pages…) are all refused. */
export function permissionDecision(): false {
  return false;
}

/** The file an app:// URL names inside the renderer folder, or null for another host or a path that escapes it. */
export function resolveAppPath(rendererRoot: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'app:' || url.host !== 'hearth') return null;
  const root = rendererRoot.endsWith(sep) ? rendererRoot : rendererRoot + sep;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  const path = normalize(join(root, pathname));
  return path.startsWith(root) ? path : null;
}
