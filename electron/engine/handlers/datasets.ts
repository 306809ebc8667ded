// dataset.open runs as a job (folders take time); its summary arrives as a dataset.opened event.
import type { HandlerMap } from '../context.ts';
import { throttle } from '../jobs.ts';
import { getDataset, recentDatasets, rememberDataset } from '../workspace.ts';

export const datasetHandlers: HandlerMap = {
  'dataset.open': ({ ref, options }, ctx) => {
    const job = ctx.jobs.start('dataset', async ({ id, controller }) => {
      const progress = throttle((p: { fraction?: number; message: string }) =>
        ctx.emit('job.progress', { jobId: id, kind: 'dataset', ...p }),
      );
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
