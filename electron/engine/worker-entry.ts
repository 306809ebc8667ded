// Where a worker thread's entry file is, from source (tsx, vitest: compiled once into one file) and from a
// bundle, and how to start it. Used by the t-SNE runner, the import's decode pool and training's workers.
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
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
  const compiled = compiledFromSource(fileURLToPath(url));
  if (compiled) return { url: pathToFileURL(compiled) };
  const api = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return { url, bootstrap };
}

/** Compiled copies of worker sources, made once per process (entry file -> bundle path). */
const compiledWorkers = new Map<string, string | null>();

/**
 * From source, a worker's entry bundled into one JavaScript file by esbuild (which tsx brings), packages
 * left to node_modules, written as node_modules/.cache/latent-explorer/NAME-HASH.mjs (so that packages and
 * the native addon are found from it as from the source, and the same sources give the same file). A worker
 * that registered tsx compiled every module itself and kept tsx's loader hooks: a training worker took
 * ~30 MB more (npm run bench memory: the conv VAE on two threads, 728-730 MB against 698), and started
 * slower. Null where esbuild cannot be loaded or the bundle fails: the worker then registers tsx.
 */
function compiledFromSource(entry: string): string | null {
  if (compiledWorkers.has(entry)) return compiledWorkers.get(entry)!;
  let compiled: string | null = null;
  try {
    const tsxRequire = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    const esbuild = tsxRequire('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', write: false, logLevel: 'silent' });
    const text = result.outputFiles[0].text;
    const dir = join(projectRoot(entry), 'node_modules', '.cache', 'latent-explorer');
    const name = entry.split(/[\\/]/).pop()!.replace(/\.ts$/, '');
    const file = join(dir, `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      // atomic: a worker started by another process at the same moment reads a whole file or none
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, text);
      renameSync(partial, file);
    }
    compiled = file;
  } catch {
    compiled = null;
  }
  compiledWorkers.set(entry, compiled);
  return compiled;
}

/** The folder holding node_modules above `file` (the project's root). */
function projectRoot(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'node_modules'))) return dir;
  throw new Error(`no node_modules above ${file}`);
}

/** Node's options minus tsx's (`--import tsx` and the like): a compiled worker needs no loader hooks. */
export function withoutTsx(execArgv: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i];
    const takesValue = ['--import', '--require', '-r', '--loader', '--experimental-loader'].includes(arg);
    const value = takesValue ? execArgv[i + 1] ?? '' : arg.replace(/^--(import|require|loader|experimental-loader)=/, '');
    if (/(^|[\\/])tsx([\\/]|$)/.test(value) || value === 'tsx') {
      if (takesValue) i++;
      continue;
    }
    kept.push(arg);
  }
  return kept;
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
  return entry.bootstrap ? new Worker(entry.bootstrap, { eval: true, execArgv: [] }) : startCompiled(entry.url);
}

/**
 * A worker on compiled JavaScript, without tsx's hooks (the parent's `--import tsx` would load them for
 * nothing). Its options are the parent's less tsx's, and less V8's (--expose-gc, --max-semi-space-size,
 * which are the process's: a worker refuses them, naming them, and they apply to it anyway).
 */
function startCompiled(url: URL): Worker {
  let execArgv = withoutTsx(process.execArgv);
  if (execArgv.length === process.execArgv.length) return new Worker(url); // nothing to leave out: inherit them
  for (;;) {
    try {
      return new Worker(url, { execArgv });
    } catch (error) {
      const refused = (error as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') : undefined;
      const kept = refused ? execArgv.filter((a) => !refused.includes(a)) : execArgv;
      if (kept.length === execArgv.length) return new Worker(url); // not understood: inherit everything, tsx too
      execArgv = kept;
    }
  }
}
