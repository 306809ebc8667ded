// Thumbnails of an opened dataset: a slice of one class (or of the unlabelled, or of all images),
// copied into one typed array for the wire.
import type { DatasetImages, DatasetImagesQuery } from '../../contract/datasets.ts';
import { DATASET_IMAGES_MAX } from '../../contract/datasets.ts';
import { UserError } from '../../contract/errors.ts';
import type { Dataset } from './types.ts';

/** Dataset indices per class name ('\0' = unlabelled), derived once per opened dataset (which never changes). */
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
