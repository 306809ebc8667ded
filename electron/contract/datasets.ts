// Requests and events of opening and browsing datasets, and the types they carry; merged into the
// contract in api.ts. The engine's dataset modules fill these types and re-export them.
import type { FactorsReport } from './factors.ts';

/** Extensions that mark a file as meant to be an image; anything else in a folder is ignored. */
export const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
  '.heif',
  '.bmp',
  '.dib',
]);

/** Files at the top of a folder that the import reads besides images. */
export const FOLDER_SIDE_FILES = ['labels.csv', 'factors.csv'];

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

export interface SkippedFile {
  /** Relative to the opened folder ('/' separators); folders end with '/'. */
  path: string;
  /** One of SKIP_REASONS: the summary groups skipped files by it. */
  reason: string;
  /** Specifics, e.g. the decoder's message. */
  detail?: string;
}

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
  /** Known factors of variation read from factors.csv (or extra labels.csv columns). */
  factors?: FactorsReport;
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

export interface OptionSuggestion {
  /** Ready to pass to openDataset; invert is the detected polarity ('yes' or 'no'). */
  options: PreprocessOptions;
  reasons: { size: string; channels: string; invert: string };
  /** Images looked at. */
  sampled: number;
  /** Image files found by the scan (before decoding). */
  imageFiles: number;
}

export interface PreviewImage {
  /** Path relative to the folder, or sample:mnist#i. */
  file: string;
  label: string | null;
  width: number;
  height: number;
  /** data:image/png;base64,... */
  dataUrl: string;
}

export interface ImportPreview {
  options: PreprocessOptions;
  /** Whether 'after' is inverted (for invert 'auto': decided on these images). */
  inverted: boolean;
  /** The originals, scaled down to at most 96 px. */
  before: PreviewImage[];
  /** What the model sees: preprocessed, inverted and binarized (one Bernoulli draw for 'dynamic'). */
  after: PreviewImage[];
  /** Files among the picks that could not be used. */
  skipped: SkippedFile[];
}

/** How a folder differs from when it was last imported (by name, size and mtime). */
export interface FolderChanges {
  added: number;
  removed: number;
  /** Same name, other size or modification time. */
  modified: number;
  /** A few names of each kind, sorted. */
  examples: { added: string[]; removed: string[]; modified: string[] };
}

/** A folder imported before: the options it was last imported with, and what changed since. */
export interface LastImport {
  ref: string;
  options: PreprocessOptions;
  /** ISO time of that import. */
  importedAt: string;
  /** Nothing the import reads changed: reopening with `options` reads the decoded-image cache. */
  unchanged: boolean;
  /** Files added, removed or modified (all zero with unchanged false: folders or skipped files changed). */
  changes: FolderChanges;
}

/** Which images of an opened dataset `dataset.images` returns. */
export interface DatasetImagesQuery {
  ref: string;
  /** The options the dataset was opened with (its summary's `options`); omitted = defaults. */
  options?: Partial<PreprocessOptions>;
  /** A class name, null for the unlabelled images; omitted = all images in dataset order. */
  label?: string | null;
  /** First image within that selection (default 0). */
  start?: number;
  /** Images wanted (default and most: DATASET_IMAGES_MAX); fewer come back at the end of the selection. */
  count?: number;
}

/** Pixels of a slice of an opened dataset, as typed arrays (never JSON number lists). */
export interface DatasetImages {
  /** count x size x size x channels, uint8 HWC, ink high (as the model sees them before binarizing). */
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: 1 | 3;
  /** Dataset index of each returned image. */
  indices: Int32Array;
  /** Source file of each returned image (relative path, or sample:mnist#i). */
  files: string[];
  /** Images in the whole selection (the class, the unlabelled images, or all). */
  total: number;
}

/** Most images one `dataset.images` request returns (a screenful of thumbnails is far fewer). */
export const DATASET_IMAGES_MAX = 4096;

export interface DatasetRequests {
  /** Starts an import job; progress arrives as dataset.progress, the result as dataset.opened. */
  'dataset.open': {
    params: { ref: string; options?: Partial<PreprocessOptions> };
    result: { jobId: string };
  };
  'dataset.recent': { params: Record<string, never>; result: { ref: string; openedAt: string }[] };
  /** A folder imported before: its last options and what changed since (a scan, no decoding); null if never imported. */
  'dataset.lastImport': { params: { ref: string }; result: LastImport | null };
  /** The import dialog's defaults for a folder (size, channels, ink polarity), each with its reason. */
  'dataset.suggest': { params: { ref: string }; result: OptionSuggestion };
  /** A few images before and after preprocessing with `options` (PNG data URLs), for the live preview. */
  'dataset.preview': {
    params: { ref: string; options?: Partial<PreprocessOptions>; count?: number };
    result: ImportPreview;
  };
  /** Thumbnails: a range of one class (or of the unlabelled, or of all images) of an opened dataset. */
  'dataset.images': { params: DatasetImagesQuery; result: DatasetImages };
}

export interface DatasetEvents {
  'dataset.progress': ImportProgress & { jobId: string };
  'dataset.opened': { jobId: string; summary: DatasetSummary };
}
