// A training job in the engine process: Adam steps over the training split with live, throttled
// progress; test ELBO after each epoch; pause/resume/stop; atomic checkpoints that survive kill -9;
// a NaN guard; snapshots at epochs 1, 2, 5, 10, 25, 50, 100, ...
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../datasets/types.ts';
import { mulberry32 } from '../random.ts';
import type { ModelConfig } from '../../../models/config.ts';
import { VaeModel } from '../../../models/vae.ts';
import { inferenceBinarize, pixelsToFloats, pixelsToTensor, tensorToPixels } from '../../../models/pixels.ts';
import { nativeAddon } from '../../../models/native/kernels.ts';
import { createStepper, type Stepper } from './parallel/stepper.ts';
import { imagesPerPass, modelTrainingBytes, passContext, threadsNote, trainingThreads } from './parallel/threads.ts';
import { writeDirAtomic } from '../../../models/io.ts';
import type { TrainSettings } from './settings.ts';
import { epochsForBudget } from './propose.ts';
import { auxValues, checkSettings, defaultDimensionNames, isLinearModel, keepBalancedLabels, modelConfigFor, privateValues, SettingsError } from './settings.ts';
import { measurePrivacy } from './privacy.ts';
import { hasClassPart } from '../../../models/config.ts';
import type { PrivacyFigures } from '../../contract/training.ts';
import { fitLinear } from './linear-fit.ts';
import { linearGaussianNetworks } from '../../../models/linear-gaussian.ts';
import type { EpochRecord, RunFile, RunStatus } from './run-file.ts';
import { readRunFile, runJsonPath, RUN_FORMAT, RUN_FORMAT_VERSION, snapshotDir, updateRunFile } from './run-file.ts';
import type { CheckpointState } from './checkpoint.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, saveNetworks } from './checkpoint.ts';
import { appVersion } from './versions.ts';
import { alignStyleAxes } from './style-axes.ts';
import { acquireRunLock } from './run-lock.ts';
import { checkMemory, estimateTrainingBytes } from '../memory.ts';
import { removeStaleTemps } from '../temp-files.ts';

import type { EpochReport, JobState, Reconstructions, RunSummary, TrainProgress } from '../../contract/training.ts';

export type { TrainSettings } from './settings.ts';
export type { EpochReport, Reconstructions, RunSummary, TrainProgress };

export interface TrainingJob {
  pause(): void;
  resume(): void;
  stop(): void;
  readonly state: JobState;
  done: Promise<RunSummary>;
}

export interface TrainHooks {
  onProgress?(p: TrainProgress): void;
  onEpoch?(e: EpochReport): void;
  onReconstructions?(r: Reconstructions): void;
  signal?: AbortSignal;
  /** Continue the run in runDir from its last checkpoint (refused if it has none). */
  resume?: boolean;
}

const PROGRESS_MS = 100;
/**
 * Progress also goes out every tenth of an epoch (but not within this many ms of the last): an epoch of
 * the sample takes ~0.25 s now (the fused MLP step), and a chart of a short run drew 3 points of it.
 */
const PROGRESS_PER_EPOCH = 10;
const PROGRESS_MIN_MS = 20;
const RECON_MS = 1000;
const RECON_COUNT = 8;
/**
 * Test images per forward pass: 500, fewer for large images (about a million input values a pass), as a
 * pass's activations all live until it ends and the wasm heap never shrinks: a 64 px RGB test pass of
 * 500 images would need more memory than a training step of 128.
 */
const EVAL_CHUNK = 500;
const EVAL_VALUES = 1 << 20;
const evalChunk = (valuesPerImage: number) => Math.min(EVAL_CHUNK, Math.max(64, Math.floor(EVAL_VALUES / valuesPerImage)));
const EVAL_SEED = 4242;

/**
 * Writes the job's run.json, keeping the dimension names on disk: the user may have named dimensions
 * in the explorer since the job last wrote it (updateRunFile serialises the two).
 */
function saveRunFile(runDir: string, runFile: RunFile): Promise<RunFile> {
  return updateRunFile(runDir, (onDisk) => {
    if (onDisk && onDisk.dimensionNames.length === runFile.dimensionNames.length) runFile.dimensionNames = onDisk.dimensionNames;
    return runFile;
  });
}

/** Snapshot epochs: 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, ... */
export function isSnapshotEpoch(epoch: number): boolean {
  if (epoch === 1 || epoch === 2 || epoch === 5) return true;
  for (let p = 10; p <= epoch; p *= 10) if (epoch === p || epoch === 2.5 * p || epoch === 5 * p) return true;
  return false;
}

/** Settings that shape the model or the data order must match when resuming; epochs and lr may change. */
const FIXED_ON_RESUME = ['model', 'arch', 'latent', 'style', 'beta', 'labels', 'batchSize', 'seed', 'samples', 'hidden', 'classWeight', 'likelihood', 'noise', 'noiseLevel', 'aux', 'private', 'fairPenalty', 'fairWeight', 'fairReference'] as const;

