// The import dialog: suggested options for a folder, and a few images before and after preprocessing.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../contract/errors.ts';
import { mulberry32 } from '../random.ts';
import { loadSampleMnist, SAMPLE_DEFAULTS } from './sample.ts';
import { matchLabels, parseLabelsCsv } from './labels-csv.ts';
import { scanFolder, type ScanResult, type ScannedImage } from './scan.ts';
import { suggestForScan, type SuggestedSettings } from './suggest.ts';
import { decodeBuffer, DEFAULT_MAX_PIXELS, readErrorToSkip, SkipError, thumbnailPng } from './decode.ts';
import { decideInversion, invertInPlace } from './pixels.ts';
import { FOLDER_DEFAULTS, validateOptions } from './open.ts';
import type { Binarize, ImportHooks, PreprocessOptions, SkippedFile } from './types.ts';
import { SAMPLE_MNIST, SKIP_REASONS } from './types.ts';
import type { ImportPreview, OptionSuggestion, PreviewImage } from '../../contract/datasets.ts';

export type { ImportPreview, OptionSuggestion, PreviewImage };

function checkFolder(ref: string): void {
  if (!isAbsolute(ref)) throw new UserError(`${ref}: give an absolute folder path (or sample:mnist).`);
  if (!existsSync(ref) || !statSync(ref).isDirectory()) throw new UserError(`${ref}: no such folder.`);
}

async function scanForDialog(ref: string, hooks: ImportHooks): Promise<ScanResult> {
  checkFolder(ref);
  const scan = await scanFolder(ref, { signal: hooks.signal });
  if (scan.images.length === 0) throw new UserError(`${ref} contains no image files (PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP).`);
  return scan;
}

function fromSettings(settings: SuggestedSettings): Pick<PreprocessOptions, 'size' | 'channels' | 'invert'> {
  return { size: settings.size, channels: settings.channels, invert: settings.invert ? 'yes' : 'no' };
}

/** Default size (28 if most images are at most 32 px, else 64), channels and likely ink polarity. */
export async function suggestOptions(ref: string, hooks: ImportHooks = {}): Promise<OptionSuggestion> {
  if (ref === SAMPLE_MNIST) {
    return {
      options: { ...SAMPLE_DEFAULTS },
      reasons: { size: 'MNIST digits are 28 px.', channels: 'MNIST digits are greyscale.', invert: 'MNIST digits are already light ink on a dark background.' },
      sampled: 10000,
      imageFiles: 10000,
    };
  }
  const scan = await scanForDialog(ref, hooks);
  const settings = await suggestForScan(scan, hooks.signal);
  return { options: { ...FOLDER_DEFAULTS, ...fromSettings(settings) }, reasons: settings.reasons, sampled: settings.sampled, imageFiles: scan.images.length };
}

/** Up to `limit` picks spread over the classes (round robin) and, within a class, over its files. */
function spreadPicks(images: ScannedImage[], limit: number): ScannedImage[] {
  const groups = new Map<string, ScannedImage[]>();
  for (const image of images) {
    const key = image.folderLabel ?? '\0unlabelled';
    const list = groups.get(key) ?? [];
    list.push(image);
    groups.set(key, list);
  }
  const spread = [...groups.values()].map((list) => {
    const m = Math.min(list.length, limit);
    return Array.from({ length: m }, (_, k) => list[Math.floor((k * list.length) / m)]);
  });
  const picks: ScannedImage[] = [];
  for (let round = 0; picks.length < limit && spread.some((list) => round < list.length); round++) {
    for (const list of spread) if (round < list.length && picks.length < limit) picks.push(list[round]);
  }
  return picks;
}

function labelsFromCsv(scan: ScanResult): Map<string, string> {
  const parsed = parseLabelsCsv(scan.labelsCsv ?? '');
  return matchLabels(parsed.rows, parsed.invalid, scan.images.map((im) => im.rel)).labels;
}

function binarizeForView(pixels: Uint8Array, binarize: Binarize, seed: number): Uint8Array {
  if (binarize === 'off') return pixels;
  const rand = mulberry32(seed);
  return pixels.map((p) => (binarize === 'dynamic' ? (rand() < p / 255 ? 255 : 0) : p / 255 > binarize ? 255 : 0));
}

