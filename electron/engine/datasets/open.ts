// Opening a data set: the bundled sample, or a folder (scan -> cache or decode -> labels -> split).
import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { availableParallelism } from 'node:os';
import { UserError } from '../../contract/errors.ts';
import { loadSampleMnist, SAMPLE_DEFAULTS } from './sample.ts';
import { stratifiedSplit } from './split.ts';
import { scanFolder, type ScanResult } from './scan.ts';
import { matchLabels, parseLabelsCsv } from './labels-csv.ts';
import { decodeFile, DEFAULT_MAX_PIXELS, READ_WHOLE_LIMIT, SkipError, type DecodeTarget } from './decode.ts';
import { decodeInWorkers } from './decode-pool.ts';
import { parseFactors, type ParsedFactors } from './factors-csv.ts';
import { decideInversion, invertInPlace } from './pixels.ts';
import { cacheFile, readCache, writeCache, type CachedImport } from './cache.ts';
import { recordImport } from './last-import.ts';
import { suggestForScan, type SuggestedSettings } from './suggest.ts';
import type { Dataset, ImportHooks, ImportProgress, PreprocessOptions, SkippedFile } from './types.ts';
import { SAMPLE_MNIST, SKIP_REASONS } from './types.ts';

/** Defaults for folders; size and channels come from the data (suggestOptions) when not given. */
export const FOLDER_DEFAULTS: Omit<PreprocessOptions, 'size' | 'channels'> = {
  fit: 'contain',
  invert: 'auto',
  binarize: 'off',
  testSplit: 0.1,
  seed: 1,
};

/** Below this many files an import decodes on the engine's thread (worker start-up is ~0.1-0.5 s). */
const POOL_MIN_FILES = 500;

export interface OpenInternals {
  /** Pixel limit per image (tests lower it). */
  maxPixels?: number;
  /** Decodes in flight; sharp runs them on libuv's thread pool. */
  concurrency?: number;
  /** Turn off the PNG fast path (benchmark reference). */
  fastPng?: boolean;
  /** Turn off the JPEG fast path (benchmark reference). */
  fastJpeg?: boolean;
  /** Worker threads of the decode pool (default: one per core; 0 = decode on this thread). */
  threads?: number;
  /** Imports of fewer files decode on this thread: starting workers would cost more (default 500). */
  poolMinFiles?: number;
  /** Skip the cache (benchmark). */
  noCache?: boolean;
}

/** Checks option values; a bad one is refused with one sentence naming it. */
export function validateOptions(options: PreprocessOptions): void {
  const { size, channels, fit, invert, binarize, testSplit, seed } = options;
  if (!Number.isInteger(size) || size < 4 || size > 512) throw new UserError(`Image size must be a whole number of pixels from 4 to 512 (got ${size}).`);
  if (channels !== 1 && channels !== 3) throw new UserError(`Channels must be 1 (grey) or 3 (RGB) (got ${channels}).`);
  if (!['contain', 'cover', 'fill'].includes(fit)) throw new UserError(`Fit must be contain, cover or fill (got ${fit}).`);
  if (!['auto', 'yes', 'no'].includes(invert)) throw new UserError(`Invert must be auto, yes or no (got ${invert}).`);
  if (binarize !== 'off' && binarize !== 'dynamic' && !(typeof binarize === 'number' && binarize > 0 && binarize < 1)) {
    throw new UserError(`Binarize must be off, dynamic or a threshold between 0 and 1 (got ${binarize}).`);
  }
  if (typeof testSplit !== 'number' || !(testSplit >= 0 && testSplit < 1)) throw new UserError(`The test split must be a share from 0 to below 1 (got ${testSplit}).`);
  if (!Number.isInteger(seed)) throw new UserError(`The seed must be a whole number (got ${seed}).`);
}

function checkFolder(ref: string): void {
  if (!isAbsolute(ref)) throw new UserError(`${ref}: give an absolute folder path (or sample:mnist).`);
  if (!existsSync(ref)) throw new UserError(`${ref}: no such folder.`);
  if (!statSync(ref).isDirectory()) throw new UserError(`${ref} is a file, not a folder of images.`);
}

/** Progress at most ~10 times a second, plus every phase change. */
function progressReporter(onProgress: ImportHooks['onProgress']) {
  let last = 0;
  let lastPhase = '';
  return (p: ImportProgress, force = false) => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && p.phase === lastPhase && now - last < 100) return;
    last = now;
    lastPhase = p.phase;
    onProgress(p);
  };
}

