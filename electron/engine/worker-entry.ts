// Where a worker thread's entry file is, from source (tsx, vitest: compiled once into one file) and from a
// bundle, and how to start it. Used by the t-SNE runner, the import's decode pool and training's workers.
import { threadId, Worker } from 'node:worker_threads';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { appRoot } from './paths.ts';

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

/** The options compiled workers take (null: the parent's, inherited), found at the first start. */
let acceptedOptions: string[] | null | undefined;

/** Compiled copies of worker sources, made once per process (entry file -> bundle path). */
const compiledWorkers = new Map<string, string | null>();

/**
 * From source, a worker's entry bundled into one JavaScript file by esbuild (which tsx brings), packages
 * left to node_modules, written as node_modules/.cache/latent-explorer/NAME-HASH.mjs in the app's own
 * folder (so that packages and the native addon are found from it as from the source, and the same
 * sources give the same file). A worker that registered tsx compiled every module itself and kept tsx's
 * loader hooks: a training worker took ~30 MB more (npm run bench memory: the conv VAE on two threads,
 * 728-740 MB against 697-715) and started slower. Null where that cannot be done (no esbuild, a bundle
 * that fails, node_modules not a folder of the app's own, nothing writable): the worker then registers tsx.
 */
function compiledFromSource(entry: string): string | null {
  if (compiledWorkers.has(entry)) return compiledWorkers.get(entry)!;
  let compiled: string | null = null;
  let partial: string | null = null;
  let file: string | null = null;
  try {
    const root = appRoot();
    // a linked or hoisted node_modules would resolve the bundle's own lookups (the native addon, found by
    // walking up from the module) from another folder than the sources'
    if (!lstatSync(join(root, 'node_modules')).isDirectory()) throw new Error('node_modules is not the app\'s own folder');
    const tsxRequire = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    const esbuild = tsxRequire('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', write: false, logLevel: 'silent', absWorkingDir: root });
    const text = result.outputFiles[0].text;
    const dir = join(root, 'node_modules', '.cache', 'latent-explorer');
    const name = basename(entry).replace(/\.ts$/, '');
    file = join(dir, `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      // atomic: a worker started by another process or thread at the same moment reads a whole file or none
      partial = `${file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.partial`;
      writeFileSync(partial, text);
      renameSync(partial, file);
      partial = null;
    }
    compiled = file;
  } catch (error) {
    // another process may have put the same file there first (a rename refused on Windows)
    compiled = file && existsSync(file) ? file : null;
    if (!compiled) process.stderr.write(`workers start through tsx: ${(error as Error).message.split('\n')[0]}\n`);
  } finally {
    if (partial) rmSync(partial, { force: true });
  }
  compiledWorkers.set(entry, compiled);
  return compiled;
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
  if (acceptedOptions === undefined) {
    let execArgv: string[] | null = withoutTsx(process.execArgv);
    if (execArgv.length === process.execArgv.length) execArgv = null; // nothing to leave out: inherit them
    for (;;) {
      try {
        const worker = new Worker(url, execArgv ? { execArgv } : {});
        acceptedOptions = execArgv;
        return worker;
      } catch (error) {
        const refused = (error as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') : undefined;
        if (!execArgv) throw error;
        const kept: string[] = refused ? execArgv.filter((a) => !refused.includes(a)) : execArgv;
        execArgv = kept.length === execArgv.length ? null : kept; // not understood: inherit everything, tsx too
      }
    }
  }
  return new Worker(url, acceptedOptions ? { execArgv: acceptedOptions } : {});
}