export function startTraining(dataset: Dataset, settings: TrainSettings, runDir: string, hooks: TrainHooks = {}): TrainingJob {
  checkSettings(settings, dataset);
  // Before a tensor exists: a job that cannot fit is refused with its estimate.
  checkMemory('Training with these settings', estimateTrainingBytes(modelConfigFor(settings, dataset), settings.batchSize), 'use a smaller batch, fewer samples or narrower layers');
  const hasRun = existsSync(runJsonPath(runDir));
  if (hasRun && !hooks.resume) throw new SettingsError(`${runDir}: already holds a run; resume it or choose another output folder`);
  // Resuming without a checkpoint would silently train from scratch over the run's model.
  if (hooks.resume && !hasCheckpoint(runDir)) throw new SettingsError(`${runDir}: has no checkpoint to resume from (no checkpoint/ folder); train a new run instead`);
  if (hasRun) {
    const saved = readRunFile(runDir);
    const diffs = FIXED_ON_RESUME.filter((k) => JSON.stringify(saved.settings[k]) !== JSON.stringify(settings[k])).map(
      (k) => `${k} ${JSON.stringify(settings[k])} (run has ${JSON.stringify(saved.settings[k])})`,
    );
    if (diffs.length) throw new SettingsError(`${runDir}: cannot resume with different settings: ${diffs.join(', ')}`);
    if (saved.model.objective === 'ssvae') {
      // runs made before the class prior existed trained with N(0, I) on z^Y: keep what the run was trained with
      const trained = saved.model.classPrior ?? 'standard';
      if (settings.classPrior !== undefined && settings.classPrior !== trained)
        throw new SettingsError(`${runDir}: cannot resume with different settings: classPrior "${settings.classPrior}" (run has "${trained}")`);
      // likewise the shift-consistency term (absent in runs made before it: 0)
      const consistency = saved.model.consistencyWeight ?? 0;
      if (settings.consistencyWeight !== undefined && settings.consistencyWeight !== consistency)
        throw new SettingsError(`${runDir}: cannot resume with different settings: consistencyWeight ${settings.consistencyWeight} (run has ${consistency})`);
      settings = { ...settings, classPrior: trained, consistencyWeight: consistency };
    }
    if (saved.dataset.ref !== dataset.ref || saved.dataset.size !== dataset.images.size || saved.dataset.channels !== dataset.images.channels || saved.dataset.images !== dataset.images.count)
      throw new SettingsError(`${runDir}: was trained on ${saved.dataset.ref} (${saved.dataset.images} images of ${saved.dataset.size} px); cannot resume on ${dataset.ref} (${dataset.images.count} images of ${dataset.images.size} px)`);
  }
  // One trainer per run folder across processes (an engine job, a CLI --resume): refused here, naming the other.
  const release = acquireRunLock(runDir);
  let job: Job;
  try {
    // What a killed trainer left half-written (.checkpoint.tmp-PID-…) goes before this one writes.
    removeStaleTemps(runDir);
    removeStaleTemps(join(runDir, 'snapshots'));
    job = new Job(dataset, settings, runDir, hooks, release);
  } catch (error) {
    release();
    throw error;
  }
  job.done = job.run();
  // The caller may never await `done` (e.g. fire-and-forget from the UI): keep a rejection from crashing the engine.
  job.done.catch(() => {});
  return job;
}

/** What a checkpoint holds besides the networks and Adam's moments: where the run is. */
type Position = Omit<CheckpointState, 'optimizer' | 'savedAt'>;

const startPosition = (): Position => ({
  epoch: 0,
  stepInEpoch: 0,
  step: 0,
  sums: { images: 0, loss: 0, recon: 0, kl: 0 },
  history: [],
  snapshots: [],
  seconds: 0,
});

/** The job a user controls: pause, resume, stop; it sets the run up and hands the epochs to a TrainingLoop. */
class Job implements TrainingJob {
  state: JobState = 'running';
  done!: Promise<RunSummary>;
  private wake: (() => void) | null = null;
  readonly config: ModelConfig;

