// A run on disk: run.json (config, dataset, history, names, versions) next to encoder/ and decoder/
// in the standard TF.js layers format. Reading a run never crashes on bad files: it names the file and the reason.
import type { StyleAxis } from './style-axes.ts';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../../models/config.ts';
import { hasClassPart, validateModelConfig } from '../../../models/config.ts';
import { buildNetworks } from '../../../models/architectures.ts';
import { loadModelFromDir, ModelFileError, resolveDir, writeFileAtomic } from '../../../models/io.ts';
import { VaeModel } from '../../../models/vae.ts';
import type { BinarizeMode } from '../../../models/pixels.ts';
import { inferenceBinarize, pixelsToTensor, tensorToPixels } from '../../../models/pixels.ts';
import { UserError } from '../../contract/errors.ts';
import type { PreprocessOptions } from '../datasets/types.ts';
import type { TrainSettings } from './settings.ts';
import type { PrivacyFigures } from '../../contract/training.ts';

export const RUN_FORMAT = 'latent-explorer-run';
export const RUN_FORMAT_VERSION = 1;

export interface EpochRecord {
  epoch: number;
  step: number;
  /** mean training objective over the epoch, nats per image */
  trainLoss: number;
  trainRecon: number;
  trainKl: number;
  /** −ELBO on the test split, positive nats per image (NaN → null when there is no test split) */
  testLoss: number | null;
  /** test KL per dimension, nats */
  testKlPerDim: number[];
  testAccuracy?: number;
  /** fair-vae: probe AUC of s from z^X on the test split, and the plain VAE reference's AUC and test −ELBO */
  privateAuc?: number | null;
  referenceAuc?: number | null;
  referenceTestLoss?: number | null;
  /** wall-clock seconds of training so far */
  seconds: number;
}

/** 'interrupted': the trainer died (a crash, kill -9) and the engine found the run still marked running; resumable. */
export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'diverged' | 'failed' | 'interrupted';

export interface RunFile {
  format: typeof RUN_FORMAT;
  formatVersion: number;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  /** Why the run ended the way it did (NaN guard, errors), for the user. */
  message?: string;
  settings: TrainSettings;
  model: ModelConfig;
  /** The model in encoder/ decoder/ was saved after this many epochs (fractional when stopped mid-epoch). */
  modelEpoch: number;
  dataset: {
    ref: string;
    options: PreprocessOptions;
    size: number;
    channels: 1 | 3;
    classNames: string[];
    images: number;
    train: number;
    test: number;
    /** labelled training images actually used */
    labelledTrain: number;
  };
  dimensionNames: string[];
  history: EpochRecord[];
  /** Epochs with a model snapshot in snapshots/epoch-NNNN/. */
  snapshots: number[];
  /** Gaussian likelihood: learned pixel log-variance (not part of the TF.js decoder). */
  /** ssvae: the style axes turned to follow pixel measures at the end of training (training/style-axes.ts). */
  styleAxes?: StyleAxis[];
  pixelLogVar?: number;
  /** What the decoder outputs: logits (pixel means are sigmoid(logits)), or the pixel means themselves (PPCA, FA: W z + μ). */
  decoderOutput: 'logits' | 'mean';
  /** PPCA and FA: the noise variances Ψ (one σ² for PPCA), EM iterations, and the exact log p(x), nats per image. */
  linearGaussian?: { noiseVariance: number[]; iterations: number; trainLogLikelihood: number; testLogLikelihood: number | null };
  /** fair-vae: how predictable s is from z^X after the last epoch, beside the plain VAE reference (reference/ holds it). */
  privacy?: PrivacyFigures;
  /** fair-vae: the plain VAE trained beside it with the same settings and batches, in reference/. */
  reference?: { model: ModelConfig; pixelLogVar?: number };
  versions: { app: string; tfjs: string; backend: string; node: string };
  /**
   * The threads the run's latest session took, which may be fewer than settings.threads asked for (cores,
   * memory, the objective): with the seed they repeat the run (data-parallel threads and passes decide the
   * floating-point sums; native kernel threads too where a thin product splits its depth, as the conv VAE's
   * first filter gradients do; the MLP VAE's fused step gives the same bits on any number).
   */
  threadsTaken?: { threads: number; route: 'one thread' | 'native kernels' | 'data-parallel'; imagesPerPass?: number; note?: string };
}

/** A run that cannot be opened; the message names the file and the reason. */
export class RunLoadError extends UserError {
  override name = 'RunLoadError';
}

export function runJsonPath(runDir: string): string {
  return join(runDir, 'run.json');
}

