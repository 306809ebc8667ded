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

export interface ThreadsChoice {
  threads: number;
  route?: ThreadRoute;
  /** why fewer threads than asked for are used, or how they are used */
  note?: string;
  /** why the kernel threads were taken, or fewer of them (memory, the core count); fewer workers say why in `note` */
  why?: string;
}

export interface ThreadsContext {
  /** whether the native kernels are installed (models/native/kernels.ts) */
  nativeKernels?: boolean;
  /** the data set and model, when known: data-parallel workers are chosen only while they fit (workersThatFit) */
  memory?: TrainingMemory;
  /** this machine's cores (default availableParallelism()) */
  cores?: number;
}

/**
 * Threads for a run of `config` on TF.js backend `backend`, asked for `requested` (undefined: the default),
 * with the reason when fewer are used.
 */
export function trainingThreads(requested: number | undefined, config: ModelConfig, backend: string, batchSize: number, context: ThreadsContext = {}): ThreadsChoice {
  const wanted = requested ?? defaultThreads().threads;
  if (wanted <= 1) return { threads: 1 };
  const own = ownParallelism(backend);
  if (own) return { threads: 1, note: `one training thread: ${own}` };
  const allowed = dataParallelThreads(wanted, config, batchSize);
  // Each data-parallel worker holds a TF.js of its own (100-125 MB for the conv VAE at 64 px): on a machine
  // with many cores and a big folder, as many workers as cores would pass the memory budget.
  // (the estimates are the conv VAE's on wasm, measured; an MLP worker's heap is small and was not)
  const fit = context.memory && config.arch === 'conv' && backend === 'wasm' ? workersThatFit(config, backend, batchSize, context.memory, allowed.threads, context.nativeKernels) : undefined;
  const dataParallel = fit && fit.threads < allowed.threads ? { threads: fit.threads, note: fit.note } : allowed;
  // With the native kernels, each product, convolution, elementwise op and Adam step can be split over the
  // threads instead: the same model for every objective and batch. Measured (tests/bench/threads.ts, README):
  // for the MLP VAE that is 1.5-1.9x on two cores (7 December; by where the host puts them), where
  // data-parallel workers are slower than one thread (their per-kernel overhead does not shrink with the
  // shard); for the conv VAE, whose big batches go in passes, workers and kernel threads ran alike on two
  // cores sharing an L3 (1.70-1.77x against 1.73-1.76x, 6 December) but workers were faster across dies
  // (1.76x against 1.66x: they split TF.js's bookkeeping too), so conv runs keep them where memory allows.
  // Kernel threads share the training thread's TF.js: their memory does not grow with their number
  // (measured: the conv VAE's run took 251-259 MB on 1, 2, 4 and 8 of them), so they are also the route
  // where the workers would not fit.
  if (context.nativeKernels && backend === 'wasm' && !(config.arch === 'conv' && dataParallel.threads === wanted)) {
    const why: string[] = [];
    if (fit?.why && allowed.threads === wanted) why.push(`not data-parallel workers: ${fit.why}`);
    // A kernel's parts wait for each other: beyond the cores, a thread waits for one that is not running
    // (measured on 2 cores: the MLP VAE at 36,800 images/s on 1 thread, 55,800 on 2, 8,200 on 4, 322 on 8).
    // Fewer change only the speed, and the bits of the products that split their depth (thin ones: the
    // conv VAE's first filter gradients), whose sums change order with the thread count (run.json keeps the count).
    const cores = context.cores ?? availableParallelism();
    const threads = Math.min(wanted, cores);
    if (threads <= 1) return { threads: 1, note: 'one training thread: this machine has one core' };
    if (threads < wanted) why.push(`${wanted} asked for, but this machine has ${cores} cores and kernel threads beyond them wait on each other`);
    return { threads, route: 'kernels', note: `${threads} threads inside the native kernels`, ...(why.length ? { why: why.join('; ') } : {}) };
  }
  return dataParallel;
}

/**
 * The note a run shows about its threads: the choice's, the stepper's (passes; workers that did not start),
 * and why not workers. Where the stepper took other threads than chosen (workers that did not start), its
 * note alone: the choice's reasons no longer describe the run.
 */
export function threadsNote(choice: ThreadsChoice, stepper: { threads: number; note?: string }): string | undefined {
  if (stepper.threads !== choice.threads) return stepper.note;
  const notes = [choice.note && stepper.note?.includes(choice.note) ? undefined : choice.note, stepper.note, choice.why];
  return notes.filter(Boolean).join('; ') || undefined;
}

