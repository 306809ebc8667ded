// Electron's security checklist, checked on the shell's pure functions (no Electron binary can run
// here) and on main.ts wiring them in.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRequestFile, appStartUrl, externalUrlAllowed, isTrustedSender, permissionAllowed, refusedFromRenderer, SaveGrants, windowOpenDecision } from '../../electron/shell/security.ts';
import { FUSES } from '../../electron/shell/fuses.ts';

const main = readFileSync(join(import.meta.dirname, '..', '..', 'electron', 'shell', 'main.ts'), 'utf8');

describe('Electron security checklist', () => {
  it('window.open and links: never a new window; only https: goes to the system browser', () => {
    expect(windowOpenDecision('https://example.org/paper.pdf')).toEqual({ openExternally: true, action: 'deny' });
    for (const url of ['http://example.org', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'app://bundle/x', 'not a url'])
      expect(windowOpenDecision(url), url).toEqual({ openExternally: false, action: 'deny' });
    expect(externalUrlAllowed('HTTPS://EXAMPLE.ORG')).toBe(true);
    expect(main).toMatch(/setWindowOpenHandler\(\(\{ url \}\) => \{\s*const decision = windowOpenDecision\(url\)/);
  });

  it('every permission request is denied', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(permissionAllowed(p)).toBe(false);
    expect(main).toMatch(/setPermissionRequestHandler\([^)]*\) => callback\(permissionAllowed\(permission\)\)\)/);
    expect(main).toMatch(/setPermissionCheckHandler/);
  });

  it('the renderer loads from app://, never file://, and app:// serves only the renderer folder', () => {
    expect(appStartUrl()).toBe('app://bundle/index.html');
    expect(appStartUrl('sample:mnist')).toBe('app://bundle/index.html?open=sample%3Amnist');
    const dir = '/opt/le/out/renderer';
    expect(appRequestFile('app://bundle/', dir)).toBe('/opt/le/out/renderer/index.html');
    expect(appRequestFile('app://bundle/assets/index-1.js', dir)).toBe('/opt/le/out/renderer/assets/index-1.js');
    for (const url of ['app://bundle/..%2F..%2F..%2Fetc%2Fpasswd', 'app://other/index.html', 'file:///etc/passwd', 'app://bundle/%E0%A4%A'])
      expect(appRequestFile(url, dir), url).toBeNull();
    // The URL parser folds plain ../ away: whatever it names stays inside the renderer folder.
    for (const url of ['app://bundle/../../../etc/passwd', 'app://bundle/%2e%2e/%2e%2e/etc/passwd']) expect(appRequestFile(url, dir)?.startsWith(`${dir}/`), url).toBe(true);
    expect(main).toMatch(/registerSchemesAsPrivileged/);
    expect(main).toMatch(/loadURL\(appStartUrl\(open\)\)/);
    expect(main).not.toMatch(/loadFile\(/);
  });

  it('IPC is taken only from the window’s main frame showing the app', () => {
    const mainFrame = { url: 'app://bundle/index.html' };
    expect(isTrustedSender(mainFrame, mainFrame)).toBe(true);
    expect(isTrustedSender({ url: 'app://bundle/index.html' }, mainFrame)).toBe(false); // an iframe
    const navigated = { url: 'https://evil.example/' };
    expect(isTrustedSender(navigated, navigated)).toBe(false);
    expect(isTrustedSender(null, mainFrame)).toBe(false);
    expect(main).toMatch(/isTrustedSender\(event\.senderFrame, win\.webContents\.mainFrame\)/);
  });

  it('main accepts an output path only if its own save dialog returned it', () => {
    const grants = new SaveGrants();
    const request = (out?: string) => ({ kind: 'request', id: 1, method: 'export.start', params: { spec: { kind: 'bundle', runDir: '/r' }, out } });
    expect(refusedFromRenderer(request('/home/me/.bashrc'), grants)).toMatch(/save dialog/);
    grants.grant('/home/me/Documents/traversal.gif');
    expect(refusedFromRenderer(request('/home/me/Documents/traversal.gif'), grants)).toBeNull();
    expect(refusedFromRenderer(request('/home/me/Documents/traversal.gif'), grants)).toBeNull(); // the confirm-replace second ask
    expect(refusedFromRenderer(request('/home/me/Documents/other.gif'), grants)).toMatch(/save dialog/);
    expect(refusedFromRenderer(request(undefined), grants)).toBeNull();
    expect(refusedFromRenderer({ kind: 'request', method: 'app.info', params: {} }, grants)).toBeNull();
    expect(main).toMatch(/if \(path\) saveGrants\.grant\(path\)/);
    expect(main).toMatch(/refusedFromRenderer\(message, saveGrants\)/);
  });

  it('fuses for packaging: runAsNode and NODE_OPTIONS off, the app only from its asar', () => {
    expect(FUSES).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true, enableEmbeddedAsarIntegrityValidation: true });
    const script = readFileSync(join(import.meta.dirname, '..', '..', 'scripts', 'flip-fuses.mjs'), 'utf8');
    for (const option of ['RunAsNode', 'EnableNodeOptionsEnvironmentVariable', 'OnlyLoadAppFromAsar']) expect(script).toContain(`FuseV1Options.${option}`);
  });
});