export async function writeRunFile(runDir: string, run: RunFile): Promise<void> {
  run.updatedAt = new Date().toISOString();
  await writeFileAtomic(runJsonPath(runDir), JSON.stringify(run, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
}

/** One read-modify-write of run.json at a time per run folder in this process (training and renaming). */
const runFileQueues = new Map<string, Promise<unknown>>();

/**
 * Reads run.json (null when there is none yet), lets `change` build the new content from it, and
 * writes that atomically — serialised per run folder, so concurrent updates never undo each other.
 */
export function updateRunFile(runDir: string, change: (current: RunFile | null) => RunFile): Promise<RunFile> {
  const previous = runFileQueues.get(runDir) ?? Promise.resolve();
  const next = previous
    .catch(() => {})
    .then(async () => {
      const current = existsSync(runJsonPath(runDir)) ? readRunFile(runDir) : null;
      const run = change(current);
      await writeRunFile(runDir, run);
      return run;
    });
  runFileQueues.set(runDir, next);
  void next.finally(() => {
    if (runFileQueues.get(runDir) === next) runFileQueues.delete(runDir);
  }).catch(() => {});
  return next;
}

export function readRunFile(runDir: string): RunFile {
  const file = runJsonPath(runDir);
  if (!existsSync(runDir)) throw new RunLoadError(`${runDir}: no such run folder`);
  if (!existsSync(file)) throw new RunLoadError(`${file}: missing (not a run folder, or the run never finished its first epoch)`);
  let run: RunFile;
  try {
    run = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RunLoadError(`${file}: corrupt, not valid JSON (${(e as Error).message})`);
  }
  if (!run || typeof run !== 'object' || run.format !== RUN_FORMAT) throw new RunLoadError(`${file}: not a Latent Explorer run (format field missing)`);
  if (run.formatVersion > RUN_FORMAT_VERSION) throw new RunLoadError(`${file}: made by a newer version (format ${run.formatVersion}); update the app`);
  for (const key of ['model', 'dataset', 'settings', 'history', 'dimensionNames'] as const)
    if (run[key] === undefined || run[key] === null) throw new RunLoadError(`${file}: corrupt, the '${key}' field is missing`);
  try {
    validateModelConfig(run.model);
  } catch (e) {
    throw new RunLoadError(`${file}: corrupt, ${(e as Error).message}`);
  }
  return run;
}

/** Load the networks saved in `dir` (a run folder, a checkpoint or a snapshot) as a VaeModel. */
export async function loadNetworks(dir: string, config: ModelConfig, pixelLogVar?: number): Promise<VaeModel> {
  const load = async (name: string) => {
    try {
      return await loadModelFromDir(resolveDir(join(dir, name)));
    } catch (e) {
      if (e instanceof ModelFileError) throw new RunLoadError(e.message);
      throw e;
    }
  };
  const encoder = await load('encoder');
  const decoder = await load('decoder');
  const classifier = hasClassPart(config) ? await load('classifier') : undefined;
  const prior = config.objective === 'ivae' ? await load('prior') : undefined;
  const adversary = config.objective === 'fair-vae' && config.fair!.penalty === 'adversary' && existsSync(join(dir, 'adversary')) ? await load('adversary') : undefined;
  const checks: Array<[string, boolean]> = [
    [`${join(dir, 'encoder')}: input shape does not match run.json`, JSON.stringify(encoder.inputs[0].shape.slice(1)) === JSON.stringify([config.imageSize, config.imageSize, config.channels])],
    [`${join(dir, 'encoder')}: latent size does not match run.json`, encoder.outputs.length === 2 && encoder.outputs[0].shape[1] === config.latent],
    [`${join(dir, 'decoder')}: latent size does not match run.json`, decoder.inputs[0].shape[1] === config.latent],
  ];
  for (const [message, ok] of checks) {
    if (!ok) {
      encoder.dispose();
      decoder.dispose();
      classifier?.dispose();
      prior?.dispose();
      adversary?.dispose();
      throw new RunLoadError(message);
    }
  }
  return new VaeModel(config, { encoder, decoder, classifier, prior, adversary: adversary ?? fairAdversaryIfNeeded(config) }, pixelLogVar);
}

/**
 * A fair VAE with the adversary penalty saved before its adversary/ folder existed gets a fresh adversary (it
 * only matters for further training: the views never use it).
 */
function fairAdversaryIfNeeded(config: ModelConfig): tf.LayersModel | undefined {
  if (config.objective !== 'fair-vae' || config.fair!.penalty !== 'adversary') return undefined;
  const nets = buildNetworks(config);
  nets.encoder.dispose();
  nets.decoder.dispose();
  nets.classifier?.dispose();
  return nets.adversary;
}

/** A trained run opened for the explorer views: encode images, decode latent codes, reconstruct. */
export class LoadedRun {
  constructor(
    readonly dir: string,
    readonly run: RunFile,
    readonly model: VaeModel,
    /** the snapshot epoch loaded, or null for the final model */
    readonly snapshot: number | null,
  ) {}

  get latent(): number {
    return this.run.model.latent;
  }

  private binarize(): BinarizeMode {
    return inferenceBinarize(this.run.dataset.options.binarize);
  }

  private toTensor(pixels: Uint8Array, count: number): tf.Tensor4D {
    const { size, channels } = this.run.dataset;
    if (pixels.length !== count * size * size * channels)
      throw new Error(`expected ${count} images of ${size}x${size}x${channels} pixels (${count * size * size * channels} bytes), got ${pixels.length}`);
    return pixelsToTensor(pixels, Array.from({ length: count }, (_, i) => i), size, channels, this.binarize());
  }

  /**
   * Posterior means and log-variances, row-major [count, latent], preprocessed as in training. Works in chunks.
   * priv: a fair VAE's private attribute per image (absent: unknown, as for any image from outside the dataset).
   */
  async encode(pixels: Uint8Array, count: number, chunk = 1000, priv?: Int32Array): Promise<{ means: Float32Array; logVars: Float32Array }> {
    const { size, channels } = this.run.dataset;
    const per = size * size * channels;
    const l = this.latent;
    const means = new Float32Array(count * l);
    const logVars = new Float32Array(count * l);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const x = this.toTensor(pixels.subarray(start * per, (start + n) * per), n);
      try {
        const codes = await this.model.encodeValues(x, priv?.subarray(start, start + n));
        means.set(codes.means, start * l);
        logVars.set(codes.logVars, start * l);
      } finally {
        x.dispose();
      }
    }
    return { means, logVars };
  }

  /**
   * Images (uint8 HWC) for latent codes z, row-major [count, latent]. priv: a fair VAE's s per code for
   * p(x | z, s); absent: the mixture over s with the training frequencies.
   */
  async decode(z: Float32Array, count: number, priv?: Int32Array): Promise<Uint8Array> {
    if (z.length !== count * this.latent) throw new Error(`expected ${count} codes of ${this.latent} dimensions, got ${z.length} numbers`);
    // Pixels are read outside tf.tidy: tidy would walk every element of a returned typed array.
    const images = tf.tidy(() => this.model.decode(tf.tensor2d(z, [count, this.latent]), priv));
    try {
      return await tensorToPixels(images);
    } finally {
      images.dispose();
    }
  }

  /** Reconstructions through the posterior means, uint8 HWC (a fair VAE's with each image's s, when given). */
  async reconstruct(pixels: Uint8Array, count: number, priv?: Int32Array): Promise<Uint8Array> {
    const images = tf.tidy(() => this.model.reconstruct(this.toTensor(pixels, count), priv));
    try {
      return await tensorToPixels(images);
    } finally {
      images.dispose();
    }
  }

  /** ssvae: class probabilities row-major [count, classes]. */
  async classify(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const probabilities = tf.tidy(() => this.model.classify(this.toTensor(pixels, count)));
    try {
      return (await probabilities.data()) as Float32Array;
    } finally {
      probabilities.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Opens a run folder (or one of its snapshots). Missing or corrupt files give a RunLoadError naming the file.
 */
export async function loadRun(runDir: string, opts: { snapshot?: number } = {}): Promise<LoadedRun> {
  const run = readRunFile(runDir);
  let dir = runDir;
  if (opts.snapshot !== undefined) {
    dir = snapshotDir(runDir, opts.snapshot);
    if (!existsSync(dir)) throw new RunLoadError(`${dir}: no snapshot for epoch ${opts.snapshot} (have ${run.snapshots.join(', ') || 'none'})`);
  }
  const model = await loadNetworks(dir, run.model, run.pixelLogVar);
  return new LoadedRun(runDir, run, model, opts.snapshot ?? null);
}

export function snapshotDir(runDir: string, epoch: number): string {
  return join(runDir, 'snapshots', `epoch-${String(epoch).padStart(4, '0')}`);
}

/** Rename latent dimensions (the views let the user name them); rewrites run.json atomically. */
export async function setDimensionNames(runDir: string, names: string[]): Promise<RunFile> {
  readRunFile(runDir); // a missing or corrupt run.json is reported as such
  return updateRunFile(runDir, (run) => {
    if (!run) throw new RunLoadError(`${runJsonPath(runDir)}: missing`);
    if (names.length !== run.model.latent) throw new RunLoadError(`${runJsonPath(runDir)}: expected ${run.model.latent} dimension names, got ${names.length}`);
    return { ...run, dimensionNames: names.map(String) };
  });
}