  constructor(
    readonly ds: Dataset,
    readonly settings: TrainSettings,
    readonly runDir: string,
    readonly hooks: TrainHooks,
    private readonly releaseLock: () => void = () => {},
  ) {
    this.config = modelConfigFor(settings, ds);
    hooks.signal?.addEventListener('abort', () => this.stop(), { once: true });
    if (hooks.signal?.aborted) this.state = 'stopping';
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state === 'paused') {
      this.state = 'running';
      this.wake?.();
    }
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'paused') {
      this.state = 'stopping';
      this.wake?.();
    }
  }

  /** Settles when the job is resumed or stopped. */
  untilWoken(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve)).finally(() => (this.wake = null));
  }

  async run(): Promise<RunSummary> {
    let model: VaeModel | null = null;
    let reference: VaeModel | null = null;
    let runFile: RunFile | null = null;
    let stepper: Stepper | null = null;
    try {
      await mkdir(this.runDir, { recursive: true });
      if (isLinearModel(this.settings.model)) {
        runFile = this.newRunFile(undefined, startPosition(), 1);
        await saveRunFile(this.runDir, runFile);
        return await this.fitLinear(runFile);
      }
      const restored = this.hooks.resume ? await loadCheckpoint(this.runDir, this.config) : null;
      model = restored?.model ?? VaeModel.create(this.config);
      const position = restored?.state ?? startPosition();
      const plan = planImages(this.ds, this.settings, this.config);
      reference = await this.referenceModel();
      runFile = this.newRunFile(await model.pixelLogVarValue(), position, plan.stepsPerEpoch);
      if (reference) runFile.reference = { model: reference.config };
      if (this.hooks.resume && existsSync(runJsonPath(this.runDir))) {
        const saved = readRunFile(this.runDir);
        runFile.createdAt = saved.createdAt;
        runFile.dimensionNames = saved.dimensionNames.length === this.config.latent ? saved.dimensionNames : runFile.dimensionNames;
      }
      await saveRunFile(this.runDir, runFile);
      const backend = tf.getBackend();
      const memory = { datasetBytes: this.ds.images.pixels.byteLength, modelBytes: modelTrainingBytes(model) };
      const nativeKernels = nativeAddon() !== null;
      const threads = trainingThreads(this.settings.threads, this.config, backend, this.settings.batchSize, { nativeKernels, memory });
      const perPass = imagesPerPass(this.config, this.settings.batchSize, backend, passContext(threads, nativeKernels));
      const maxImages = this.settings.batchSize + plan.extraLabelled;
      stepper = await createStepper(model, threads.threads, { route: threads.route, imagesPerPass: perPass, maxImages });
      const note = threadsNote(threads, stepper);
      const route = stepper.threads <= 1 ? 'one thread' : threads.route === 'kernels' ? 'native kernels' : 'data-parallel';
      runFile.threadsTaken = { threads: stepper.threads, route, ...(perPass !== undefined && perPass < maxImages ? { imagesPerPass: perPass } : {}), ...(note ? { note } : {}) };
      return await new TrainingLoop(this, model, position, runFile, plan, stepper, note, reference).run();
    } catch (e) {
      this.state = 'failed';
      if (runFile) {
        runFile.status = 'failed';
        runFile.message = (e as Error).message;
        await saveRunFile(this.runDir, runFile).catch(() => {});
      }
      throw e;
    } finally {
      await stepper?.dispose();
      model?.dispose();
      reference?.dispose();
      this.releaseLock();
    }
  }

  /**
   * fair-vae: the plain VAE trained beside it (same architecture, code size, likelihood, seed, batches and steps)
   * whose probe AUC is the reference figure; resumed from reference/checkpoint/ when there is one.
   */
  private async referenceModel(): Promise<VaeModel | null> {
    const { settings } = this;
    if (settings.model !== 'fair-vae' || settings.fairReference === false) return null;
    const config = modelConfigFor(
      { ...settings, model: 'vae', private: undefined, fairPenalty: undefined, fairWeight: undefined, fairReference: undefined, style: undefined, labels: undefined },
      this.ds,
    );
    const restored = this.hooks.resume ? await loadCheckpoint(referenceDir(this.runDir), config) : null;
    return restored?.model ?? VaeModel.create(config);
  }

  /**
   * PPCA and FA: one fit (closed form, or EM from it) instead of epochs of steps, written as the same run folder:
   * encoder/ and decoder/ (linear layers), run.json with one history record whose losses are the exact
   * −log p(x) per image, and the noise variances Ψ. The fit is synchronous: seconds for 28 px images.
   */
  private async fitLinear(runFile: RunFile): Promise<RunSummary> {
    const started = performance.now();
    const { ds, config, hooks, runDir } = this;
    const plan = planImages(ds, this.settings, config);
    const kind = config.objective as 'ppca' | 'fa';
    let last = 0;
    const fit = fitLinear(kind, ds, plan.train, plan.test, config.latent, {
      onIteration: (it, of, ll) => {
        const now = performance.now();
        if (!hooks.onProgress || now - last < PROGRESS_MS) return;
        last = now;
        hooks.onProgress({ runDir, step: it, epoch: 1, epochs: 1, stepInEpoch: it, stepsPerEpoch: of, loss: -ll, recon: NaN, kl: NaN, klPerDim: [], samplesPerSec: 0, etaSec: NaN, threads: 1 });
      },
      shouldStop: () => this.state === 'stopping',
    });
    const psi = fit.model.noiseVariance;
    const meanPsi = psi.reduce((a, v) => a + v, 0) / psi.length;
    const model = new VaeModel(config, linearGaussianNetworks(fit.model, ds.images.size, ds.images.channels), Math.log(meanPsi));
    try {
      const trainKl = fit.trainKlPerDim.reduce((a, v) => a + v, 0);
      const seconds = (performance.now() - started) / 1000;
      const record: EpochRecord = {
        epoch: 1,
        step: fit.iterations,
        trainLoss: -fit.trainLogLikelihood,
        trainRecon: -fit.trainLogLikelihood - trainKl,
        trainKl,
        testLoss: fit.testLogLikelihood === null ? null : -fit.testLogLikelihood,
        testKlPerDim: fit.klPerDim,
        seconds,
      };
      await saveNetworks(model, runDir, { atomically: true });
      runFile.history = [record];
      runFile.modelEpoch = 1;
      runFile.pixelLogVar = Math.log(meanPsi);
      runFile.decoderOutput = 'mean';
      runFile.linearGaussian = {
        noiseVariance: kind === 'ppca' ? [psi[0]] : Array.from(psi),
        iterations: fit.iterations,
        trainLogLikelihood: fit.trainLogLikelihood,
        testLogLikelihood: fit.testLogLikelihood,
      };
      runFile.status = 'done';
      runFile.message = fit.stopped ? `EM was stopped after ${fit.iterations} iterations; the model so far is saved.` : undefined;
      await saveRunFile(runDir, runFile);
      hooks.onEpoch?.({ runDir, epoch: 1, trainLoss: record.trainLoss, testLoss: record.testLoss ?? NaN });
      if (hooks.onReconstructions) {
        const { size, channels } = ds.images;
        const [train, test] = [await reconstructionPairs(model, ds, plan.reconTrain), await reconstructionPairs(model, ds, plan.reconTest)];
        hooks.onReconstructions({ runDir, size, channels, count: plan.reconTrain.length, train, test });
      }
      this.state = 'done';
      return {
        runDir,
        status: 'done',
        epochs: 1,
        step: fit.iterations,
        trainLoss: record.trainLoss,
        testLoss: record.testLoss,
        seconds,
        samplesPerSec: plan.train.length / Math.max(seconds, 1e-3),
        message: runFile.message,
      };
    } finally {
      model.dispose();
    }
  }

  private newRunFile(pixelLogVar: number | undefined, position: Position, stepsPerEpoch: number): RunFile {
    const { ds } = this;
    const labels = keepBalancedLabels(ds, this.settings.labels, this.settings.seed);
    let labelledTrain = 0;
    for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 0 && labels[i] >= 0) labelledTrain++;
    const now = new Date().toISOString();
    return {
      format: RUN_FORMAT,
      formatVersion: RUN_FORMAT_VERSION,
      createdAt: now,
      updatedAt: now,
      status: 'running',
      settings: { ...this.settings },
      model: this.config,
      modelEpoch: position.epoch + position.stepInEpoch / stepsPerEpoch,
      dataset: {
        ref: ds.ref,
        options: ds.options,
        size: ds.images.size,
        channels: ds.images.channels,
        classNames: ds.images.classNames,
        images: ds.images.count,
        train: ds.images.split.reduce((a, v) => a + (v === 0 ? 1 : 0), 0),
        test: ds.images.split.reduce((a, v) => a + (v === 1 ? 1 : 0), 0),
        labelledTrain,
      },
      dimensionNames: defaultDimensionNames(this.config),
      history: position.history,
      snapshots: position.snapshots,
      pixelLogVar,
      decoderOutput: 'logits',
      versions: { app: appVersion(), tfjs: tf.version.tfjs, backend: tf.getBackend(), node: process.versions.node },
    };
  }
}

