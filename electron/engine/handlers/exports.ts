// Handlers of the export requests (see contract/exports.ts): describe, preview, start (a job with
// progress and cancel that writes the file or sends its bytes back), and the engine's answer to
// host.saveFile where no native dialog exists (the browser host downloads instead).
import { resolve } from 'node:path';
import type { ExportSpec } from '../../contract/exports.ts';
import { throwIfCancelled, UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { throttle } from '../jobs.ts';
import { readRunFile } from '../training/run-file.ts';
import { describeRun, previewExport, produceExport, saveExport } from '../exports/exporter.ts';
import { sourceFor } from '../exports/source.ts';
import { checkOutput, checkOutputFolder, OutputExistsError } from '../exports/write.ts';

function checkSpec(spec: ExportSpec | undefined): ExportSpec {
  if (!spec || typeof spec !== 'object' || typeof spec.runDir !== 'string' || !spec.runDir) throw new UserError('An export needs a run folder (runDir).');
  return spec;
}

export const exportHandlers: HandlerMap = {
  'export.describe': ({ runDir }) => describeRun(readRunFile(resolve(runDir)), resolve(runDir)),

  'export.preview': (params, ctx) => {
    const spec = checkSpec(params);
    return ctx.exportRuns.withRun(spec.runDir, (loaded) => previewExport(sourceFor(loaded, ctx.datasets.open), spec));
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
        return await ctx.exportRuns.withRun(spec.runDir, async (loaded) => {
          const result = await produceExport(sourceFor(loaded, ctx.datasets.open), spec, {
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
