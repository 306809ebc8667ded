// app.info and the folder browser the browser host uses in place of a native dialog.
import { readdirSync, statSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AppInfo, FolderListing } from '../../contract/api.ts';
import { UserError } from '../../contract/errors.ts';
import { initBackend } from '../backend.ts';
import { defaultThreadsOn } from '../training/parallel/threads.ts';
import type { HandlerMap } from '../context.ts';
import { dataDir } from '../paths.ts';
import { appVersion } from '../training/versions.ts';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);

export async function appInfo(): Promise<AppInfo> {
  return {
    version: appVersion(),
    node: process.versions.node,
    tfjs: tf.version.tfjs,
    platform: `${platform()} ${process.arch}`,
    backend: await backendWithThreads(),
    dataDir: dataDir(),
  };
}

/** The backend and the threads its runs take by default; a malformed LATENT_EXPLORER_THREADS is reported when training starts. */
async function backendWithThreads() {
  const backend = await initBackend();
  let threads;
  try {
    threads = defaultThreadsOn(backend.backend);
  } catch {
    threads = defaultThreadsOn(backend.backend, {});
  }
  return { ...backend, threads };
}

export function listFolder(path?: string): FolderListing {
  const dir = resolve(path || homedir());
  let names: import('node:fs').Dirent[];
  try {
    names = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UserError(`${dir}: cannot open this folder (${code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code ?? 'error'}).`);
  }
  const entries: FolderListing['entries'] = [];
  let imageCount = 0;
  for (const entry of names) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        continue; // a dangling link is nothing to browse into
      }
    }
    if (isDir) entries.push({ name: entry.name, path: full, isDir: true });
    else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) imageCount++;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const parent = dirname(dir) === dir ? null : dirname(dir);
  return { path: dir, parent, entries, imageCount };
}

export const systemHandlers: HandlerMap = {
  'app.info': () => appInfo(),
  'fs.list': ({ path }) => listFolder(path),
  // A host with native dialogs answers this itself; the engine's answer means "use the folder browser".
  'host.pickFolder': () => ({ path: null, browse: true }),
  'job.cancel': ({ jobId }, ctx) => ({ cancelled: ctx.jobs.cancel(jobId) }),
};
