import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consoleCsp as httpCsp } from '../../main/api/http-server.js';
import { isBridgeRequest } from '../../main/desktop/bridge-protocol.js';
import { consoleCsp } from '../../main/desktop/csp.js';
import {
  allowNavigation,
  isTrustedSender,
  permissionDecision,
  resolveAppPath,
  secureWebPreferences,
  windowOpenDecision,
} from '../../main/desktop/security.js';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0] !== '')
      .map((d) => [d[0]!, d.slice(1)]),
  );
}

describe("the desktop shell's security checklist (checked without Electron)", () => {
  it('windows are context-isolated, sandboxed, without Node or webviews, with web security on', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    assert.deepEqual(
      {
        contextIsolation: prefs.contextIsolation,
        sandbox: prefs.sandbox,
        nodeIntegration: prefs.nodeIntegration,
        nodeIntegrationInWorker: prefs.nodeIntegrationInWorker,
        nodeIntegrationInSubFrames: prefs.nodeIntegrationInSubFrames,
        webSecurity: prefs.webSecurity,
        allowRunningInsecureContent: prefs.allowRunningInsecureContent,
        webviewTag: prefs.webviewTag,
        experimentalFeatures: prefs.experimentalFeatures,
      },
      {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
      },
    );
  });

  it("the content security policies allow only the app's own scripts, no plugins, no framing; the desktop one no network", () => {
    for (const csp of [consoleCsp, httpCsp]) {
      const d = directives(csp);
      assert.deepEqual(d.get('script-src'), ["'self'"], 'no inline or eval scripts');
      assert.deepEqual(d.get('object-src'), ["'none'"]);
      assert.deepEqual(d.get('frame-ancestors'), ["'none'"]);
      assert.deepEqual(d.get('base-uri'), ["'none'"]);
      assert.equal(d.get('default-src')?.includes('*'), false);
    }
    assert.deepEqual(
      directives(consoleCsp).get('connect-src'),
      ["'none'"],
      'the desktop renderer reaches the engine over IPC only',
    );
  });

  it("only the app's own top frame may use the bridge", () => {
    assert.equal(isTrustedSender({ url: 'app://hearth/index.html', parent: null }), true);
    assert.equal(isTrustedSender({ url: 'app://hearth/index.html', parent: {} }), false, 'a subframe');
    assert.equal(isTrustedSender({ url: 'https://evil.example/', parent: null }), false);
    assert.equal(isTrustedSender({ url: 'file:///tmp/x.html', parent: null }), false);
    assert.equal(isTrustedSender({ url: 'not a url', parent: null }), false);
    assert.equal(isTrustedSender(null), false);
  });

  it('navigation stays in the app, new windows and permissions are refused', () => {
    assert.equal(allowNavigation('app://hearth/index.html#models'), true);
    for (const url of ['https://example.org/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)', '']) {
      assert.equal(allowNavigation(url), false, url);
    }
    assert.deepEqual(windowOpenDecision(), { action: 'deny' });
    assert.equal(permissionDecision(), false);
  });

  it('app:// serves files from the renderer folder only', () => {
    const root = '/opt/hearth/renderer/';
    assert.equal(resolveAppPath(root, 'app://hearth/index.html'), '/opt/hearth/renderer/index.html');
    assert.equal(resolveAppPath(root, 'app://hearth/assets/app.js'), '/opt/hearth/renderer/assets/app.js');
    // The URL parser resolves dot segments (%2e too) itself, inside the root; encoded slashes must not escape it.
    assert.equal(resolveAppPath(root, 'app://hearth/../../etc/passwd'), '/opt/hearth/renderer/etc/passwd');
    assert.equal(resolveAppPath(root, 'app://hearth/%2e%2e/%2e%2e/etc/passwd'), '/opt/hearth/renderer/etc/passwd');
    for (const url of ['app://hearth/..%2f..%2fetc%2fpasswd', 'app://evil/index.html', 'app://hearth/%E0%A4%A']) {
      assert.equal(resolveAppPath(root, url), null, url);
    }
  });

  it('IPC requests are shape-checked before they reach the engine', () => {
    assert.equal(isBridgeRequest({ kind: 'call', method: 'models.list', args: {} }), true);
    assert.equal(isBridgeRequest({ kind: 'upload', fileName: 'a.csv', data: new ArrayBuffer(4) }), true);
    for (const bad of [
      null,
      'models.list',
      { kind: 'call', method: '__proto__.x' },
      { kind: 'call', method: 'models.list; rm -rf' },
      { kind: 'upload', fileName: 'a'.repeat(300), data: new ArrayBuffer(1) },
      { kind: 'upload', fileName: 'a.csv', data: 'not bytes' },
      { kind: 'eval', code: '1' },
    ]) {
      assert.equal(isBridgeRequest(bad), false, JSON.stringify(bad));
    }
  });
});
