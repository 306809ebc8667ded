// The first images of the bundled sample as a Dataset of their own, with the sample's split, so
// tests that train stay short on a 2-core machine.
import { loadSampleMnist } from '../../../electron/engine/datasets/sample.ts';
import type { Dataset, ImageSet } from '../../../electron/engine/datasets/types.ts';

export function mnistSlice(count: number): Dataset {
  const ds = loadSampleMnist();
  const per = 28 * 28;
  const images: ImageSet = {
    ...ds.images,
    count,
    pixels: ds.images.pixels.slice(0, count * per),
    labels: ds.images.labels.slice(0, count),
    files: ds.images.files.slice(0, count),
    split: ds.images.split.slice(0, count),
  };
  const test = images.split.reduce((a, v) => a + v, 0);
  return { ...ds, images, summary: { ...ds.summary, images: count, train: count - test, test } };
}
