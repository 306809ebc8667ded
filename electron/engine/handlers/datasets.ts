// dataset.open runs as a job (folders take time); its summary arrives as a dataset.opened event.
// The import dialog asks for suggestions and previews; the dataset page for thumbnails of the
// opened dataset, sliced per class and served as typed arrays.
import type { DatasetImages, DatasetImagesQuery } from '../../contract/datasets.ts';
import { DATASET_IMAGES_MAX } from '../../contract/datasets.ts';
import { UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { describeProgress, previewImport, suggestOptions } from '../datasets/index.ts';
import type { Dataset, ImportProgress } from '../datasets/types.ts';
import { throttle } from '../jobs.ts';
import { getDataset, recentDatasets, rememberDataset } from '../workspace.ts';

/** Most preview images the dialog may ask for (each is decoded for the request). */
const PREVIEW_MAX = 16;

/** Dataset indices per class name ('\0' = unlabelled), computed once per opened dataset. */
const groupsOf = new WeakMap<Dataset, Map<string, Int32Array>>();
const UNLABELLED = '\0';

function groups(dataset: Dataset): Map<string, Int32Array> {
  let map = groupsOf.get(dataset);
  if (map) return map;
  const { labels, classNames } = dataset.images;
  const counts = new Int32Array(classNames.length + 1);
  for (const l of labels) counts[l < 0 ? classNames.length : l]++;
  const lists = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(classNames.length + 1);
  labels.forEach((l, i) => {
    const g = l < 0 ? classNames.length : l;
    lists[g][fill[g]++] = i;
  });
  map = new Map(classNames.map((name, k) => [name, lists[k]]));
  map.set(UNLABELLED, lists[classNames.length]);
  groupsOf.set(dataset, map);
  return map;
}

/** A slice of one class (or the unlabelled images, or all) of `dataset`, pixels copied into one array. */
export function sliceImages(dataset: Dataset, query: Omit<DatasetImagesQuery, 'ref' | 'options'>): DatasetImages {
  const { images } = dataset;
  const start = query.start ?? 0;
  const wanted = query.count ?? DATASET_IMAGES_MAX;
  if (!Number.isInteger(start) || start < 0) throw new UserError(`start must be a whole number from 0 (got ${start}).`);
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > DATASET_IMAGES_MAX) throw new UserError(`count must be a whole number from 0 to ${DATASET_IMAGES_MAX} (got ${wanted}).`);
  let selection: Int32Array | null = null; // null = all images, in order
  if (query.label !== undefined) {
    selection = groups(dataset).get(query.label === null ? UNLABELLED : query.label) ?? null;
    if (!selection) throw new UserError(`${dataset.ref} has no class named '${query.label}'.`, 'not-found');
  }
  const total = selection ? selection.length : images.count;
  const count = Math.max(0, Math.min(wanted, total - start));
  const bytes = images.size * images.size * images.channels;
  const pixels = new Uint8Array(count * bytes);
  const indices = new Int32Array(count);
  const files: string[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = selection ? selection[start + k] : start + k;
    indices[k] = i;
    files[k] = images.files[i];
    pixels.set(images.pixels.subarray(i * bytes, (i + 1) * bytes), k * bytes);
  }
  return { pixels, count, size: images.size, channels: images.channels, indices, files, total };
}

export const datasetHandlers: HandlerMap = {
  'dataset.open': ({ ref, options }, ctx) => {
    const job = ctx.jobs.start('dataset', async ({ id, controller }) => {
      const progress = throttle((p: ImportProgress) => {
        ctx.emit('dataset.progress', { jobId: id, ...p });
        ctx.emit('job.progress', { jobId: id, kind: 'dataset', ...describeProgress(p) });
      });
      // fresh: the folder may have changed since it was last opened (an unchanged one reads the cache).
      const dataset = await getDataset(ref, options, { signal: controller.signal, onProgress: progress }, true);
      progress.flush();
      rememberDataset(ref);
      ctx.emit('dataset.opened', { jobId: id, summary: dataset.summary });
      return { ref, images: dataset.summary.images };
    });
    return { jobId: job.id };
  },
  'dataset.recent': () => recentDatasets(),
  'dataset.suggest': ({ ref }) => suggestOptions(ref),
  'dataset.preview': ({ ref, options, count }) => {
    const n = count ?? 8;
    if (!Number.isInteger(n) || n < 1 || n > PREVIEW_MAX) throw new UserError(`A preview shows 1 to ${PREVIEW_MAX} images (got ${count}).`);
    return previewImport(ref, options ?? {}, n);
  },
  'dataset.images': async ({ ref, options, ...query }) => {
    // Opened through dataset.open (the dataset page's case, perhaps by the options its summary
    // names); after an engine restart this reads the import cache.
    const dataset = await getDataset(ref, options);
    return sliceImages(dataset, query);
  },
};
