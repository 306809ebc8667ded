// How many threads a training run uses: the setting (UI or CLI --threads), else LATENT_EXPLORER_THREADS,
// else the number of cores; then fewer where data-parallel steps would not help or would change the model.
import { availableParallelism } from 'node:os';
import type { ModelConfig } from '../../../../models/config.ts';

export const MAX_THREADS = 64;

export interface ThreadsDefault {
  threads: number;
  /** where the number comes from */
  source: 'cores' | 'LATENT_EXPLORER_THREADS';
  cores: number;
}

/** How a step uses its threads: each native kernel split across them, or the batch split across worker threads. */
export type ThreadRoute = 'kernels' | 'data-parallel';

/**
 * The default thread count of this process (the core count, at most MAX_THREADS). A malformed
 * LATENT_EXPLORER_THREADS throws, naming it.
 */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): ThreadsDefault {
  const raw = env.LATENT_EXPLORER_THREADS;
  if (raw === undefined || raw.trim() === '') return { threads: Math.min(cores, MAX_THREADS), source: 'cores', cores };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new Error(`LATENT_EXPLORER_THREADS must be a whole number from 1 to ${MAX_THREADS} (got '${raw}')`);
  return { threads: n, source: 'LATENT_EXPLORER_THREADS', cores };
}

/**
 * Threads for a run of `config` on TF.js backend `backend`, asked for `requested` (undefined: the default),
 * with the reason when fewer are used.
 */
export function trainingThreads(
  requested: number | undefined,
  config: ModelConfig,
  backend: string,
  batchSize: number,
  nativeKernels = false,
): { threads: number; route?: ThreadRoute; note?: string } {
  const wanted = requested ?? defaultThreads().threads;
  if (wanted <= 1) return { threads: 1 };
  const own = ownParallelism(backend);
  if (own) return { threads: 1, note: `one training thread: ${own}` };
  const dataParallel = dataParallelThreads(wanted, config, batchSize);
  // With the native kernels, each product, convolution, elementwise op and Adam step can be split over the
  // threads instead: the same model for every objective and batch. Measured (tests/bench/threads.ts, README):
  // for the MLP VAE that is 1.2-1.5x on two cores where data-parallel workers are slower than one thread
  // (their per-kernel overhead does not shrink with the shard); for the conv VAE, whose big batches go in
  // passes, data-parallel workers are a little faster (per-run medians 1.56x against 1.50x on average over
  // ten runs: they split TF.js's bookkeeping too), so conv runs keep them where they are allowed.
  if (nativeKernels && backend === 'wasm' && !(config.arch === 'conv' && dataParallel.threads === wanted))
    return { threads: wanted, route: 'kernels', note: `${wanted} threads inside the native kernels` };
  return dataParallel;
}

/** Why training on `backend` takes one thread whatever is asked (it runs its own threads or the GPU); undefined on wasm and cpu. */
export function ownParallelism(backend: string): string | undefined {
  if (backend === 'wasm' || backend === 'cpu') return undefined;
  return `the ${backend} backend uses ${backend === 'tensorflow' ? 'every core' : 'the GPU'} by itself`;
}

/**
 * The threads a run on `backend` takes by default, as `info` and the status bar show them: one, with the
 * reason, where the backend runs its own threads or the GPU.
 */
export function defaultThreadsOn(backend: string, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): ThreadsDefault & { note?: string } {
  const threads = defaultThreads(env, cores);
  const own = ownParallelism(backend);
  return own ? { ...threads, threads: 1, note: own } : threads;
}

function dataParallelThreads(wanted: number, config: ModelConfig, batchSize: number): { threads: number; note?: string } {
  if (config.objective === 'dae' || config.objective === 'ivae')
    return { threads: 1, note: `one training thread: the ${config.objective === 'dae' ? "denoising autoencoder's corruption" : "iVAE's conditional prior"} is not split across threads yet` };
  if (config.objective === 'beta-tcvae')
    return { threads: 1, note: "one training thread: β-TCVAE's estimate of q(z) needs the whole batch in one place" };
  if (config.objective === 'fair-vae')
    return { threads: 1, note: "one training thread: the fair VAE's penalty compares the whole batch's codes" };
  // terms estimated from the whole batch (the style part's total correlation, the leakage penalty's shuffled styles)
  if (config.objective === 'ssvae' && ((config.styleTcWeight ?? 0) > 0 || (config.classCode === 'prototype' && (config.leakageWeight ?? 0) > 0)))
    return { threads: 1, note: 'one training thread: the style-TC and leakage terms are estimated from the whole batch' };
  const threads = Math.min(wanted, Math.max(1, Math.floor(batchSize / 8)));
  return threads < wanted ? { threads, note: `${threads} training thread${threads > 1 ? 's' : ''}: a batch of ${batchSize} gives each thread at least 8 images` } : { threads };
}

/**
 * Wasm heap a convolutional training step takes per input value of its images: measured 525 MB for a
 * batch of 128 images of 64 px RGB (about 340 bytes a value; im2col buffers and the tape's activations).
 */
const CONV_STEP_BYTES_PER_VALUE = 340;
/** Heap one pass of a step may take; the wasm heap never shrinks, so this bounds the training's memory. */
const PASS_BYTES = 128 * 1024 * 1024;

/**
 * Images per pass for a run of `config` on TF.js backend `backend`: on wasm, whose heap never shrinks, big
 * convolutional batches are computed in passes whose gradients add up to the batch's (the same step within
 * float tolerance), so memory follows the pass, not the batch. Undefined when the batch fits, when a term
 * needs the whole batch in one pass, and on backends that give memory back (native TensorFlow, WebGPU,
 * cpu): there passes would only add work, and on a GPU read every pass's gradients back for an Adam step
 * on the CPU.
 */
export function imagesPerPass(config: ModelConfig, batchSize: number, backend: string): number | undefined {
  if (backend !== 'wasm' || config.arch !== 'conv' || batchDependent(config)) return undefined;
  const perImage = CONV_STEP_BYTES_PER_VALUE * config.imageSize * config.imageSize * config.channels;
  const images = Math.max(8, Math.floor(PASS_BYTES / perImage));
  return images < batchSize ? images : undefined;
}

/** Whether a term of the objective is estimated from the whole batch (it cannot be cut into shards or passes). */
function batchDependent(config: ModelConfig): boolean {
  return config.objective === 'beta-tcvae' || config.objective === 'fair-vae' || (config.objective === 'ssvae' && ((config.styleTcWeight ?? 0) > 0 || (config.classCode === 'prototype' && (config.leakageWeight ?? 0) > 0)));
}
