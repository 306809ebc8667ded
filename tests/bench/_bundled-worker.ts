// The projections' worker bundled into one JavaScript file, as the app ships it (electron-vite emits
// out/main/tsne-worker.js): a worker started from it loads compiled JS, while one started from the
// TypeScript source first registers tsx and compiles every module, which a user never waits for.
// Built from the current source with esbuild (installed with tsx) into the OS temp folder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Path of the bundled worker, or null when esbuild cannot be loaded. */
export async function bundledProjectionWorker(): Promise<string | null> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  const outfile = join(mkdtempSync(join(tmpdir(), 'latent-explorer-worker-')), 'tsne-worker.mjs');
  const entry = join(import.meta.dirname, '../../electron/engine/projections/tsne-worker.ts');
  esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error' });
  return outfile;
}
