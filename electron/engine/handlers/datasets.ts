// dataset.open runs as a job (folders take time); its summary arrives as a dataset.opened event.
// The import dialog asks for suggestions and previews; the dataset page for thumbnails of the
// opened dataset, sliced per class and served as typed arrays.
import { UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { describeProgress, previewImport, suggestOptions } from '../datasets/index.ts';
import { sliceImages } from '../datasets/slice.ts';
import type { ImportProgress } from '../datasets/types.ts';
import { throttle } from '../jobs.ts';
import { lastImport } from '../datasets/last-import.ts';
import { SAMPLE_MNIST } from '../datasets/types.ts';
import { recentDatasets, rememberDataset } from '../workspace.ts';

/** Most preview images the dialog may ask for (each is decoded for the request). */
const PREVIEW_MAX = 16;

export const datasetHandlers: HandlerMap = {
  'dataset.open': ({ ref, options }, ctx) => {
    const job = ctx.jobs.start('dataset', async ({ id, controller }) => {
      const progress = throttle((p: ImportProgress) => {
        ctx.emit('dataset.progress', { jobId: id, ...p });
        ctx.emit('job.progress', { jobId: id, kind: 'dataset', ...describeProgress(p) });
      });
      // fresh: the folder may have changed since it was last opened (an unchanged one reads the cache).
      const dataset = await ctx.datasets.getDataset(ref, options, { signal: controller.signal, onProgress: progress }, true);
      progress.flush();
      rememberDataset(ref);
      ctx.emit('dataset.opened', { jobId: id, summary: dataset.summary });
      return { ref, images: dataset.summary.images };
    });
    return { jobId: job.id };
  },
  'dataset.recent': () => recentDatasets(),
  'dataset.lastImport': ({ ref }) => {
    if (typeof ref !== 'string' || !ref) throw new UserError('dataset.lastImport needs the folder (ref).');
    return ref === SAMPLE_MNIST ? null : lastImport(ref);
  },
  'dataset.suggest': ({ ref }) => suggestOptions(ref),
  'dataset.preview': ({ ref, options, count }) => {
    const n = count ?? 8;
    if (!Number.isInteger(n) || n < 1 || n > PREVIEW_MAX) throw new UserError(`A preview shows 1 to ${PREVIEW_MAX} images (got ${count}).`);
    return previewImport(ref, options ?? {}, n);
  },
  'dataset.images': async ({ ref, options, ...query }, ctx) => {
    // Opened through dataset.open (the dataset page's case, perhaps by the options its summary
    // names); after an engine restart this reads the import cache.
    const dataset = await ctx.datasets.getDataset(ref, options);
    return sliceImages(dataset, query);
  },
};
