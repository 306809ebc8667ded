// Images from outside a run's data set (one file or a whole folder), read as the run's model sees
// its inputs (imageForRun: size, channels, fit, and the training images' ink polarity) so they can
// be encoded by its encoder and placed on its layouts. Unreadable files are skipped with their reason.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { isCancelled, throwIfCancelled, UserError } from '../../contract/errors.ts';
import { scanFolder } from '../datasets/scan.ts';
import type { ImageSet, SkippedFile } from '../datasets/types.ts';
import type { RunFile } from '../training/run-file.ts';
import { openDataset } from '../datasets/open.ts';
import { imageForRun } from './style-tools.ts';

export interface NewImages {
  /** Paths as given (a file) or relative to the folder, '/' separated. */
  files: string[];
  /** count x size x size x channels, uint8 HWC, ink high as in the run's data. */
  pixels: Uint8Array;
  count: number;
  skipped: SkippedFile[];
}

/** The run's training images (for their ink polarity; the CLI opens them once), or null when the data set cannot be opened any more. */
async function trainingImages(run: RunFile, signal?: AbortSignal): Promise<ImageSet | null> {
  try {
    return (await openDataset(run.dataset.ref, run.dataset.options, { signal })).images;
  } catch (error) {
    if (isCancelled(error)) throw error;
    return null;
  }
}

/** Reads one image file or every image under a folder, preprocessed as the run's training images. */
export async function readNewImages(path: string, run: RunFile, signal?: AbortSignal): Promise<NewImages> {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    throw new UserError(`${path}: no such file or folder`);
  }
  const { size, channels } = run.dataset;
  const per = size * size * channels;
  const skipped: SkippedFile[] = [];
  let entries: { rel: string; abs: string }[];
  if (isFolder) {
    const scan = await scanFolder(path, { signal });
    entries = scan.images;
    skipped.push(...scan.skipped);
  } else entries = [{ rel: basename(path), abs: path }];
  const training = await trainingImages(run, signal);
  const pixels = new Uint8Array(entries.length * per);
  const files: string[] = [];
  for (const entry of entries) {
    throwIfCancelled(signal);
    try {
      const image = await imageForRun({ name: entry.rel, bytes: new Uint8Array(readFileSync(entry.abs)) }, run, training);
      pixels.set(image, files.length * per);
      files.push(isFolder ? entry.rel : entry.abs);
    } catch (error) {
      if (!(error instanceof UserError) && !(error as NodeJS.ErrnoException)?.code) throw error;
      const message = (error as Error).message;
      skipped.push({ path: entry.rel, reason: message.startsWith(`${entry.rel}: `) ? message.slice(entry.rel.length + 2) : message });
    }
  }
  if (files.length === 0) {
    const why = skipped.length ? ` (${skipped[0].path}: ${skipped[0].reason})` : '';
    throw new UserError(isFolder ? `${path}: no readable images in this folder${why}` : `${path}: not a readable image${why}`);
  }
  return { files, pixels: pixels.slice(0, files.length * per), count: files.length, skipped };
}
