// The generated glyph set (electron/engine/datasets/synthetic/glyphs.ts) as an opened Dataset, as
// `synth --out DIR` then opening DIR gives it (grey, 28 px, not binarised, factors.csv's columns), with a
// seeded 10 % test split: for tests and benchmarks that train on known factors without writing PNGs.
import { generateGlyphs } from '../../../electron/engine/datasets/synthetic/glyphs.ts';
import type { Dataset } from '../../../electron/engine/datasets/types.ts';
import type { FactorColumn } from '../../../electron/contract/factors.ts';
import { mulberry32 } from '../../../electron/engine/random.ts';

export function glyphDataset(count: number, seed = 1, testShare = 0.1): Dataset {
  const set = generateGlyphs({ count, seed });
  const random = mulberry32(seed * 31 + 7);
  const split = Uint8Array.from({ length: count }, () => (random() < testShare ? 1 : 0));
  const factors: FactorColumn[] = Object.entries(set.factors).map(([name, values]) =>
    name === 'shape' ? { name, kind: 'categorical', values, categories: [...set.classNames] } : { name, kind: 'numeric', values },
  );
  const test = split.reduce((a, v) => a + v, 0);
  const options = { size: set.size, channels: 1 as const, fit: 'contain' as const, invert: 'no' as const, binarize: 'off' as const, testSplit: testShare, seed };
  const classCounts: Record<string, number> = {};
  for (const l of set.labels) classCounts[set.classNames[l]] = (classCounts[set.classNames[l]] ?? 0) + 1;
  return {
    ref: `glyphs:${count}:${seed}`,
    options,
    images: {
      pixels: set.images,
      count,
      size: set.size,
      channels: 1,
      labels: set.labels,
      classNames: set.classNames,
      files: Array.from({ length: count }, (_, i) => `${set.classNames[set.labels[i]]}/${i}.png`),
      split,
      factors,
    },
    summary: {
      ref: `glyphs:${count}:${seed}`,
      images: count,
      train: count - test,
      test,
      classCounts,
      unlabelled: 0,
      skipped: [],
      skippedByReason: {},
      ignoredFiles: 0,
      inverted: false,
      invertReason: 'generated white on black',
      fromCache: false,
      seconds: 0,
      options,
    },
  };
}