/** What a run's memory is measured against (issue 12): the uint8 data set in memory and the model. */
export interface TrainingMemory {
  /** the data set's pixels as the store holds them (uint8) */
  datasetBytes: number;
  /** the model's weights, gradients and Adam's two moments (4 floats a parameter) */
  modelBytes: number;
}

/** A model's training memory: weights, gradients and Adam's two moments, 4 floats of 4 bytes a parameter. */
export function modelTrainingBytes(model: { trainableVariables(): { size: number }[] }): number {
  return 16 * model.trainableVariables().reduce((a, v) => a + v.size, 0);
}

/** How a run's threads compute their passes: how many compute passes at once, and on whose kernels. */
export interface PassContext {
  /** threads that each compute their own passes at once (data-parallel); kernel threads share one pass */
  threads?: number;
  /** whether the native kernels are installed (their convolutions need less heap than TF.js's) */
  nativeKernels?: boolean;
}

const MB = 1024 * 1024;
/**
 * Wasm heap a training pass takes: a base plus so many bytes per input value of its images. Measured on the
 * conv VAE at 64 px RGB: with the native kernels 19, 33, 58, 100 and 191 MB for passes of 8, 16, 32, 64 and
 * 128 images (~117 bytes a value); with TF.js's own kernels 525 MB for 128 (~340: their im2col buffers).
 */
const HEAP_BASE_BYTES = 8 * MB;
const heapBytesPerValue = (nativeKernels: boolean) => (nativeKernels ? 120 : 340);
/** Heap the passes a step computes at once may take together; the wasm heap never shrinks, so this bounds the training's memory. */
const PASS_BYTES = 128 * MB;
/**
 * What a data-parallel worker holds besides its heap: a V8 isolate with TF.js loaded and run (~32 MB held),
 * its kernels' allocations (~16 MB), the replica, and what its share of a step's messages and garbage adds.
 * Measured: ~50 MB a worker once started; a training run of the conv VAE in passes of 32 images peaked
 * 100-125 MB higher on two threads than on one (npm run bench memory, ten runs): 125 MB less its heap
 * (~53 MB) is this 72 MB.
 */
const WORKER_BASE_BYTES = 72 * MB;
/**
 * What the training thread adds besides its pass's heap and the batch: the tape's and the test pass's
 * objects and the model (measured: a one-thread conv VAE run at 64 px in passes of 32 grew 127-138 MB in all).
 */
const TRAINING_THREAD_BASE_BYTES = 64 * MB;
/**
 * Memory data-parallel workers may add beyond one thread's run on a folder so small that one thread's run
 * already passes 1.5x of it (the budget cannot be kept there whatever the threads): little beside what any
 * machine has, for workers that are the faster route on two cores (npm run bench threads).
 */
const SMALL_FOLDER_WORKER_BYTES = 128 * MB;

/** The passes a run's threads compute at once: one per data-parallel thread; kernel threads share the training thread's. */
export function passContext(choice: Pick<ThreadsChoice, 'threads' | 'route'>, nativeKernels: boolean): PassContext {
  return { threads: choice.route === 'kernels' ? 1 : choice.threads, nativeKernels };
}

/** Input values of one image. */
const imageValues = (config: ModelConfig) => config.imageSize * config.imageSize * config.channels;

/**
 * Images per pass for a run of `config` on TF.js backend `backend`: on wasm, whose heap never shrinks, big
 * convolutional batches are computed in passes whose gradients add up to the batch's (the same step within
 * float tolerance), so memory follows the passes, not the batch: the passes computed at once (one per
 * data-parallel thread; kernel threads share one) take PASS_BYTES of heap together. Undefined when the
 * batch fits, when a term needs the whole batch in one pass, and on backends that give memory back (native
 * TensorFlow, WebGPU, cpu): there passes would only add work, and on a GPU read every pass's gradients back
 * for an Adam step on the CPU.
 */
export function imagesPerPass(config: ModelConfig, batchSize: number, backend: string, context: PassContext = {}): number | undefined {
  if (backend !== 'wasm' || config.arch !== 'conv' || batchDependent(config)) return undefined;
  const threads = context.threads ?? 1;
  const perImage = heapBytesPerValue(context.nativeKernels ?? false) * imageValues(config);
  const images = Math.max(8, Math.floor(PASS_BYTES / threads / perImage));
  return images < Math.ceil(batchSize / threads) ? images : undefined;
}

