// The shape of an opened image set, shared by import, training, projections and exports.
// Pixels stay uint8 (100,000 RGB 64x64 images must fit in memory); batches are converted on the fly.
import type { DatasetSummary, ImportProgress, PreprocessOptions } from '../../contract/datasets.ts';
import type { FactorColumn } from '../../contract/factors.ts';

// The wire types (options, summary, progress) are the contract's; re-exported for the engine's modules.
export type { Binarize, DatasetSummary, Fit, ImportProgress, InvertMode, LabelsCsvReport, PreprocessOptions, SkippedFile } from '../../contract/datasets.ts';

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
  /** Known factors of variation (factors.csv), aligned with the images. */
  factors?: FactorColumn[];
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
  outsideLink: 'symbolic link outside the opened folder (set LATENT_EXPLORER_FOLLOW_LINKS=1 to follow)',
  systemFolder: 'system folder (/proc, /sys, /dev), never read',
} as const;

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

/** Opens a dataset: the engine's Workspace shares and keeps them; the CLI opens them directly. */
export type DatasetOpener = (ref: string, options?: Partial<PreprocessOptions>, hooks?: ImportHooks) => Promise<Dataset>;

export const SAMPLE_MNIST = 'sample:mnist';
