// Electron's security checklist, as pure functions main.ts wires in (no `electron` import here, so
// unit tests check them without an Electron binary): external links, permissions, the app:// origin
// the renderer loads from, which IPC senders count, and output paths only from main's own dialog.
import { normalize, resolve, sep } from 'node:path';

/** Links the window may hand to the system browser: https only (no file:, javascript:, custom schemes). */
export function externalUrlAllowed(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** setWindowOpenHandler: never a new Electron window; https links go to the browser. */
export function windowOpenDecision(url: string): { openExternally: boolean; action: 'deny' } {
  return { openExternally: externalUrlAllowed(url), action: 'deny' };
}

/** setPermissionRequestHandler / setPermissionCheckHandler: the app needs no camera, notification or other permission. */
export function permissionAllowed(_permission: string): false {
  return false;
}

/** The renderer's origin: a custom, standard and secure scheme instead of file:// (which can read any file). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'bundle';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The renderer's start page, with `?open=...` when a dataset is to be opened at start. */
export function appStartUrl(open?: string): string {
  return `${APP_ORIGIN}/index.html${open ? `?open=${encodeURIComponent(open)}` : ''}`;
}

/**
 * The file an app:// request is answered with, inside `rendererDir` only; null (404) for another
 * host, a path that leaves the folder, or anything unparsable.
 */
export function appRequestFile(url: string, rendererDir: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  const root = resolve(rendererDir);
  const file = normalize(resolve(root, `.${path === '/' ? '/index.html' : path}`));
  if (!file.startsWith(root + sep) || path.includes('\0')) return null;
  return file;
}

export { APP_MIME, appMimeType } from '../host/app-mime.ts';

/** IPC is taken only from our window's main frame showing our own page (not an iframe, not a navigated-away page). */
export function isTrustedSender(frame: { url: string } | null | undefined, mainFrame: unknown): boolean {
  if (!frame || frame !== mainFrame) return false;
  return frame.url.startsWith(`${APP_ORIGIN}/`);
}

/**
 * Output paths main accepts from the renderer: only those its own save dialog returned (the last 32;
 * an export asks twice when it must confirm replacing a file). A compromised page cannot make the
 * engine write to ~/.bashrc.
 */
export class SaveGrants {
  private granted: string[] = [];

  grant(path: string): void {
    this.granted = [...this.granted.filter((p) => p !== resolve(path)), resolve(path)].slice(-32);
  }

  allows(path: unknown): boolean {
    return typeof path === 'string' && path !== '' && this.granted.includes(resolve(path));
  }
}

/** Why main refuses a request from the renderer before it reaches the engine, or null. */
export function refusedFromRenderer(message: { kind: string; method?: string; params?: unknown }, grants: SaveGrants): string | null {
  if (message.kind !== 'request' || message.method !== 'export.start') return null;
  const out = (message.params as { out?: unknown } | null | undefined)?.out;
  if (out === undefined) return null;
  if (grants.allows(out)) return null;
  return 'Exports are written only where the save dialog was answered; choose the file again.';
}
