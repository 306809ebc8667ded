// What an export reads: a trained run (loadRun: encode/decode) and, when needed, the run's dataset.
import type { DatasetOpener, ImageSet } from '../datasets/types.ts';
import { openDataset } from '../datasets/open.ts';
import type { LoadedRun, RunFile } from '../training/run-file.ts';
import { loadRun } from '../training/run-file.ts';
import { CancelledError, UserError } from '../../contract/errors.ts';
import { privateOfImages } from '../explorer/private-value.ts';

export interface ExportHooks {
  signal?: AbortSignal;
  /** fraction 0..1 of the whole export, and what it is doing. */
  onProgress?: (fraction: number, message: string) => void;
}

export interface ExportSource {
  runDir: string;
  loaded: LoadedRun;
  run: RunFile;
  /** The run's dataset (anchors, reconstructions, class prototypes, embeddings), opened on first use. */
  images(signal?: AbortSignal): Promise<ImageSet>;
}

/** The images the run was trained on, checked to still fit the model. */
export async function datasetForRun(run: RunFile, open: DatasetOpener, signal?: AbortSignal): Promise<ImageSet> {
  const dataset = await open(run.dataset.ref, run.dataset.options, { signal });
  const images = dataset.images;
  if (images.size !== run.dataset.size || images.channels !== run.dataset.channels)
    throw new UserError(
      `${run.dataset.ref}: now gives ${images.size} px images with ${images.channels} channel(s); the run was trained on ${run.dataset.size} px with ${run.dataset.channels}`,
    );
  return images;
}

/** Opens a run for exporting. `images` stands in for the run's dataset (tests, or a caller that has it open). */
export async function openExportSource(runDir: string, images?: ImageSet): Promise<ExportSource> {
  return sourceFor(await loadRun(runDir), images);
}

/**
 * The run as an export source. Its images are given (tests, benchmarks) or opened on first use: through
 * the engine's workspace (shared with the views), or directly (the CLI opens one dataset once).
 */
export function sourceFor(loaded: LoadedRun, images: ImageSet | DatasetOpener = openDataset): ExportSource {
  const open = typeof images === 'function' ? images : null;
  let opened: Promise<ImageSet> | null = open ? null : Promise.resolve(images as ImageSet);
  return {
    runDir: loaded.dir,
    loaded,
    run: loaded.run,
    images(signal) {
      opened ??= datasetForRun(loaded.run, open!, signal);
      opened.catch(() => (opened = null));
      return opened;
    },
  };
}

/**
 * Posterior means of these images, row-major [count, latent], in chunks (a fair VAE's with each image's own
 * s, as the explorer lists them). Between chunks the engine answers other requests (a Cancel among them), so a
 * long export neither blocks the app nor ignores Stop.
 */
export async function encodeImages(
  loaded: LoadedRun,
  images: ImageSet,
  indices: ArrayLike<number> | null,
  hooks: ExportHooks = {},
  progress: [number, number] = [0, 1],
): Promise<Float32Array> {
  const per = images.size * images.size * images.channels;
  const count = indices ? indices.length : images.count;
  const latent = loaded.latent;
  const means = new Float32Array(count * latent);
  const chunk = 500;
  const priv = privateOfImages(loaded.run, images);
  for (let start = 0; start < count; start += chunk) {
    await turn();
    if (hooks.signal?.aborted) throw new CancelledError();
    const n = Math.min(chunk, count - start);
    const own = priv ? Int32Array.from({ length: n }, (_, k) => priv[indices ? indices[start + k] : start + k]) : undefined;
    let pixels: Uint8Array;
    if (indices) {
      pixels = new Uint8Array(n * per);
      for (let k = 0; k < n; k++) {
        const i = indices[start + k];
        pixels.set(images.pixels.subarray(i * per, (i + 1) * per), k * per);
      }
    } else pixels = images.pixels.subarray(start * per, (start + n) * per);
    means.set((await loaded.encode(pixels, n, n, own)).means, start * latent);
    hooks.onProgress?.(progress[0] + ((progress[1] - progress[0]) * (start + n)) / count, `Encoding images (${start + n} of ${count})`);
  }
  return means;
}

/**
 * Decoded images (uint8 HWC, one per code) of row-major codes, in chunks with progress and cancel. A fair
 * VAE's with s = privateValue, or the mixture over s when it is null.
 */
export async function decodeCodes(
  loaded: LoadedRun,
  codes: Float32Array,
  hooks: ExportHooks = {},
  progress: [number, number] = [0, 1],
  privateValue: number | null = null,
): Promise<Uint8Array> {
  const latent = loaded.latent;
  const count = codes.length / latent;
  const { size, channels } = loaded.run.dataset;
  const per = size * size * channels;
  const out = new Uint8Array(count * per);
  const chunk = 1024;
  for (let start = 0; start < count; start += chunk) {
    await turn();
    if (hooks.signal?.aborted) throw new CancelledError();
    const n = Math.min(chunk, count - start);
    out.set(await loaded.decode(codes.slice(start * latent, (start + n) * latent), n, privateValue === null ? undefined : new Int32Array(n).fill(privateValue)), start * per);
    hooks.onProgress?.(progress[0] + ((progress[1] - progress[0]) * (start + n)) / count, `Decoding images (${start + n} of ${count})`);
  }
  return out;
}

/** Lets the event loop run (requests, cancels) before the next chunk of work. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