/** Which images train, test and show; fixed for the whole run. */
interface ImagePlan {
  train: number[];
  test: number[];
  /** Labels kept for training (−1: treated as unlabelled). */
  labels: Int32Array;
  /** fair-vae: the private attribute s per image (−1: unknown), its number of values and their names. */
  priv: { values: Int32Array; count: number; names: string[] } | null;
  labelledTrain: number[];
  /** Labelled images added to every batch (semi-supervised runs with few labels). */
  extraLabelled: number;
  stepsPerEpoch: number;
  /** The images whose reconstructions are shown while training. */
  reconTrain: number[];
  reconTest: number[];
}

function planImages(ds: Dataset, settings: TrainSettings, config: ModelConfig): ImagePlan {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < ds.images.count; i++) {
    if (ds.images.split[i] === 0) train.push(i);
    else if (ds.images.split[i] === 1) test.push(i);
  }
  // the iVAE's steps take its auxiliary variable u where the semi-supervised model takes labels
  const labels = config.objective === 'ivae' ? auxValues(ds, settings.aux ?? 'label').values : keepBalancedLabels(ds, settings.labels, settings.seed);
  const labelledTrain = train.filter((i) => labels[i] >= 0);
  const B = settings.batchSize;
  const priv = config.objective === 'fair-vae' ? privateValues(ds, settings.private ?? 'label') : null;
  const reconTrain = pickFixed(train, RECON_COUNT, settings.seed);
  return {
    train,
    test,
    labels,
    priv,
    labelledTrain,
    // Semi-supervised with few labels: add labelled images to every batch, or the class head would see
    // one labelled image every few batches (Kingma et al. 2014 mix labelled and unlabelled data the same way).
    extraLabelled: hasClassPart(config) && labelledTrain.length < train.length / 4 ? Math.max(1, Math.round(B / 4)) : 0,
    stepsPerEpoch: Math.ceil(train.length / B),
    reconTrain,
    reconTest: test.length ? pickFixed(test, RECON_COUNT, settings.seed) : reconTrain,
  };
}

