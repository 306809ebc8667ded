// Memory estimates made before allocating: a training job, a t-SNE and an export are refused with
// their estimate when it exceeds the limit (half the machine's memory unless LATENT_EXPLORER_MEMORY_LIMIT
// says otherwise), instead of growing the engine until the system kills it.
import { totalmem } from 'node:os';
import type { ModelConfig } from '../../models/config.ts';
import { UserError } from '../contract/errors.ts';

export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 2 ** 20))} MB`;
}

/** The limit in bytes: LATENT_EXPLORER_MEMORY_LIMIT ('8G', '512M', '1.5GB' or bytes), else half of RAM. */
export function memoryLimit(): { bytes: number; source: string } {
  const given = process.env.LATENT_EXPLORER_MEMORY_LIMIT?.trim();
  if (given) {
    const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(given);
    if (m) {
      const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
      return { bytes: Number(m[1]) * unit, source: 'LATENT_EXPLORER_MEMORY_LIMIT' };
    }
  }
  return { bytes: totalmem() / 2, source: "half this machine's memory" };
}

/** Over the limit: the message gives the estimate, the limit and how to change it. */
export class MemoryLimitError extends UserError {}

/** Throws MemoryLimitError when `what` (e.g. "Training") would need more than the limit. */
export function checkMemory(what: string, estimate: number, hint = ''): void {
  const limit = memoryLimit();
  if (estimate <= limit.bytes) return;
  throw new MemoryLimitError(
    `${what} would need about ${formatSize(estimate)} of memory, more than the limit of ${formatSize(limit.bytes)} (${limit.source}; set LATENT_EXPLORER_MEMORY_LIMIT to change it)${hint ? `; ${hint}` : ''}`,
  );
}

/** Activations kept per float for the backward pass and temporaries (measured: ~3x the forward sizes). */
const BACKWARD_FACTOR = 3;
/** TF.js and the wasm heap before a model exists. */
const BASE_BYTES = 64 * 2 ** 20;

/**
 * Bytes a training step needs: parameters with gradients and Adam's two moments (16 bytes each),
 * the activations of a batch (the decoder once per reparameterisation sample), and evaluation chunks.
 */
export function estimateTrainingBytes(config: Pick<ModelConfig, 'arch' | 'imageSize' | 'channels' | 'latent' | 'hidden' | 'numClasses' | 'samples' | 'convFilters'>, batchSize: number): number {
  const pixels = config.imageSize * config.imageSize * config.channels;
  const L = config.latent;
  let params = 0;
  let encoderWidth = pixels;
  let decoderWidth = 2 * pixels; // logits and the likelihood's per-pixel terms
  if (config.arch === 'mlp') {
    let prev = pixels;
    for (const h of config.hidden) {
      params += 2 * (prev * h + h); // the encoder layer and its decoder mirror
      encoderWidth += h;
      decoderWidth += h;
      prev = h;
    }
    params += 2 * (prev * L + L) + (prev * L + L) + pixels; // mean, logVar, the decoder's first and last biases
    encoderWidth += 2 * L;
  } else {
    let side = config.imageSize;
    let channels: number = config.channels;
    for (const f of config.convFilters ?? [32, 64]) {
      params += 2 * (16 * channels * f + f);
      side = Math.ceil(side / 2);
      encoderWidth += side * side * f;
      decoderWidth += side * side * f;
      channels = f;
    }
    const flat = side * side * channels;
    params += 2 * (flat * 256 + 256) + 2 * (256 * L + L) + (L * 256 + 256);
    encoderWidth += 256 + 2 * L;
    decoderWidth += 256 + flat;
  }
  params += config.numClasses ? L * config.numClasses + config.numClasses : 0;
  const samples = Math.max(1, config.samples ?? 1);
  const perImage = encoderWidth + samples * (decoderWidth + L);
  const batchBytes = 4 * BACKWARD_FACTOR * batchSize * perImage;
  const evalBytes = 4 * 500 * (encoderWidth + decoderWidth); // evaluation runs in chunks of 500 images, forward only
  return BASE_BYTES + 16 * params + batchBytes + evalBytes;
}

/**
 * Bytes a t-SNE of `n` points of `dim` dimensions needs: the input copy, neighbour lists and sparse
 * affinities (3·perplexity neighbours), positions, gains and gradients, and the repulsion grid.
 */
export function estimateTsneBytes(n: number, dim: number, perplexity: number): number {
  const k = Math.ceil(3 * perplexity);
  return 32 * 2 ** 20 + n * (8 * dim + k * 24 + 256);
}

/** Measured in the t-SNE benchmark (README): 10,000 points × 1,000 iterations in 6.6 s on two threads. */
const TSNE_POINT_ITERATIONS_PER_SECOND = (10_000 * 1000) / 6.6;

/** Rough seconds of a t-SNE on this kind of machine (two cores); grows a little faster than n. */
export function estimateTsneSeconds(n: number, iterations: number): number {
  return ((n * iterations) / TSNE_POINT_ITERATIONS_PER_SECOND) * Math.max(1, Math.log10(Math.max(n, 10)) / 4);
}

/** Bytes parsing a CSV file of `size` bytes takes: the text (UTF-16), its lines and fields, the numbers. */
export function estimateCsvParseBytes(size: number): number {
  return 8 * size;
}
