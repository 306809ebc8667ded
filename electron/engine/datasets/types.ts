// The shape of an opened image set, shared by import, training, projections and exports.
// Pixels stay uint8 (100,000 RGB 64x64 images must fit in memory); batches are converted on the fly.

export type Fit = 'contain' | 'cover' | 'fill';
export type InvertMode = 'auto' | 'yes' | 'no';
/** 'off', a fixed threshold in (0,1), or 'dynamic' (Bernoulli resampling every epoch). */
export type Binarize = 'off' | 'dynamic' | number;

export interface PreprocessOptions {
  /** Square side in pixels. */
  size: number;
  channels: 1 | 3;
  fit: Fit;
  invert: InvertMode;
  binarize: Binarize;
  /** Share of images held out for testing, stratified by label. */
  testSplit: number;
  /** Seed of the train/test split. */
  seed: number;
}

export interface ImageSet {
  /** N x size x size x channels, row-major (HWC), 0..255; ink is high (after any inversion). */
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: 1 | 3;
  /** Class index per image into classNames; -1 = unlabelled. */
  labels: Int32Array;
  classNames: string[];
  /** Source of each image: a path relative to the folder, or `sample:mnist#<index>`. */
  files: string[];
  /** 0 = train, 1 = test. */
  split: Uint8Array;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface DatasetSummary {
  ref: string;
  images: number;
  train: number;
  test: number;
  classCounts: Record<string, number>;
  unlabelled: number;
  skipped: SkippedFile[];
  options: PreprocessOptions;
}

export interface Dataset {
  /** What the user opened: an absolute folder path or `sample:mnist`. */
  ref: string;
  options: PreprocessOptions;
  images: ImageSet;
  summary: DatasetSummary;
}

export const SAMPLE_MNIST = 'sample:mnist';