export function groupSkipped(skipped: SkippedFile[]): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const s of skipped) groups[s.reason] = (groups[s.reason] ?? 0) + 1;
  return groups;
}

/** Options without keys set to undefined (so they do not override defaults). */
export function definedOnly(options: Partial<PreprocessOptions>): Partial<PreprocessOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<PreprocessOptions>;
}

function resolveOptions(options: Partial<PreprocessOptions>, suggested: SuggestedSettings | null): PreprocessOptions {
  const resolved = {
    ...FOLDER_DEFAULTS,
    size: suggested?.size ?? 28,
    channels: suggested?.channels ?? 1,
    ...definedOnly(options),
  } as PreprocessOptions;
  validateOptions(resolved);
  return resolved;
}

/**
 * Opens `ref` (an absolute folder or 'sample:mnist'). Bad files are skipped and listed with their
 * reason; a folder with no usable image is refused (UserError). Cancel with hooks.signal (the
 * promise rejects with an AbortError, nothing is cached).
 */
export async function openDataset(ref: string, options: Partial<PreprocessOptions> = {}, hooks: ImportHooks = {}, internals: OpenInternals = {}): Promise<Dataset> {
  const started = performance.now();
  const report = progressReporter(hooks.onProgress);
  const { signal } = hooks;
  signal?.throwIfAborted();

  if (ref === SAMPLE_MNIST) {
    const dataset = loadSampleMnist({ ...SAMPLE_DEFAULTS, ...definedOnly(options) });
    validateOptions(dataset.options);
    dataset.summary.seconds = (performance.now() - started) / 1000;
    const n = dataset.images.count;
    report({ phase: 'done', scanned: n, decoded: n, total: n, imagesPerSec: 0, etaSec: 0 }, true);
    return dataset;
  }

  checkFolder(ref);
  report({ phase: 'scanning', scanned: 0, decoded: 0, total: 0, imagesPerSec: 0, etaSec: 0 }, true);
  const scan = await scanFolder(ref, { signal, onScanned: (scanned) => report({ phase: 'scanning', scanned, decoded: 0, total: 0, imagesPerSec: 0, etaSec: 0 }) });
  const scanned = scan.images.length + scan.skipped.length + scan.ignoredFiles;
  if (scan.images.length === 0 && !scan.skipped.some((s) => s.reason !== SKIP_REASONS.emptyClass)) {
    throw new UserError(`${ref} contains no image files (PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP).`);
  }

  const needsSuggestion = options.size === undefined || options.channels === undefined;
  const suggested = needsSuggestion && scan.images.length ? await suggestForScan(scan, signal) : null;
  const resolved = resolveOptions(options, suggested);
  const maxPixels = internals.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { path: cachePath, key } = cacheFile(scan.root, { size: resolved.size, channels: resolved.channels, fit: resolved.fit, invert: resolved.invert, maxPixels });

  let imported: CachedImport | null = internals.noCache ? null : await readCache(cachePath, key, scan.fingerprint);
  const fromCache = imported !== null;
  if (!imported) {
    imported = await decodeScan(scan, resolved, { maxPixels, ...internals }, scanned, signal, report);
    if (!internals.noCache) {
      report({ phase: 'caching', scanned, decoded: scan.images.length, total: scan.images.length, imagesPerSec: 0, etaSec: 0 }, true);
      await writeCache(cachePath, key, imported, signal);
    }
  }
  signal?.throwIfAborted();
  // Reopening this folder (Recent, --open) uses these options without the dialog.
  if (!internals.noCache) recordImport(ref, scan, resolved);

  const { count, labels, classNames } = imported;
  const split = stratifiedSplit(labels, resolved.testSplit, resolved.seed);
  const test = split.reduce((a, s) => a + s, 0);
  const classCounts: Record<string, number> = Object.fromEntries(classNames.map((c) => [c, 0]));
  let unlabelled = 0;
  for (const l of labels) {
    if (l < 0) unlabelled++;
    else classCounts[classNames[l]]++;
  }
  // Factors are read on every open (cheap), not cached: factors.csv is part of the fingerprint anyway.
  const factors = readFactors(scan, imported.files);
  const seconds = (performance.now() - started) / 1000;
  report({ phase: 'done', scanned, decoded: scan.images.length, total: scan.images.length, imagesPerSec: fromCache ? 0 : scan.images.length / seconds, etaSec: 0 }, true);
  return {
    ref,
    options: resolved,
    images: { pixels: imported.pixels, count, size: imported.size, channels: imported.channels, labels, classNames, files: imported.files, split, ...(factors?.columns.length ? { factors: factors.columns } : {}) },
    summary: {
      ref,
      images: count,
      train: count - test,
      test,
      classCounts,
      unlabelled,
      skipped: imported.skipped,
      skippedByReason: groupSkipped(imported.skipped),
      ignoredFiles: imported.ignoredFiles,
      inverted: imported.inverted,
      invertReason: imported.invertReason,
      ...(imported.labelsCsv ? { labelsCsv: imported.labelsCsv } : {}),
      ...(factors ? { factors: factors.report } : {}),
      fromCache,
      seconds,
      options: resolved,
    },
  };
}

