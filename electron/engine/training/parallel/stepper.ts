// Training steps on one thread or data-parallel on several (route B of issue 12, see README "Choices").
// With T threads the batch is cut into T contiguous shards; the training thread computes shard 0 and
// T − 1 worker threads (each with its own TF.js backend and a replica of the model) the others. Their
// gradients meet in a SharedArrayBuffer; then every thread averages them (weighted by shard size) and
// takes the Adam step for its own range of the parameters (models/parallel/adam.ts), over weights and
// moments that live in SharedArrayBuffers too. The training thread's model takes the new weights, and
// its TF.js optimiser the moments before a checkpoint. A thread whose shard is done runs parts of the
// others' native kernels until every shard is in (meeting.ts, kernels.ts helpUntil), then takes its
// Adam share without waiting for a message. Random draws are the whole batch's (each shard cuts
// its rows), so T threads compute the same step as one, up to float summation order; a given seed and
// thread count repeat exactly.
import * as tf from '@tensorflow/tfjs';
import type { Worker } from 'node:worker_threads';
import type { VaeModel, StepResult } from '../../../../models/vae.ts';
import { combineStats, gradientSizes, passesGradients, planPasses, readWeights, weightCount, weightsSince, weightsUnchanged, writeWeights, type ShardStats, type WeightsMoment } from '../../../../models/parallel/shard.ts';
import { adamRange, adamSettings, exportAdamState, importAdamState, parameterRange, trainableSegments, type Segment } from '../../../../models/parallel/adam.ts';
import { startWorker, workerEntry } from '../../worker-entry.ts';
import { setLending, setNativeThreads } from '../../../../models/native/kernels.ts';
import { allInAndWell, lendUntilIn, meetingBuffer, shard, startStep } from './meeting.ts';
import type { ThreadRoute } from './threads.ts';
import type { Lending, WorkerReply, WorkerRequest } from './protocol.ts';

export interface Stepper {
  /** Threads that compute each step (1: the training thread alone). */
  readonly threads: number;
  /** Why fewer threads than asked for are used, if so. */
  readonly note?: string;
  /** One Adam step on the batch x ([n, size, size, channels] floats in [0, 1]). */
  /** priv: the fair VAE's private attribute per image (one thread only: its penalty needs the whole batch). */
  step(x: Float32Array, shape: [number, number, number, number], labels: Int32Array | undefined, seed: number, priv?: Int32Array): Promise<StepResult>;
  dispose(): Promise<void>;
  /** Puts the optimiser's state where a checkpoint reads it (the model's TF.js optimiser), when the stepper keeps its own. */
  beforeCheckpoint?(): Promise<void>;
  /** Data-parallel: milliseconds spent in each part of the steps so far, on the training thread (benchmarks). */
  readonly phases?: Record<'weights' | 'ownShard' | 'wait' | 'update' | 'apply', number>;
}

/** How long a worker may take to load TF.js and its backend. */
const START_TIMEOUT_MS = 120_000;

export interface StepperOptions {
  /** Images a pass may hold (activations grow with it): larger batches are computed in passes whose gradients add up. */
  imagesPerPass?: number;
  /** The most images a step will be given (the batch, plus a semi-supervised run's added labelled images). */
  maxImages?: number;
  /** 'kernels': one training thread whose native kernels use the threads (see threads.ts); default data-parallel. */
  route?: ThreadRoute;
  /** Data-parallel: how the threads share their cores (protocol.ts Lending; default 'help'). */
  lending?: Lending;
}

/**
 * A stepper for `model` on `threads` threads, in passes of at most `imagesPerPass` images; falls back to
 * one thread (with a note) when workers cannot start.
 */
export async function createStepper(model: VaeModel, threads: number, options: StepperOptions = {}): Promise<Stepper> {
  if (threads > 1 && options.route === 'kernels') return kernelThreads(await createStepper(model, 1, { ...options, route: undefined }), threads);
  const passes = options.imagesPerPass !== undefined && options.maxImages !== undefined && options.imagesPerPass < options.maxImages;
  if (threads <= 1 && !passes) return singleThread(model);
  try {
    return await DataParallel.start(model, threads, options);
  } catch (error) {
    const why = `training on one thread: the worker threads did not start (${error instanceof Error ? error.message : String(error)})`;
    if (!passes) return singleThread(model, why);
    // still in passes (memory): one thread of the same plan starts no worker
    const one = await DataParallel.start(model, 1, options);
    return relabelled(one, 1, `${why}; ${one.note}`);
  }
}

