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
import { createStepper, type Stepper } from './parallel/stepper.ts';
import { trainingThreads } from './parallel/threads.ts';
import { saveModelToDir, writeDirAtomic } from '../../../models/io.ts';
import type { TrainSettings } from './settings.ts';
import { epochsForBudget } from './propose.ts';
import { checkSettings, defaultDimensionNames, keepBalancedLabels, modelConfigFor, SettingsError } from './settings.ts';
import type { EpochRecord, RunFile, RunStatus } from './run-file.ts';
import { readRunFile, runJsonPath, RUN_FORMAT, RUN_FORMAT_VERSION, snapshotDir, updateRunFile } from './run-file.ts';
import type { CheckpointState, EpochSums } from './checkpoint.ts';
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
const RECON_MS = 1000;
const RECON_COUNT = 8;
const EVAL_CHUNK = 500;
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
const FIXED_ON_RESUME = ['model', 'arch', 'latent', 'style', 'beta', 'labels', 'batchSize', 'seed', 'samples', 'hidden', 'classWeight', 'likelihood'] as const;

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

class Job implements TrainingJob {
  state: JobState = 'running';
  done!: Promise<RunSummary>;
  private wake: (() => void) | null = null;
  private readonly config: ModelConfig;
  /** Computes the steps: on this thread, or data-parallel on worker threads too. */
  private stepper: Stepper | null = null;
  private threadsNote: string | undefined;

  constructor(
    private readonly ds: Dataset,
    private readonly settings: TrainSettings,
    private readonly runDir: string,
    private readonly hooks: TrainHooks,
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

  async run(): Promise<RunSummary> {
    let model: VaeModel | null = null;
    let runFile: RunFile | null = null;
    try {
      await mkdir(this.runDir, { recursive: true });
      const restored = this.hooks.resume ? await loadCheckpoint(this.runDir, this.config) : null;
      model = restored?.model ?? VaeModel.create(this.config);
      const state: Omit<CheckpointState, 'optimizer' | 'savedAt'> = restored?.state ?? {
        epoch: 0,
        stepInEpoch: 0,
        step: 0,
        sums: { images: 0, loss: 0, recon: 0, kl: 0 },
        history: [],
        snapshots: [],
        seconds: 0,
      };
      runFile = this.newRunFile(model, state);
      if (this.hooks.resume && existsSync(runJsonPath(this.runDir))) {
        const saved = readRunFile(this.runDir);
        runFile.createdAt = saved.createdAt;
        runFile.dimensionNames = saved.dimensionNames.length === this.config.latent ? saved.dimensionNames : runFile.dimensionNames;
      }
      await saveRunFile(this.runDir, runFile);
      const threads = trainingThreads(this.settings.threads, this.config, tf.getBackend(), this.settings.batchSize);
      this.stepper = await createStepper(model, threads.threads);
      this.threadsNote = this.stepper.note ?? threads.note;
      return await this.loop(model, state, runFile);
    } catch (e) {
      this.state = 'failed';
      if (runFile) {
        runFile.status = 'failed';
        runFile.message = (e as Error).message;
        await saveRunFile(this.runDir, runFile).catch(() => {});
      }
      throw e;
    } finally {
      await this.stepper?.dispose();
      model?.dispose();
      this.releaseLock();
    }
  }

  private newRunFile(model: VaeModel, state: Omit<CheckpointState, 'optimizer' | 'savedAt'>): RunFile {
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
      modelEpoch: state.epoch + state.stepInEpoch / this.stepsPerEpoch(),
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
      history: state.history,
      snapshots: state.snapshots,
      pixelLogVar: model.pixelLogVarValue(),
      decoderOutput: 'logits',
      versions: { app: appVersion(), tfjs: tf.version.tfjs, backend: tf.getBackend(), node: process.versions.node },
    };
  }