/** factors.csv, else the columns after file,label in labels.csv; null when the folder has neither. */
function readFactors(scan: ScanResult, files: string[]): ParsedFactors | null {
  if (scan.factorsCsv !== null) return parseFactors(scan.factorsCsv, 'factors.csv', files);
  if (scan.labelsCsv !== null) return parseFactors(scan.labelsCsv, 'labels.csv', files);
  return null;
}

/** Numeric-aware order: '2' before '10', 'cat' before 'Dog'. */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

async function decodeScan(
  scan: ScanResult,
  options: PreprocessOptions,
  settings: OpenInternals & { maxPixels: number },
  scanned: number,
  signal: AbortSignal | undefined,
  report: (p: ImportProgress, force?: boolean) => void,
): Promise<CachedImport> {
  const { size, channels } = options;
  const total = scan.images.length;
  const imageBytes = size * size * channels;
  if (total * imageBytes >= 2 ** 32) {
    throw new UserError(`${total} images of ${size}x${size}x${channels} need ${((total * imageBytes) / 2 ** 30).toFixed(1)} GB, more than one import can hold; choose a smaller size.`);
  }
  const target: DecodeTarget = { size, channels, fit: options.fit, maxPixels: settings.maxPixels, fastPng: settings.fastPng, fastJpeg: settings.fastJpeg };
  const pixels = new Uint8Array(total * imageBytes);
  const ok = new Uint8Array(total);
  const borderMean = new Float32Array(total);
  const borderStd = new Float32Array(total);
  const skipped: SkippedFile[] = [...scan.skipped];
  const concurrency = settings.concurrency ?? Math.min(16, Math.max(8, 2 * availableParallelism()));
  const started = performance.now();
  let decoded = 0;
  const progress = (force = false) => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? decoded / elapsed : 0;
    report({ phase: 'decoding', scanned, decoded, total, imagesPerSec: rate, etaSec: rate > 0 ? (total - decoded) / rate : 0 }, force);
  };
  progress(true);

  // Large imports: worker threads take every file a fast path can decode (see decode-pool.ts).
  // `declined` marks the files they gave back, which sharp then decodes here without retrying them.
  const declined = new Uint8Array(total);
  const threads = settings.threads ?? availableParallelism();
  if (threads > 0 && total >= (settings.poolMinFiles ?? POOL_MIN_FILES)) {
    const sent = scan.images.map((_, i) => i).filter((i) => scan.images[i].size > 0 && scan.images[i].size <= READ_WHOLE_LIMIT);
    try {
      await decodeInWorkers(sent.map((i) => scan.images[i].abs), target, threads, (start, chunk) => {
        for (let k = 0; k < chunk.done.length; k++) {
          const i = sent[start + k];
          if (!chunk.done[k]) {
            declined[i] = 1;
            continue;
          }
          pixels.set(chunk.pixels.subarray(k * imageBytes, (k + 1) * imageBytes), i * imageBytes);
          ok[i] = 1;
          borderMean[i] = chunk.borderMean[k];
          borderStd[i] = chunk.borderStd[k];
          decoded++;
        }
        progress();
      }, signal);
    } catch (error) {
      signal?.throwIfAborted();
      // The pool failed (a worker crashed or cannot start): decode what is left here, more slowly.
      console.warn(`Import: decoding on one thread (${(error as Error)?.message ?? error})`);
      declined.fill(0);
    }
  }
  const sharpTarget: DecodeTarget = { ...target, fastPng: false, fastJpeg: false };
  const rest = scan.images.map((_, i) => i).filter((i) => !ok[i]);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, rest.length) }, async () => {
      while (next < rest.length && !signal?.aborted) {
        const i = rest[next++];
        const image = scan.images[i];
        try {
          const border = await decodeFile(image.abs, image.size, declined[i] ? sharpTarget : target, pixels.subarray(i * imageBytes, (i + 1) * imageBytes));
          ok[i] = 1;
          borderMean[i] = border.mean;
          borderStd[i] = border.std;
        } catch (error) {
          if (error instanceof SkipError) skipped.push(error.detail ? { path: image.rel, reason: error.reason, detail: error.detail } : { path: image.rel, reason: error.reason });
          else skipped.push({ path: image.rel, reason: SKIP_REASONS.corrupt, detail: (error as Error)?.message ?? String(error) });
        }
        decoded++;
        progress();
      }
    }),
  );
  signal?.throwIfAborted();
  progress(true);

  // Labels: the layout, overridden by labels.csv where it gives one.
  let labelsCsv: CachedImport['labelsCsv'];
  let csvLabels = new Map<string, string>();
  if (scan.labelsCsv !== null) {
    const parsed = parseLabelsCsv(scan.labelsCsv);
    const matched = matchLabels(parsed.rows, parsed.invalid, scan.images.map((im) => im.rel));
    csvLabels = matched.labels;
    labelsCsv = matched.report;
  }
  const used: number[] = [];
  const usedPerFolder = new Map<string, number>();
  const candidatesPerFolder = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const top = scan.images[i].topFolder;
    if (top !== null) candidatesPerFolder.set(top, (candidatesPerFolder.get(top) ?? 0) + 1);
    if (!ok[i]) continue;
    used.push(i);
    if (top !== null) usedPerFolder.set(top, (usedPerFolder.get(top) ?? 0) + 1);
  }
  for (const folder of scan.classFolders) {
    if (usedPerFolder.get(folder)) continue;
    const n = candidatesPerFolder.get(folder) ?? 0;
    skipped.push({ path: `${folder}/`, reason: SKIP_REASONS.emptyClass, detail: n ? `none of its ${n} image files could be used` : 'it holds no image files' });
  }
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  if (used.length === 0) {
    const groups = Object.entries(groupSkipped(skipped.filter((s) => s.reason !== SKIP_REASONS.emptyClass)))
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    throw new UserError(`${scan.root} has no usable image (${groups || 'nothing decodable'}).`);
  }

  const labelOf = (i: number) => csvLabels.get(scan.images[i].rel) ?? scan.images[i].folderLabel;
  const classNames = [...new Set(used.map(labelOf).filter((l): l is string => l !== null))].sort(collator.compare);
  const classIndex = new Map(classNames.map((c, k) => [c, k]));
  const labels = new Int32Array(used.length);
  const files: string[] = new Array(used.length);
  const means = new Float32Array(used.length);
  const stds = new Float32Array(used.length);
  used.forEach((i, k) => {
    const label = labelOf(i);
    labels[k] = label === null ? -1 : classIndex.get(label)!;
    files[k] = scan.images[i].rel;
    means[k] = borderMean[i];
    stds[k] = borderStd[i];
    if (k !== i) pixels.copyWithin(k * imageBytes, i * imageBytes, (i + 1) * imageBytes);
  });
  // Keep the compacted view; copy out only when many were skipped, to give the memory back.
  let kept = pixels.subarray(0, used.length * imageBytes);
  if (used.length < total * 0.75) kept = kept.slice();

  let inverted = options.invert === 'yes';
  let invertReason = inverted ? 'Inverted on request.' : 'Not inverted (invert: no).';
  if (options.invert === 'auto') {
    const decision = decideInversion(means, stds);
    inverted = decision.invert;
    invertReason = decision.reason;
  }
  if (inverted) invertInPlace(kept);

  return {
    fingerprint: scan.fingerprint,
    count: used.length,
    size,
    channels,
    classNames,
    files,
    labels,
    pixels: kept,
    skipped,
    ignoredFiles: scan.ignoredFiles,
    inverted,
    invertReason,
    ...(labelsCsv ? { labelsCsv } : {}),
  };
}