/**
 * Seconds trained (kept across pauses and resumes, in the position) and a smoothed images/s. The first
 * step is left out of the rate: it carries the start (compiling kernels, workers starting), and a rate
 * taken from it made the first time-left figures several times too long (1 min 34 s for a 5 s run).
 */
export class TrainingClock {
  rate = 0;
  private segmentStart = performance.now();
  /** Where the rate is measured from: null until the first step has ended. */
  private rateMark: { t: number; images: number } | null = null;
  private images = 0;

  constructor(private readonly position: Position) {}

  elapsed(): number {
    return this.position.seconds + (performance.now() - this.segmentStart) / 1000;
  }

  /** Banks the time so far into the position (before a pause or a save). */
  bank(): void {
    this.position.seconds = this.elapsed();
    this.segmentStart = performance.now();
  }

  /** After a pause: the paused time counts neither as training nor in the rate. */
  restart(): void {
    this.segmentStart = performance.now();
    if (this.rateMark) this.rateMark = { t: performance.now(), images: this.images }; // (before the first step ends, that step still starts it)
  }

  count(images: number, now: number): void {
    this.images += images;
    if (!this.rateMark) {
      this.rateMark = { t: now, images: this.images };
      return;
    }
    const { t } = this.rateMark;
    if (now - t >= 500 || (this.rate === 0 && now - t >= 50)) {
      const inst = ((this.images - this.rateMark.images) * 1000) / (now - t);
      this.rate = this.rate ? 0.6 * this.rate + 0.4 * inst : inst;
      this.rateMark = { t: now, images: this.images };
    }
  }
}

/** A test image's share of a training image's work at the end of an epoch (forward passes only). */
const TEST_IMAGE_WORK = 0.35;

/**
 * A time budget (settings.minutes) as epochs: estimated from the first steps (after one warm-up step),
 * then from the measured epochs; run.json records the estimate as the run's epochs.
 */
class EpochBudget {
  private mark: { t: number; step: number } | null = null;
  private estimated = false;
  /** The end of an epoch also evaluates the test split (forward passes only, ~1/3 of a step's work). */
  private readonly epochOverhead: number;

  constructor(private readonly seconds: number, plan: ImagePlan) {
    this.epochOverhead = 1.05 + (TEST_IMAGE_WORK * plan.test.length) / Math.max(1, plan.train.length);
  }

  /** After a step of the first epoch: an estimate once 5 steps and 0.5 s are measured (or the epoch ends), else null. */
  afterFirstEpochStep(now: number, step: number, lastOfEpoch: boolean, stepsPerEpoch: number): number | null {
    if (this.estimated) return null;
    if (!this.mark) {
      this.mark = { t: now, step };
      return null;
    }
    if ((step - this.mark.step >= 5 && now - this.mark.t >= 500) || lastOfEpoch) {
      this.estimated = true; // the epochs' own times refine it
      const secondsPerStep = (now - this.mark.t) / 1000 / (step - this.mark.step);
      return epochsForBudget(this.seconds, secondsPerStep * stepsPerEpoch * this.epochOverhead, 1);
    }
    return null;
  }

  afterEpoch(secondsPerEpoch: number, done: number): number {
    return epochsForBudget(this.seconds, secondsPerEpoch, done);
  }
}

/** The epochs of one job: Adam steps, progress, end-of-epoch tests, checkpoints, snapshots. */
class TrainingLoop {
  private readonly clock: TrainingClock;
  private readonly budget: EpochBudget | null;
  private lastProgress = 0;
  /** The last batch's floats, refilled by the next step's (pixelsToFloats) */
  private batchBuffer: Float32Array | undefined;
  private lastRecon = 0;

  constructor(
    private readonly job: Job,
    private readonly model: VaeModel,
    private readonly position: Position,
    private readonly runFile: RunFile,
    private readonly plan: ImagePlan,
    private readonly stepper: Stepper,
    private readonly threadsNote: string | undefined,
    /** fair-vae: the plain VAE trained beside it on the same batches */
    private readonly reference: VaeModel | null = null,
  ) {
    this.clock = new TrainingClock(position);
    this.budget = job.settings.minutes !== undefined ? new EpochBudget(job.settings.minutes * 60, plan) : null;
  }

  private get epochs(): number {
    return this.job.settings.epochs;
  }

  private set epochs(epochs: number) {
    this.job.settings.epochs = epochs;
  }

  async run(): Promise<RunSummary> {
    while (this.position.epoch < this.epochs) {
      const epoch = this.position.epoch + 1;
      const ended = await this.trainEpoch(epoch);
      if (ended) return ended;
      await this.endEpoch(epoch);
    }
    await this.finishRunFile('done');
    this.job.state = 'done';
    return this.summary('done');
  }