  private trainIndices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ds.images.count; i++) if (this.ds.images.split[i] === 0) out.push(i);
    return out;
  }

  private stepsPerEpoch(): number {
    return Math.ceil(this.trainIndices().length / this.settings.batchSize);
  }

  private async loop(model: VaeModel, state: Omit<CheckpointState, 'optimizer' | 'savedAt'>, runFile: RunFile): Promise<RunSummary> {
    const { ds, settings, runDir, hooks } = this;
    const { size, channels, pixels } = ds.images;
    const binarize = ds.options.binarize;
    const B = settings.batchSize;
    const trainIdx = this.trainIndices();
    const testIdx: number[] = [];
    for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 1) testIdx.push(i);
    const labels = keepBalancedLabels(ds, settings.labels, settings.seed);
    const labelledTrain = trainIdx.filter((i) => labels[i] >= 0);
    // Semi-supervised with few labels: add labelled images to every batch, or the class head would see
    // one labelled image every few batches (Kingma et al. 2014 mix labelled and unlabelled data the same way).
    const extraLabelled = this.config.objective === 'ssvae' && labelledTrain.length < trainIdx.length / 4 ? Math.max(1, Math.round(B / 4)) : 0;
    const stepsPerEpoch = Math.ceil(trainIdx.length / B);
    let epochs = settings.epochs;
    // A time budget (settings.minutes): epochs estimated from the first steps (after one warm-up step),
    // then from the measured epochs; run.json records the estimate as the run's epochs.
    const budgetSec = settings.minutes !== undefined ? settings.minutes * 60 : null;
    // The end of an epoch also evaluates the test split (forward passes only, ~1/3 of a step's work).
    const epochOverhead = 1.05 + (0.35 * testIdx.length) / Math.max(1, trainIdx.length);
    let budgetMark: { t: number; step: number } | null = null;
    let budgetEstimated = false;
    const budgetEpochs = (secondsPerEpoch: number, done: number) => {
      epochs = epochsForBudget(budgetSec!, secondsPerEpoch, done);
      settings.epochs = epochs;
    };
    const reconTrain = pickFixed(trainIdx, RECON_COUNT, settings.seed);
    const reconTest = testIdx.length ? pickFixed(testIdx, RECON_COUNT, settings.seed) : reconTrain;

    let lastProgress = 0;
    let lastRecon = 0;
    let rate = 0;
    let rateMark = { t: performance.now(), images: 0 };
    let imagesSeen = 0;
    let segmentStart = performance.now();
    const elapsed = () => state.seconds + (performance.now() - segmentStart) / 1000;

    const emitReconstructions = () => {
      if (!hooks.onReconstructions) return;
      const make = (idx: number[]) =>
        tf.tidy(() => {
          const x = pixelsToTensor(pixels, idx, size, channels, inferenceBinarize(binarize));
          return { input: tensorToPixels(x), output: tensorToPixels(model.reconstruct(x)) };
        });
      hooks.onReconstructions({ runDir, size, channels, count: reconTrain.length, train: make(reconTrain), test: make(reconTest) });
    };

    const summary = (status: RunSummary['status'], message?: string): RunSummary => {
      const last = state.history[state.history.length - 1];
      return {
        runDir,
        status,
        epochs: state.epoch,
        step: state.step,
        trainLoss: last?.trainLoss ?? null,
        testLoss: last?.testLoss ?? null,
        testAccuracy: last?.testAccuracy,
        seconds: elapsed(),
        samplesPerSec: rate,
        message,
      };
    };

    const finishRunFile = async (status: RunStatus, message?: string) => {
      runFile.status = status;
      runFile.message = message;
      runFile.history = state.history;
      runFile.snapshots = state.snapshots;
      runFile.modelEpoch = state.epoch + state.stepInEpoch / stepsPerEpoch;
      runFile.pixelLogVar = model.pixelLogVarValue();
      runFile.settings = { ...settings };
      runFile.model = this.config;
      await saveRunFile(runDir, runFile);
    };

    /** Checkpoint + the run's encoder/ decoder/ (+ classifier/) + run.json, each written atomically. */
    const persist = async (status: RunStatus) => {
      state.seconds = elapsed();
      segmentStart = performance.now();
      await saveCheckpoint(runDir, model, { ...state, pixelLogVar: model.pixelLogVarValue() });
      for (const [name, net] of [['encoder', model.encoder], ['decoder', model.decoder], ['classifier', model.classifier]] as const) {
        if (net) await writeDirAtomic(join(runDir, name), (tmp) => saveModelToDir(net, tmp));
      }
      await finishRunFile(status);
    };

    while (state.epoch < epochs) {
      const epoch = state.epoch + 1;
      const perm = shuffled(trainIdx, settings.seed * 7919 + epoch);
      for (let s = state.stepInEpoch; s < stepsPerEpoch; s++) {
        if (this.state === 'paused') {
          state.seconds = elapsed();
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          segmentStart = performance.now();
          rateMark = { t: performance.now(), images: imagesSeen };
        }
        if (this.state === 'stopping') {
          await persist('stopped');
          this.state = 'done';
          return summary('stopped');
        }
        const batch = perm.slice(s * B, (s + 1) * B);
        const rand = mulberry32(hashSeed(settings.seed, state.step));
        for (let k = 0; k < extraLabelled; k++) batch.push(labelledTrain[Math.floor(rand() * labelledTrain.length)]);
        // uint8 pixels -> this batch's floats only; never a float copy of the whole set
        const x = pixelsToFloats(pixels, batch, size, channels, binarize, rand);
        const batchLabels = Int32Array.from(batch, (i) => labels[i]);
        const r = await this.stepper!.step(x, [batch.length, size, size, channels], batchLabels, hashSeed(settings.seed + 1, state.step));
        if (!Number.isFinite(r.loss)) return await this.diverged(state, runFile, r.loss, epoch, s, summary, finishRunFile);
        const n = batch.length;
        state.sums.images += n;
        state.sums.loss += r.loss * n;
        state.sums.recon += r.recon * n;
        state.sums.kl += r.kl * n;
        state.step++;
        state.stepInEpoch = s + 1;
        imagesSeen += n;

        const now = performance.now();
        if (budgetSec !== null && state.epoch === 0 && !budgetEstimated) {
          // Measured from after the first step (it includes warm-up), over 5 steps and 0.5 s, or over
          // what the first epoch has when it is shorter.
          const lastOfEpoch = s === stepsPerEpoch - 1;
          if (!budgetMark) budgetMark = { t: now, step: state.step };
          else if ((state.step - budgetMark.step >= 5 && now - budgetMark.t >= 500) || lastOfEpoch) {
            budgetEpochs((((now - budgetMark.t) / 1000 / (state.step - budgetMark.step)) * stepsPerEpoch * epochOverhead), 1);
            budgetEstimated = true; // the epochs' own times refine it
          }
        }
        if (now - rateMark.t >= 500 || (rate === 0 && now - rateMark.t >= 50)) {
          const inst = ((imagesSeen - rateMark.images) * 1000) / (now - rateMark.t);
          rate = rate ? 0.6 * rate + 0.4 * inst : inst;
          rateMark = { t: now, images: imagesSeen };
        }
        if (hooks.onProgress && (now - lastProgress >= PROGRESS_MS || s === stepsPerEpoch - 1)) {
          lastProgress = now;
          const remaining = (stepsPerEpoch - s - 1) * B + (epochs - epoch) * trainIdx.length;
          hooks.onProgress({
            runDir,
            step: state.step,
            epoch,
            epochs,
            stepInEpoch: s + 1,
            stepsPerEpoch,
            loss: r.loss,
            recon: r.recon,
            kl: r.kl,
            klPerDim: r.klPerDim,
            samplesPerSec: rate,
            etaSec: rate > 0 ? remaining / rate : NaN,
            threads: this.stepper!.threads,
            threadsNote: this.threadsNote,
          });
        }
        if (now - lastRecon >= RECON_MS) {
          lastRecon = now;
          emitReconstructions();
        }
        // Let the engine answer other requests between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }

      // After the last epoch the style axes turn to follow the pixel measures (style-axes.ts), before the
      // final test, so the figures recorded are those of the model saved.
      if (epoch === epochs && this.config.objective === 'ssvae' && this.config.classCode === 'prototype') {
        const aligned = alignStyleAxes(model, ds.images, trainIdx, binarize);
        if (aligned) runFile.styleAxes = aligned.axes;
      }
      // End of epoch: test ELBO (and accuracy), history, checkpoint, model, snapshot.
      const test = evaluateSplit(model, ds, testIdx.length ? testIdx : trainIdx.slice(0, 1000), EVAL_SEED);
      const record: EpochRecord = {
        epoch,
        step: state.step,
        trainLoss: state.sums.loss / state.sums.images,
        trainRecon: state.sums.recon / state.sums.images,
        trainKl: state.sums.kl / state.sums.images,
        testLoss: testIdx.length ? test.negElbo : null,
        testKlPerDim: test.klPerDim,
        testAccuracy: test.accuracy,
        seconds: elapsed(),
      };
      state.history.push(record);
      state.epoch = epoch;
      if (budgetSec !== null) budgetEpochs(record.seconds / epoch, epoch);
      state.stepInEpoch = 0;
      state.sums = { images: 0, loss: 0, recon: 0, kl: 0 };
      if (isSnapshotEpoch(epoch)) {
        await writeDirAtomic(snapshotDir(runDir, epoch), (tmp) => saveNetworks(model, tmp));
        state.snapshots.push(epoch);
      }
      await persist(epoch === epochs ? 'done' : 'running');
      hooks.onEpoch?.({ runDir, epoch, trainLoss: record.trainLoss, testLoss: record.testLoss ?? NaN, testAccuracy: record.testAccuracy });
      lastRecon = performance.now();
      emitReconstructions();
    }
    await finishRunFile('done');
    this.state = 'done';
    return summary('done');
  }

  /** NaN guard: stop, put the last good checkpoint back in place, and say what to change. */
  private async diverged(
    state: Omit<CheckpointState, 'optimizer' | 'savedAt'>,
    runFile: RunFile,
    loss: number,
    epoch: number,
    stepInEpoch: number,
    summary: (status: RunSummary['status'], message?: string) => RunSummary,
    finishRunFile: (status: RunStatus, message?: string) => Promise<void>,
  ): Promise<RunSummary> {
    const restored = await loadCheckpoint(this.runDir, this.config);
    let where: string;
    if (restored) {
      // The checkpoint is the last good state: make the run's encoder/ decoder/ match it again.
      for (const [name, net] of [['encoder', restored.model.encoder], ['decoder', restored.model.decoder], ['classifier', restored.model.classifier]] as const)
        if (net) await writeDirAtomic(join(this.runDir, name), (tmp) => saveModelToDir(net, tmp));
      Object.assign(state, restored.state);
      restored.model.dispose();
      const at = state.epoch + state.stepInEpoch / Math.max(1, this.stepsPerEpoch());
      where = `the run was restored to its last good checkpoint (epoch ${Number(at.toFixed(2))}).`;
    } else {
      where = 'no epoch had finished, so there is no checkpoint to restore.';
    }
    const lr = this.settings.lr;
    const message =
      `The loss became ${Number.isNaN(loss) ? 'NaN' : 'infinite'} at epoch ${epoch}, step ${stepInEpoch + 1}; training stopped and ${where} ` +
      `Lower the learning rate (e.g. ${lr / 10} instead of ${lr}) and resume${this.settings.beta && this.settings.beta > 10 ? ', or use a smaller beta' : ''}.`;
    await finishRunFile('diverged', message);
    runFile.message = message;
    this.state = 'failed';
    return summary('diverged', message);
  }
}

/** −ELBO (positive nats per image), KL per dimension and class accuracy on the given images. */
export function evaluateSplit(model: VaeModel, ds: Dataset, indices: number[], seed: number): { negElbo: number; klPerDim: number[]; accuracy?: number } {
  const { size, channels, pixels, labels } = ds.images;
  const binarize = ds.options.binarize;
  const rand = mulberry32(seed);
  let sum = 0;
  const kl = new Float64Array(model.config.latent);
  let correct = 0;
  let labelled = 0;
  for (let start = 0, c = 0; start < indices.length; start += EVAL_CHUNK, c++) {
    const idx = indices.slice(start, start + EVAL_CHUNK);
    const x = pixelsToTensor(pixels, idx, size, channels, binarize, rand);
    const r = model.evaluate(x, seed + c);
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

export type { EpochSums };
