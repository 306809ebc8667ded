// The bundled sample: 10,000 labelled MNIST digits stored as gzipped IDX files in resources/sample/.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { resourcesDir } from '../paths.ts';
import { stratifiedSplit } from './split.ts';
import type { Dataset, PreprocessOptions } from './types.ts';
import { SAMPLE_MNIST } from './types.ts';

/** The lectures binarize MNIST at 0.5 for the Bernoulli likelihood; so does the sample by default. */
export const SAMPLE_DEFAULTS: PreprocessOptions = {
  size: 28,
  channels: 1,
  fit: 'fill',
  invert: 'no',
  binarize: 0.5,
  testSplit: 0.1,
  seed: 1,
};

function readIdx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  const buf = gunzipSync(readFileSync(file));
  if (buf.readUInt32BE(0) !== magic) throw new Error(`${file}: not an IDX file of the expected kind`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, buf.length - offset) };
}

export function loadSampleMnist(overrides: Partial<PreprocessOptions> = {}): Dataset {
  const options = { ...SAMPLE_DEFAULTS, ...overrides, size: 28, channels: 1 as const, fit: 'fill' as const };
  const dir = join(resourcesDir(), 'sample');
  const images = readIdx(join(dir, 'mnist-10k-images-idx3-ubyte.gz'), 0x00000803);
  const labelsIdx = readIdx(join(dir, 'mnist-10k-labels-idx1-ubyte.gz'), 0x00000801);
  const count = images.dims[0];
  const pixels = new Uint8Array(images.data); // own copy, detached from the gunzip buffer
  if (options.invert === 'yes') for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - pixels[i];
  const labels = Int32Array.from(labelsIdx.data);
  const classNames = Array.from({ length: 10 }, (_, d) => String(d));
  const split = stratifiedSplit(labels, options.testSplit, options.seed);
  const files = Array.from({ length: count }, (_, i) => `${SAMPLE_MNIST}#${i}`);
  const classCounts: Record<string, number> = {};
  for (const name of classNames) classCounts[name] = 0;
  for (const l of labels) classCounts[classNames[l]]++;
  const test = split.reduce((a, s) => a + s, 0);
  return {
    ref: SAMPLE_MNIST,
    options,
    images: { pixels, count, size: 28, channels: 1, labels, classNames, files, split },
    summary: {
      ref: SAMPLE_MNIST,
      images: count,
      train: count - test,
      test,
      classCounts,
      unlabelled: 0,
      skipped: [],
      skippedByReason: {},
      ignoredFiles: 0,
      inverted: options.invert === 'yes',
      // The IDX digits are already white ink on black, so 'auto' keeps them.
      invertReason: options.invert === 'yes' ? 'Inverted on request.' : 'MNIST digits are already light ink on a dark background.',
      fromCache: false,
      seconds: 0,
      options,
    },
  };
}
