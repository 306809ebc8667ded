// Where a worker thread's entry file is, from source (tsx, vitest) and from a bundle, and how to
// start it. Used by the t-SNE runner and the import's decode pool.
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry {
  /** The worker's entry file (NAME.ts from source, NAME.js in a bundle). */
  url: URL;
  /** From source: a bootstrap evaluated in the worker that registers tsx, then imports `url`. */
  bootstrap?: string;
}

/**
 * The entry `name` of a worker whose source sits next to the module at `callerUrl`
 * (import.meta.url). From source (tsx, vitest) that is NAME.ts. Node 20 does not apply loader hooks
 * given as `--import tsx` in a worker's execArgv to the worker's own entry (verified: "Unknown file
 * extension .ts"), so the worker starts from a small evaluated bootstrap that registers tsx through
 * its API and then imports the entry. In a bundle the entry is the compiled NAME.js next to the
 * caller's chunk (or one folder up). `override` (a path, from an environment variable) wins.
 */
export function workerEntry(name: string, callerUrl: string, override?: string): WorkerEntry {
  const fromSource = callerUrl.endsWith('.ts');
  let url: URL;
  if (override) url = pathToFileURL(override);
  else if (fromSource) url = new URL(`./${name}.ts`, callerUrl);
  else {
    // Bundled: next to this chunk, or one folder up when the bundler put this code in a chunks/ folder.
    const candidates = [new URL(`./${name}.js`, callerUrl), new URL(`../${name}.js`, callerUrl)];
    url = candidates.find((c) => existsSync(fileURLToPath(c))) ?? candidates[0];
  }
  if (!url.pathname.endsWith('.ts')) return { url };
  const api = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return { url, bootstrap };
}

/** file: URL of tsx's ESM API ('tsx/esm/api', import condition), read from tsx's own exports map. */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, unknown> };
  const entry = manifest.exports['./esm/api'] as { import: { default: string } };
  return pathToFileURL(join(dirname(manifestPath), entry.import.default)).href;
}

export function startWorker(entry: WorkerEntry): Worker {
  // execArgv [] for the bootstrap: an inherited `--import tsx` would register tsx a second time.
  return entry.bootstrap ? new Worker(entry.bootstrap, { eval: true, execArgv: [] }) : new Worker(entry.url);
}