/** `inner`'s steps under another thread count and note, with more to undo when disposed. */
function relabelled(inner: Stepper, threads: number, note: string | undefined, undo = () => {}): Stepper {
  return {
    threads,
    note,
    step: (...args) => inner.step(...args),
    beforeCheckpoint: inner.beforeCheckpoint?.bind(inner),
    async dispose() {
      undo();
      await inner.dispose();
    },
  };
}

/** `inner` (one training thread) with its native kernels split over `threads`, back to one when disposed. */
function kernelThreads(inner: Stepper, threads: number): Stepper {
  const used = setNativeThreads(threads);
  return relabelled(inner, used, used > 1 ? `${used} threads inside the native kernels${inner.note ? `; ${inner.note}` : ''}` : inner.note, () => setNativeThreads(1));
}

function singleThread(model: VaeModel, note?: string): Stepper {
  return {
    threads: 1,
    note,
    async step(x, shape, labels, seed, priv) {
      return model.trainStepOnFloats(x, shape, labels, seed, priv);
    },
    async dispose() {},
  };
}

class DataParallel implements Stepper {
  private readonly weights: Float32Array;
  private readonly slots: Float32Array[];
  private readonly moments: { m: Float32Array; v: Float32Array };
  /** where the step's threads meet (meeting.ts) */
  private readonly meeting: Int32Array;
  private readonly segments: Segment[];
  private readonly count: number;
  private readonly perPass: number;
  readonly note?: string;
  /** Adam steps taken (the optimiser's iteration count). */
  private steps = 0;
  /** The model's weights as the last step left them in `weights` (unchanged since: not read again). */
  private applied: WeightsMoment | null = null;
  private pending = new Map<Worker, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private disposed = false;
  readonly phases = { weights: 0, ownShard: 0, wait: 0, update: 0, apply: 0 };
  /** Parts of other threads' native kernels that threads ran while they waited (tests, benchmarks). */
  lentParts = 0;

