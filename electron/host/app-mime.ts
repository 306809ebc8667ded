// Content types of the renderer's built files, for both hosts: the browser host's HTTP server and the
// Electron shell's app:// protocol serve the same files and must label them the same way.
import { extname } from 'node:path';

export const APP_MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export function appMimeType(file: string): string {
  return APP_MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