  /** The steps left in this epoch; a summary if the job stopped or diverged, else null. */
  private async trainEpoch(epoch: number): Promise<RunSummary | null> {
    const { job, position, plan } = this;
    const { settings } = job;
    const { size, channels, pixels } = job.ds.images;
    const B = settings.batchSize;
    const perm = shuffled(plan.train, settings.seed * 7919 + epoch);
    for (let s = position.stepInEpoch; s < plan.stepsPerEpoch; s++) {
      if (job.state === 'paused') {
        this.clock.bank();
        await job.untilWoken();
        this.clock.restart();
      }
      if (job.state === 'stopping') {
        await this.persist('stopped');
        job.state = 'done';
        return this.summary('stopped');
      }
      const batch = perm.slice(s * B, (s + 1) * B);
      const rand = mulberry32(hashSeed(settings.seed, position.step));
      for (let k = 0; k < plan.extraLabelled; k++) batch.push(plan.labelledTrain[Math.floor(rand() * plan.labelledTrain.length)]);
      // uint8 pixels -> this batch's floats only; never a float copy of the whole set
      // into the previous step's array: every stepper is done with x when its step resolves
      const x = pixelsToFloats(pixels, batch, size, channels, job.ds.options.binarize, rand, this.batchBuffer);
      this.batchBuffer = x;
      const batchLabels = Int32Array.from(batch, (i) => plan.labels[i]);
      const stepSeed = hashSeed(settings.seed + 1, position.step);
      const priv = plan.priv ? Int32Array.from(batch, (i) => plan.priv!.values[i]) : undefined;
      const r = await this.stepper.step(x, [batch.length, size, size, channels], batchLabels, stepSeed, priv);
      if (!Number.isFinite(r.loss)) return await this.diverged(r.loss, epoch, s);
      if (this.reference) {
        const t = tf.tensor4d(x, [batch.length, size, size, channels]);
        try {
          await this.reference.trainStep(t, undefined, stepSeed);
        } finally {
          t.dispose();
        }
      }
      const n = batch.length;
      position.sums.images += n;
      position.sums.loss += r.loss * n;
      position.sums.recon += r.recon * n;
      position.sums.kl += r.kl * n;
      position.step++;
      position.stepInEpoch = s + 1;

      const now = performance.now();
      this.clock.count(n, now);
      if (this.budget && position.epoch === 0) {
        const estimate = this.budget.afterFirstEpochStep(now, position.step, s === plan.stepsPerEpoch - 1, plan.stepsPerEpoch);
        if (estimate !== null) this.epochs = estimate;
      }
      const tenth = Math.max(1, Math.floor(plan.stepsPerEpoch / PROGRESS_PER_EPOCH));
      const due = now - this.lastProgress >= PROGRESS_MS || ((s + 1) % tenth === 0 && now - this.lastProgress >= PROGRESS_MIN_MS);
      if (job.hooks.onProgress && (due || s === plan.stepsPerEpoch - 1)) {
        this.lastProgress = now;
        this.reportProgress(r, epoch, s);
      }
      if (now - this.lastRecon >= RECON_MS) {
        this.lastRecon = now;
        await this.emitReconstructions();
      }
      // Let the engine answer other requests between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return null;
  }

  private reportProgress(r: { loss: number; recon: number; kl: number; klPerDim: number[] }, epoch: number, s: number): void {
    const { plan, position, job } = this;
    // training images left, and the test passes at the ends of the epochs left
    const remaining = (plan.stepsPerEpoch - s - 1) * job.settings.batchSize + (this.epochs - epoch) * plan.train.length + (this.epochs - epoch + 1) * TEST_IMAGE_WORK * plan.test.length;
    const rate = this.clock.rate;
    job.hooks.onProgress!({
      runDir: job.runDir,
      step: position.step,
      epoch,
      epochs: this.epochs,
      stepInEpoch: s + 1,
      stepsPerEpoch: plan.stepsPerEpoch,
      loss: r.loss,
      recon: r.recon,
      kl: r.kl,
      klPerDim: r.klPerDim,
      samplesPerSec: rate,
      etaSec: rate > 0 ? remaining / rate : NaN,
      threads: this.stepper.threads,
      threadsNote: this.threadsNote,
    });
  }

  /** End of epoch: test ELBO (and accuracy), history, checkpoint, model, snapshot. */
  private async endEpoch(epoch: number): Promise<void> {
    const { job, model, position, plan } = this;
    // After the last epoch the style axes turn to follow the pixel measures (style-axes.ts), before the
    // final test, so the figures recorded are those of the model saved.
    if (epoch === this.epochs && job.config.objective === 'ssvae' && job.config.classCode === 'prototype') {
      const aligned = await alignStyleAxes(model, job.ds.images, plan.train, job.ds.options.binarize);
      if (aligned) this.runFile.styleAxes = aligned.axes;
    }
    // the denoising autoencoder's codes are set to mean 0, sd 1 over training images, so the views' ±sd sweeps fit them
    if (job.config.objective === 'dae') {
      const sample = plan.train.slice(0, 2000);
      const { size, channels, pixels } = job.ds.images;
      const x = pixelsToTensor(pixels, sample, size, channels, inferenceBinarize(job.ds.options.binarize));
      model.standardizeCodes(x);
      x.dispose();
    }
    const aux = job.config.objective === 'ivae' ? plan.labels : plan.priv?.values;
    const evalImages = plan.test.length ? plan.test : plan.train.slice(0, 1000);
    const test = await evaluateSplit(model, job.ds, evalImages, EVAL_SEED, aux);
    const privacy = await this.privacyFigures(epoch, evalImages);
    const record: EpochRecord = {
      epoch,
      step: position.step,
      trainLoss: position.sums.loss / position.sums.images,
      trainRecon: position.sums.recon / position.sums.images,
      trainKl: position.sums.kl / position.sums.images,
      testLoss: plan.test.length ? test.negElbo : null,
      testKlPerDim: test.klPerDim,
      testAccuracy: test.accuracy,
      ...(privacy ? { privateAuc: privacy.auc, referenceAuc: privacy.referenceAuc, referenceTestLoss: privacy.referenceTestLoss } : {}),
      seconds: this.clock.elapsed(),
    };
    if (privacy) this.runFile.privacy = privacy;
    position.history.push(record);
    position.epoch = epoch;
    if (this.budget) this.epochs = this.budget.afterEpoch(record.seconds / epoch, epoch);
    position.stepInEpoch = 0;
    position.sums = { images: 0, loss: 0, recon: 0, kl: 0 };
    if (isSnapshotEpoch(epoch)) {
      await writeDirAtomic(snapshotDir(job.runDir, epoch), (tmp) => saveNetworks(model, tmp));
      position.snapshots.push(epoch);
    }
    await this.persist(epoch === this.epochs ? 'done' : 'running');
    job.hooks.onEpoch?.({ runDir: job.runDir, epoch, trainLoss: record.trainLoss, testLoss: record.testLoss ?? NaN, testAccuracy: record.testAccuracy, ...(privacy ? { privacy } : {}) });
    this.lastRecon = performance.now();
    await this.emitReconstructions();
  }

  /** fair-vae: the probe's AUC for the model and for the plain VAE reference, and the reference's test −ELBO. */
  private async privacyFigures(epoch: number, evalImages: number[]): Promise<PrivacyFigures | null> {
    const { job, model, plan, reference } = this;
    if (!plan.priv) return null;
    const probe = await measurePrivacy(model, job.ds, plan.priv.values, plan.priv.count);
    const figures: PrivacyFigures = { attribute: job.settings.private ?? 'label', values: plan.priv.names, auc: probe.auc, dims: probe.dims, train: probe.train, test: probe.test, epoch };
    if (reference) {
      figures.referenceAuc = (await measurePrivacy(reference, job.ds, plan.priv.values, plan.priv.count)).auc;
      figures.referenceTestLoss = plan.test.length ? (await evaluateSplit(reference, job.ds, evalImages, EVAL_SEED)).negElbo : null;
    }
    return figures;
  }

  private async emitReconstructions(): Promise<void> {
    const { job, model, plan } = this;
    if (!job.hooks.onReconstructions) return;
    const { size, channels } = job.ds.images;
    const [train, test] = [await reconstructionPairs(model, job.ds, plan.reconTrain), await reconstructionPairs(model, job.ds, plan.reconTest)];
    job.hooks.onReconstructions({ runDir: job.runDir, size, channels, count: plan.reconTrain.length, train, test });
  }

  private summary(status: RunSummary['status'], message?: string): RunSummary {
    const { position } = this;
    const last = position.history[position.history.length - 1];
    return {
      runDir: this.job.runDir,
      status,
      epochs: position.epoch,
      step: position.step,
      trainLoss: last?.trainLoss ?? null,
      testLoss: last?.testLoss ?? null,
      testAccuracy: last?.testAccuracy,
      seconds: this.clock.elapsed(),
      samplesPerSec: this.clock.rate,
      message,
      ...(this.runFile.privacy ? { privacy: this.runFile.privacy } : {}),
    };
  }

  private async finishRunFile(status: RunStatus, message?: string): Promise<void> {
    const { runFile, position, model, job } = this;
    runFile.status = status;
    runFile.message = message;
    runFile.history = position.history;
    runFile.snapshots = position.snapshots;
    runFile.modelEpoch = position.epoch + position.stepInEpoch / this.plan.stepsPerEpoch;
    runFile.pixelLogVar = await model.pixelLogVarValue();
    runFile.settings = { ...job.settings };
    runFile.model = job.config;
    await saveRunFile(job.runDir, runFile);
  }

  /** Checkpoint + the run's encoder/ decoder/ (+ classifier/) + run.json, each written atomically. */
  private async persist(status: RunStatus): Promise<void> {
    this.clock.bank();
    await this.stepper.beforeCheckpoint?.();
    await saveCheckpoint(this.job.runDir, this.model, { ...this.position, pixelLogVar: await this.model.pixelLogVarValue() });
    await saveNetworks(this.model, this.job.runDir, { atomically: true });
    if (this.reference) {
      // the reference's own checkpoint (networks + Adam), and its networks for eval
      const dir = referenceDir(this.job.runDir);
      await saveCheckpoint(dir, this.reference, { ...this.position, pixelLogVar: await this.reference.pixelLogVarValue() });
      await saveNetworks(this.reference, dir, { atomically: true });
      this.runFile.reference = { model: this.reference.config, pixelLogVar: await this.reference.pixelLogVarValue() };
    }
    await this.finishRunFile(status);
  }

  /** NaN guard: stop, put the last good checkpoint back in place, and say what to change. */
  private async diverged(loss: number, epoch: number, stepInEpoch: number): Promise<RunSummary> {
    const { job, position } = this;
    const restored = await loadCheckpoint(job.runDir, job.config);
    let where: string;
    if (restored) {
      // The checkpoint is the last good state: make the run's encoder/ decoder/ match it again.
      await saveNetworks(restored.model, job.runDir, { atomically: true });
      Object.assign(position, restored.state);
      restored.model.dispose();
      const at = position.epoch + position.stepInEpoch / Math.max(1, this.plan.stepsPerEpoch);
      where = `the run was restored to its last good checkpoint (epoch ${Number(at.toFixed(2))}).`;
    } else {
      where = 'no epoch had finished, so there is no checkpoint to restore.';
    }
    const { lr, beta } = job.settings;
    const message =
      `The loss became ${Number.isNaN(loss) ? 'NaN' : 'infinite'} at epoch ${epoch}, step ${stepInEpoch + 1}; training stopped and ${where} ` +
      `Lower the learning rate (e.g. ${lr / 10} instead of ${lr}) and resume${beta && beta > 10 ? ', or use a smaller beta' : ''}.`;
    await this.finishRunFile('diverged', message);
    this.runFile.message = message;
    job.state = 'failed';
    return this.summary('diverged', message);
  }
}

/** fair-vae: where the plain VAE reference trained beside the run lives. */
export function referenceDir(runDir: string): string {
  return join(runDir, 'reference');
}

/** Stored images and their reconstructions through the posterior means, uint8 HWC (the live training view's pairs). */
async function reconstructionPairs(model: VaeModel, ds: Dataset, idx: number[]): Promise<{ input: Uint8Array; output: Uint8Array }> {
  const { size, channels, pixels } = ds.images;
  const x = pixelsToTensor(pixels, idx, size, channels, inferenceBinarize(ds.options.binarize));
  let y: tf.Tensor | null = null;
  try {
    y = model.reconstruct(x);
    return { input: await tensorToPixels(x), output: await tensorToPixels(y) };
  } finally {
    tf.dispose(y ? [x, y] : [x]);
  }
}

/** −ELBO (positive nats per image), KL per dimension and class accuracy on the given images. */
export async function evaluateSplit(model: VaeModel, ds: Dataset, indices: number[], seed: number, aux?: Int32Array): Promise<{ negElbo: number; klPerDim: number[]; accuracy?: number }> {
  const { size, channels, pixels, labels } = ds.images;
  const binarize = ds.options.binarize;
  const rand = mulberry32(seed);
  let sum = 0;
  const kl = new Float64Array(model.config.latent);
  let correct = 0;
  let labelled = 0;
  const chunk = evalChunk(size * size * channels);
  for (let start = 0, c = 0; start < indices.length; start += chunk, c++) {
    const idx = indices.slice(start, start + chunk);
    const x = pixelsToTensor(pixels, idx, size, channels, binarize, rand);
    const r = await model.evaluate(x, seed + c, aux ? Int32Array.from(idx, (i) => aux[i]) : undefined);
    x.dispose();
    for (const v of r.negElbo) sum += v;
    r.klPerDimSum.forEach((v, d) => (kl[d] += v));
    if (r.predictions) {
      idx.forEach((i, k) => {
        if (labels[i] >= 0) {
          labelled++;
          if (r.predictions![k] === labels[i]) correct++;
        }
      });
    }
  }
  const n = Math.max(1, indices.length);
  return {
    negElbo: sum / n,
    klPerDim: Array.from(kl, (v) => v / n),
    accuracy: model.classifier && labelled ? correct / labelled : undefined,
  };
}

function shuffled(items: number[], seed: number): number[] {
  const out = items.slice();
  const rand = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function pickFixed(items: number[], count: number, seed: number): number[] {
  return shuffled(items, seed ^ 0xabcdef).slice(0, count).sort((a, b) => a - b);
}

/** A per-step seed from (run seed, global step): resuming at step s draws the same numbers. */
function hashSeed(seed: number, step: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) % 2147483647;
}