async function pngDataUrl(pixels: Uint8Array, size: number, channels: 1 | 3): Promise<string> {
  const png = await sharp(pixels, { raw: { width: size, height: size, channels } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** A few images before and after preprocessing with `options`, for the import dialog's live preview. */
export async function previewImport(ref: string, options: Partial<PreprocessOptions> = {}, count = 8, hooks: ImportHooks = {}): Promise<ImportPreview> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<PreprocessOptions>;
  if (ref === SAMPLE_MNIST) {
    const sample = loadSampleMnist({ ...SAMPLE_DEFAULTS, ...defined, invert: 'no' });
    const { images } = sample;
    const resolved = { ...sample.options, invert: defined.invert ?? 'no' };
    const inverted = resolved.invert === 'yes';
    const before: PreviewImage[] = [];
    const after: PreviewImage[] = [];
    for (let k = 0; k < count; k++) {
      const i = Math.floor((k * images.count) / count);
      const digit = images.pixels.slice(i * 784, (i + 1) * 784);
      const label = images.classNames[images.labels[i]];
      before.push({ file: images.files[i], label, width: 28, height: 28, dataUrl: await pngDataUrl(digit, 28, 1) });
      if (inverted) invertInPlace(digit);
      after.push({ file: images.files[i], label, width: 28, height: 28, dataUrl: await pngDataUrl(binarizeForView(digit, resolved.binarize, resolved.seed + k), 28, 1) });
    }
    return { options: resolved, inverted, before, after, skipped: [] };
  }

  const scan = await scanForDialog(ref, hooks);
  const needsSuggestion = defined.size === undefined || defined.channels === undefined;
  const settings = needsSuggestion ? await suggestForScan(scan, hooks.signal) : null;
  const resolved = { ...FOLDER_DEFAULTS, ...(settings ? { size: settings.size, channels: settings.channels } : {}), ...defined } as PreprocessOptions;
  validateOptions(resolved);
  const { size, channels } = resolved;

  const picked: { image: ScannedImage; pixels: Uint8Array; mean: number; std: number; thumb: { png: Buffer; width: number; height: number } }[] = [];
  const skipped: SkippedFile[] = [];
  for (const image of spreadPicks(scan.images, count * 4)) {
    if (picked.length >= count) break;
    hooks.signal?.throwIfAborted();
    try {
      let buf: Buffer;
      try {
        buf = await readFile(image.abs);
      } catch (error) {
        throw readErrorToSkip(error);
      }
      const pixels = new Uint8Array(size * size * channels);
      const border = await decodeBuffer(buf, { size, channels, fit: resolved.fit, maxPixels: DEFAULT_MAX_PIXELS }, pixels);
      const thumb = await thumbnailPng(buf, 96);
      picked.push({ image, pixels, mean: border.mean, std: border.std, thumb });
    } catch (error) {
      const reason = error instanceof SkipError ? error.reason : SKIP_REASONS.corrupt;
      skipped.push({ path: image.rel, reason, ...(error instanceof SkipError && error.detail ? { detail: error.detail } : {}) });
    }
  }
  let inverted = resolved.invert === 'yes';
  if (resolved.invert === 'auto') {
    // The import decides on all images; the preview on the same rule, or on the wider sample when known.
    inverted = settings ? settings.invert : decideInversion(picked.map((p) => p.mean), picked.map((p) => p.std)).invert;
  }
  const csvLabels = scan.labelsCsv === null ? new Map<string, string>() : labelsFromCsv(scan);
  const before: PreviewImage[] = [];
  const after: PreviewImage[] = [];
  for (const [k, p] of picked.entries()) {
    if (inverted) invertInPlace(p.pixels);
    const label = csvLabels.get(p.image.rel) ?? p.image.folderLabel;
    before.push({ file: p.image.rel, label, width: p.thumb.width, height: p.thumb.height, dataUrl: `data:image/png;base64,${p.thumb.png.toString('base64')}` });
    after.push({ file: p.image.rel, label, width: size, height: size, dataUrl: await pngDataUrl(binarizeForView(p.pixels, resolved.binarize, resolved.seed + k), size, channels) });
  }
  return { options: resolved, inverted, before, after, skipped };
}
