// Handlers of the export requests (see contract/exports.ts): describe, preview, start (a job with
// progress and cancel that writes the file or sends its bytes back), and the engine's answer to
// host.saveFile where no native dialog exists (the browser host downloads instead).
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportSpec } from '../../contract/exports.ts';
import { throwIfCancelled, UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { throttle } from '../jobs.ts';
import type { LoadedRun } from '../training/run-file.ts';
import { loadRun, readRunFile, runJsonPath } from '../training/run-file.ts';
import { describeRun, previewExport, produceExport, saveExport } from '../exports/exporter.ts';
import { sourceFor } from '../exports/source.ts';
import { checkOutput, checkOutputFolder, OutputExistsError } from '../exports/write.ts';

// Runs stay open between a preview and the export that follows it; a changed run.json or decoder reopens.
interface OpenRun {
  key: string;
  loaded: Promise<LoadedRun>;
  users: number;
  evicted: boolean;
}
const openRuns = new Map<string, OpenRun>();
const KEEP_OPEN = 2;

function version(runDir: string): string {
  const stamp = (p: string) => {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return 0;
    }
  };
  return `${stamp(runJsonPath(runDir))}|${stamp(join(runDir, 'decoder', 'model.json'))}`;
}

function release(entry: OpenRun): void {
  entry.users--;
  if (entry.evicted && entry.users === 0) entry.loaded.then((r) => r.dispose(), () => {});
}

function evict(runDir: string): void {
  const entry = openRuns.get(runDir);
  if (!entry) return;
  openRuns.delete(runDir);
  entry.evicted = true;
  if (entry.users === 0) entry.loaded.then((r) => r.dispose(), () => {});
}

/** Runs `work` with the run opened (shared with other requests for the same run). */
async function withRun<T>(runDir: string, work: (loaded: LoadedRun) => Promise<T>): Promise<T> {
  const dir = resolve(runDir);
  const key = version(dir);
  let entry = openRuns.get(dir);
  if (entry && entry.key !== key) {
    evict(dir);
    entry = undefined;
  }
  if (!entry) {
    entry = { key, loaded: loadRun(dir), users: 0, evicted: false };
    openRuns.set(dir, entry);
    for (const other of openRuns.keys()) if (openRuns.size > KEEP_OPEN && other !== dir) evict(other);
  }
  entry.users++;
  try {
    let loaded: LoadedRun;
    try {
      loaded = await entry.loaded;
    } catch (error) {
      evict(dir);
      throw error;
    }
    return await work(loaded);
  } finally {
    release(entry);
  }
}

function checkSpec(spec: ExportSpec | undefined): ExportSpec {
  if (!spec || typeof spec !== 'object' || typeof spec.runDir !== 'string' || !spec.runDir) throw new UserError('An export needs a run folder (runDir).');
  return spec;
}

export const exportHandlers: HandlerMap = {
  'export.describe': ({ runDir }) => describeRun(readRunFile(resolve(runDir)), resolve(runDir)),

  'export.preview': (params) => {
    const spec = checkSpec(params);
    return withRun(spec.runDir, (loaded) => previewExport(sourceFor(loaded), spec));
  },

  'export.start': ({ spec: given, out, overwrite }, ctx) => {
    const spec = checkSpec(given);
    const force = overwrite === true;
    if (out !== undefined) {
      if (typeof out !== 'string' || !out) throw new UserError('The output path is empty.');
      try {
        const folder = spec.kind === 'bundle' && (spec.options as { format?: string } | undefined)?.format === 'folder';
        if (folder) checkOutputFolder(out, force);
        else checkOutput(out, force);
      } catch (error) {
        if (error instanceof OutputExistsError) return { jobId: null, exists: error.path };
        throw error;
      }
    }
    const job = ctx.jobs.start('export', async ({ id, controller }) => {
      const started = performance.now();
      const progress = throttle((p: { fraction: number; message: string }) => ctx.emit('job.progress', { jobId: id, kind: 'export', ...p }));
      try {
        return await withRun(spec.runDir, async (loaded) => {
          const result = await produceExport(sourceFor(loaded), spec, {
            signal: controller.signal,
            onProgress: (fraction, message) => progress({ fraction, message }),
          });
          progress.flush();
          throwIfCancelled(controller.signal);
          const seconds = (performance.now() - started) / 1000;
          const bytes = result.data?.length ?? result.files?.reduce((a, f) => a + f.data.length, 0) ?? 0;
          if (out !== undefined) {
            const path = saveExport(result, out, force);
            ctx.emit('export.done', { jobId: id, kind: spec.kind, fileName: result.fileName, path, bytes, seconds });
            return { path, bytes, width: result.width, height: result.height, frames: result.frames };
          }
          if (!result.data) throw new UserError('A folder bundle cannot be downloaded: choose the zip format.');
          ctx.emit('export.done', { jobId: id, kind: spec.kind, fileName: result.fileName, data: result.data, bytes, seconds });
          return { bytes, width: result.width, height: result.height, frames: result.frames };
        });
      } finally {
        progress.flush();
      }
    });
    return { jobId: job.id };
  },

  // The Electron shell answers this with a native save dialog before it reaches the engine.
  'host.saveFile': () => ({ path: null, download: true }),
};
