// Requests and events of opening and browsing datasets; merged into the contract in api.ts.
import type { DatasetSummary, ImportProgress, PreprocessOptions } from '../engine/datasets/types.ts';
import type { ImportPreview, OptionSuggestion, PreviewImage } from '../engine/datasets/preview.ts';

export type { ImportPreview, OptionSuggestion, PreviewImage };

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
