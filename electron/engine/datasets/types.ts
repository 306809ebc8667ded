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
  /** Relative to the opened folder ('/' separators); folders end with '/'. */
  path: string;
  /** One of SKIP_REASONS: the summary groups skipped files by it. */
  reason: string;
  /** Specifics, e.g. the decoder's message. */
  detail?: string;
}

/** Why a file or folder was left out. Fixed phrases, so skipped files group by reason. */
export const SKIP_REASONS = {
  empty: 'empty file (0 bytes)',
  corrupt: 'truncated or corrupt image',
  notImage: 'not an image (contents match no image format)',
  unsupported: 'unsupported image format',
  tooLarge: 'image too large to decode safely',
  unreadable: 'unreadable',
  symlinkLoop: 'symlink loop',
  brokenLink: 'broken symbolic link',
  badName: 'file name is not valid UTF-8',
  emptyClass: 'empty class folder',
  duplicateFolder: 'folder already imported through another path',
} as const;

/** labels.csv at the top of a folder: how many of its rows were used. */
export interface LabelsCsvReport {
  rows: number;
  /** Rows that named an image of the folder and gave it a label. */
  applied: number;
  /** Rows naming no image of the folder (first few listed). */
  unmatched: number;
  unmatchedExamples: string[];
  /** Lines that are not `file,label`. */
  invalid: number;
}

export interface DatasetSummary {
  ref: string;
  images: number;
  train: number;
  test: number;
  classCounts: Record<string, number>;
  unlabelled: number;
  skipped: SkippedFile[];
  /** Skipped files counted per reason. */
  skippedByReason: Record<string, number>;
  /** Files that are not images by name (text, archives, ...) or hidden: ignored without a reason. */
  ignoredFiles: number;
  /** Whether pixels were inverted so ink is high (the outcome of invert: 'auto'). */
  inverted: boolean;
  /** Why that inversion choice was made, in a sentence. */
  invertReason: string;
  labelsCsv?: LabelsCsvReport;
  /** Opened from the decoded-image cache (unchanged folder). */
  fromCache: boolean;
  /** Wall time of the open, seconds. */
  seconds: number;
  options: PreprocessOptions;
}

export interface ImportProgress {
  phase: 'scanning' | 'decoding' | 'caching' | 'done';
  /** Files seen while scanning. */
  scanned: number;
  /** Image files decoded (or skipped) so far. */
  decoded: number;
  /** Image files to decode (known after scanning). */
  total: number;
  imagesPerSec: number;
  etaSec: number;
}

export interface ImportHooks {
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
}

export interface Dataset {
  /** What the user opened: an absolute folder path or `sample:mnist`. */
  ref: string;
  options: PreprocessOptions;
  images: ImageSet;
  summary: DatasetSummary;
}

export const SAMPLE_MNIST = 'sample:mnist';