  private constructor(
    private readonly model: VaeModel,
    private readonly workers: Worker[],
    buffers: { weights: SharedArrayBuffer; gradients: SharedArrayBuffer; moments: SharedArrayBuffer; meeting: SharedArrayBuffer },
    perPass: number,
    readonly lending: Lending,
  ) {
    this.perPass = perPass;
    if (Number.isFinite(perPass)) this.note = `each step in passes of at most ${perPass} images, to bound memory`;
    const count = gradientSizes(model).reduce((a, n) => a + n, 0);
    this.count = count;
    this.weights = new Float32Array(buffers.weights);
    this.slots = Array.from({ length: buffers.gradients.byteLength / (count * 4) }, (_, s) => new Float32Array(buffers.gradients, s * count * 4, count));
    this.moments = { m: new Float32Array(buffers.moments, 0, count), v: new Float32Array(buffers.moments, count * 4, count) };
    this.segments = trainableSegments(model);
    this.meeting = new Int32Array(buffers.meeting);
    for (const w of workers) {
      w.on('message', (r: WorkerReply) => this.settle(w, r));
      w.on('error', (e) => this.fail(w, e));
      w.on('exit', (code) => this.fail(w, new Error(`a training worker stopped (exit code ${code})`)));
    }
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  static async start(model: VaeModel, threads: number, options: StepperOptions): Promise<DataParallel> {
    const gradientCount = gradientSizes(model).reduce((a, n) => a + n, 0);
    const perPass = options.imagesPerPass ?? Infinity;
    // One gradient slot per pass; the passes of the largest step there will be (more images, never fewer passes).
    const slots = Number.isFinite(perPass) ? planPasses(options.maxImages ?? threads, threads, perPass).flat().length : threads;
    const buffers = {
      weights: new SharedArrayBuffer(weightCount(model) * 4),
      gradients: new SharedArrayBuffer(Math.max(slots, threads) * gradientCount * 4),
      moments: new SharedArrayBuffer(2 * gradientCount * 4),
      meeting: meetingBuffer(),
    };
    const entry = workerEntry('train-worker', import.meta.url, process.env.LATENT_EXPLORER_TRAIN_WORKER);
    const workers = Array.from({ length: threads - 1 }, () => startWorker(entry));
    const trainer = new DataParallel(model, workers, buffers, perPass, options.lending ?? 'help');
    try {
      const started = workers.map((w, i) =>
        trainer.request(w, { type: 'init', config: model.config, backend: tf.getBackend(), weights: buffers.weights, gradients: buffers.gradients, moments: buffers.moments, meeting: buffers.meeting, lending: trainer.lending }),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)));
      try {
        await Promise.race([Promise.all(started), timeout]);
      } finally {
        clearTimeout(timer);
      }
      // A resumed run's Adam moments (restored into the model's optimiser from its checkpoint) carry on here.
      trainer.steps = await importAdamState(model.optimizer, trainer.moments);
      return trainer;
    } catch (error) {
      await trainer.dispose();
      throw error;
    }
  }

  private request(w: Worker, message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(w, { resolve, reject });
      w.postMessage(message, transfer);
    }).then((r) => {
      const reply = r as WorkerReply;
      if (reply.type === 'error') throw new Error(reply.message);
      return reply;
    });
  }

  private settle(w: Worker, r: WorkerReply): void {
    const p = this.pending.get(w);
    this.pending.delete(w);
    p?.resolve(r);
  }

  private fail(w: Worker, e: Error): void {
    if (this.disposed) return;
    this.failure ??= e;
    const p = this.pending.get(w);
    this.pending.delete(w);
    p?.reject(e);
  }

  async step(x: Float32Array, shape: [number, number, number, number], labels: Int32Array | undefined, seed: number): Promise<StepResult> {
    const [n, h, w, c] = shape;
    const per = h * w * c;
    const plan = planPasses(n, this.threads, this.perPass);
    const passCount = plan.reduce((a, p) => a + p.length, 0);
    if (passCount > this.slots.length) throw new Error(`a step of ${n} images needs ${passCount} gradient slots; the stepper has ${this.slots.length}`);
    const parts = plan.length;
    let t = performance.now();
    const lap = (phase: keyof DataParallel['phases']) => {
      const now = performance.now();
      this.phases[phase] += now - t;
      t = now;
    };
    // ~1 ms a step of the conv VAE; only needed when the model's weights changed since the last step (a checkpoint loaded)
    if (!weightsUnchanged(this.model, this.applied)) readWeights(this.model, this.weights);
    lap('weights');
    // The Adam step each thread takes once every shard is in: on its own range of the parameters, the
    // passes' gradients weighted by their images (slots are in batch order, as plan.flat() is).
    const adamStep = this.steps + 1;
    const settings = adamSettings(this.model.optimizer);
    const scales = plan.flat().map((pass) => pass.size / n);
    const order = (p: number) => {
      const [from, to] = parameterRange(this.count, parts, p);
      return { t: adamStep, settings, scales, from, to };
    };
    startStep(this.meeting); // before any worker hears of this step
    const replies = plan.slice(1).map((passes, p) => {
      const first = passes[0].offset;
      const end = passes[passes.length - 1].offset + passes[passes.length - 1].size;
      const part = x.slice(first * per, end * per);
      return this.request(
        this.workers[p],
        { type: 'step', x: part, shape: [end - first, h, w, c], labels: labels?.slice(first, end), seed, total: n, first, passes, parts, update: order(p + 1) },
        [part.buffer as ArrayBuffer],
      );
    });
    // awaited below; if this thread's shard throws first, a worker's failure must not go unhandled
    for (const r of replies) r.catch(() => {});
    setLending(this.lending !== 'off' && this.workers.length > 0); // alone, no one could help: one thread's own bits
    let own: ShardStats[];
    try {
      own = shard(this.meeting, () => passesGradients(this.model, x, shape, 0, labels, seed, n, plan[0], this.slots));
    } finally {
      setLending(false);
    }
    lap('ownShard');
    // the slower threads' kernels take this core until every shard is in
    this.lentParts += lendUntilIn(this.meeting, parts, this.lending === 'help');
    lap('wait');
    // Every shard in: this thread's share of the Adam step, beside the workers' (they reply after theirs).
    // Else (lending gave up) the replies say every shard is in, and the share follows them.
    const [from, to] = parameterRange(this.count, parts, 0);
    const adam = () => adamRange(adamStep, settings, this.slots.slice(0, passCount), scales, this.moments, this.weights, this.segments, from, to);
    const early = allInAndWell(this.meeting, parts);
    if (early) adam();
    // in slot order: the passes of thread 0, then thread 1's, ...
    const done = (await Promise.all(replies)) as Extract<WorkerReply, { type: 'done' }>[];
    const stats: ShardStats[] = [...own, ...done.flatMap((r) => r.stats)];
    for (const r of done) this.lentParts += r.lentParts;
    if (!early) adam();
    this.steps = adamStep;
    lap('update');
    writeWeights(this.model, this.weights);
    this.model.syncTiedWeights();
    this.applied = weightsSince(this.model);
    lap('apply');
    return combineStats(stats);
  }

  async beforeCheckpoint(): Promise<void> {
    await exportAdamState(this.model, this.steps, this.moments);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const p of this.pending.values()) p.reject(new Error('training threads stopped'));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