/** Heap a thread's largest pass takes: its shard cut evenly into passes of at most imagesPerPass (planPasses). */
function passHeapBytes(config: ModelConfig, backend: string, batchSize: number, context: PassContext): number {
  const shard = Math.ceil(batchSize / (context.threads ?? 1));
  const most = imagesPerPass(config, batchSize, backend, context) ?? shard;
  const pass = Math.ceil(shard / Math.ceil(shard / most));
  return HEAP_BASE_BYTES + pass * imageValues(config) * heapBytesPerValue(context.nativeKernels ?? false);
}

/** Estimated memory one data-parallel worker adds to a run on `context.threads` threads. */
export function workerBytes(config: ModelConfig, backend: string, batchSize: number, context: PassContext): number {
  return WORKER_BASE_BYTES + passHeapBytes(config, backend, batchSize, context);
}

/** Estimated memory the training thread adds: its passes' heap, the batch's floats and the rest. */
export function trainingThreadBytes(config: ModelConfig, backend: string, batchSize: number, context: PassContext): number {
  return TRAINING_THREAD_BASE_BYTES + passHeapBytes(config, backend, batchSize, context) + 2 * batchSize * imageValues(config) * 4;
}

/**
 * The most data-parallel threads (at most `wanted`) whose run fits the memory budget: its estimated growth
 * (the training thread's and the workers') within half the data set and model, the issue's 1.5x; or, on a
 * folder where one thread's run already passes that, within one thread's run and SMALL_FOLDER_WORKER_BYTES.
 * `why` says so when fewer fit.
 */
export function workersThatFit(config: ModelConfig, backend: string, batchSize: number, memory: TrainingMemory, wanted: number, nativeKernels = false): { threads: number; note?: string; why?: string } {
  const oneThread = trainingThreadBytes(config, backend, batchSize, { nativeKernels });
  const half = 0.5 * (memory.datasetBytes + memory.modelBytes);
  const small = half < oneThread;
  const allowance = small ? oneThread + SMALL_FOLDER_WORKER_BYTES : half;
  const growth = (threads: number) => trainingThreadBytes(config, backend, batchSize, { threads, nativeKernels }) + (threads - 1) * workerBytes(config, backend, batchSize, { threads, nativeKernels });
  let threads = wanted;
  while (threads > 1 && growth(threads) > allowance) threads--;
  if (threads === wanted) return { threads };
  const each = workerBytes(config, backend, batchSize, { threads: wanted, nativeKernels });
  const workers = wanted - 1;
  const budget = `1.5x the data set and model (${Math.round(memory.datasetBytes / MB)} + ${Math.round(memory.modelBytes / MB)} MB)`;
  const limit = small
    ? `one thread's run and ${SMALL_FOLDER_WORKER_BYTES / MB} MB (~${Math.round(allowance / MB)} MB; one thread's run already passes ${budget})`
    : `the ${Math.round(allowance / MB)} MB that keep the run within ${budget}`;
  const why = `each data-parallel worker holds a TF.js of its own (~${Math.round(each / MB)} MB here); with ${workers === 1 ? 'one' : workers} the run would grow ~${Math.round(growth(wanted) / MB)} MB, more than ${limit}`;
  return { threads, note: `${threads} training thread${threads > 1 ? 's' : ''}: ${why}`, why };
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
  if (styleTermsOnWholeBatch(config))
    return { threads: 1, note: 'one training thread: the style-TC and leakage terms are estimated from the whole batch' };
  const threads = Math.min(wanted, Math.max(1, Math.floor(batchSize / 8)));
  return threads < wanted ? { threads, note: `${threads} training thread${threads > 1 ? 's' : ''}: a batch of ${batchSize} gives each thread at least 8 images` } : { threads };
}

/** Whether a term of the objective is estimated from the whole batch (it cannot be cut into shards or passes). */
function batchDependent(config: ModelConfig): boolean {
  return config.objective === 'beta-tcvae' || config.objective === 'fair-vae' || styleTermsOnWholeBatch(config);
}

/**
 * The semi-supervised model's terms estimated from the whole batch: the style part's total correlation and
 * the prototype code's leakage penalty (shuffled styles).
 */
function styleTermsOnWholeBatch(config: ModelConfig): boolean {
  return config.objective === 'ssvae' && ((config.styleTcWeight ?? 0) > 0 || (config.classCode === 'prototype' && (config.leakageWeight ?? 0) > 0));
}
