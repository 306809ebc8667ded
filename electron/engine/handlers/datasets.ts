// dataset.open runs as a job (folders take time); its summary arrives as a dataset.opened event.
import type { HandlerMap } from '../context.ts';
import type { ImportProgress } from '../datasets/types.ts';
import { throttle } from '../jobs.ts';
import { getDataset, recentDatasets, rememberDataset } from '../workspace.ts';

export const datasetHandlers: HandlerMap = {
  'dataset.open': ({ ref, options }, ctx) => {
    const job = ctx.jobs.start('dataset', async ({ id, controller }) => {
      const progress = throttle((p: ImportProgress) => {
        ctx.emit('dataset.progress', { jobId: id, ...p });
        const fraction = p.total ? p.decoded / p.total : undefined;
        const message = p.phase === 'scanning' ? `Scanning: ${p.scanned} files` : p.phase === 'decoding' ? `Decoding ${p.decoded} of ${p.total} images` : p.phase === 'caching' ? 'Saving the import cache' : 'Done';
        ctx.emit('job.progress', { jobId: id, kind: 'dataset', fraction, message });
      });
      const dataset = await getDataset(ref, options, { signal: controller.signal, onProgress: progress });
      progress.flush();
      rememberDataset(ref);
      ctx.emit('dataset.opened', { jobId: id, summary: dataset.summary });
      return { ref, images: dataset.summary.images };
    });
    return { jobId: job.id };
  },
  'dataset.recent': () => recentDatasets(),
};
