// The training area's wire types: the settings a run is started with, and what a training job reports.
// The engine's training modules fill them (and re-export them); the renderer and the CLI read them.

/** Same as models/config.ts's ClassPrior (the engine checks that they agree). */
export type ClassPrior = 'standard' | 'mixture';

export type ModelKind = 'vae' | 'beta-vae' | 'beta-tcvae' | 'ssvae' | 'iwae' | 'dae' | 'ivae' | 'ppca' | 'fa' | 'fair-vae';

/** p(x|z): Bernoulli for binarised pixels, Gaussian (a density: its −ELBO can be negative) for grey levels and colour. */
export type Likelihood = 'bernoulli' | 'gaussian';

export interface TrainSettings {
  model: ModelKind;
  arch: 'mlp' | 'conv';
  latent: number;
  /** ssvae: style dimensions z^X; the other latent - style dimensions are the class part z^Y. */
  style?: number;
  /** β-VAE: weight of the KL; β-TCVAE: weight of the total correlation. */
  beta?: number;
  /** Keep only this many labels (balanced per class) from the training images. */
  labels?: number;
  epochs: number;
  /**
   * A time budget in minutes: the epochs are estimated from the first training steps and again after
   * every epoch, and `epochs` is replaced by the estimate (run.json records it).
   */
  minutes?: number;
  /** Default: Gaussian for RGB, Bernoulli for grey (what runs made before this setting used). */
  likelihood?: Likelihood;
  batchSize: number;
  lr: number;
  seed: number;
  /** Reparameterisation samples per image (default 1); iwae: K, the samples of the importance-weighted bound (default 5). */
  samples?: number;
  /** dae: the corruption, Gaussian noise or masking (default mask). */
  noise?: 'gaussian' | 'mask';
  /** dae: the noise level, a standard deviation (gaussian) or the share of pixels zeroed (mask; default 0.3). */
  noiseLevel?: number;
  /** ivae: the auxiliary variable u, 'label' or the name of a factor column (numeric factors are cut into 5 quantile bins). */
  aux?: string;
  /**
   * fair-vae: the private attribute s, 'label' or a factor column (a numeric factor with more than two values is
   * split at its training median into two groups). With `style` (or `labels`) the code is split into z^X
   * (style dimensions, cleaned of s) and z^Y (a class part predicting the label).
   */
  private?: string;
  /** fair-vae: what makes s unpredictable from z^X (default mmd, chosen by measurement). */
  fairPenalty?: 'mmd' | 'adversary';
  /** fair-vae: weight of the penalty (default: the penalty's own default). */
  fairWeight?: number;
  /** fair-vae: also train a plain VAE with the same settings beside it, for the probe's reference figure (default true). */
  fairReference?: boolean;
  /** MLP hidden widths, input side first (default [256, 64]). */
  hidden?: number[];
  /** ssvae: weight of log p(y|z^Y) per labelled image (default 400). */
  classWeight?: number;
  /** ssvae: prior on the class part z^Y (default 'mixture'; runs made before it existed used 'standard'). */
  classPrior?: ClassPrior;
  /** ssvae: weight of the shift-consistency term on q(y|x) (default: the model default; runs made before it existed: 0). */
  consistencyWeight?: number;
  /** ssvae: what the decoder sees of the class part (default 'prototype'; runs made before it existed: 'sample'). */
  classCode?: 'sample' | 'prototype';
  /** ssvae 'prototype': weight of the class-leakage penalty on decoded styles (default: the model default). */
  leakageWeight?: number;
  /** ssvae: extra weight on the total correlation of the style part z^X (default: the model default). */
  styleTcWeight?: number;
  /**
   * Threads that compute each step (data-parallel; default LATENT_EXPLORER_THREADS, else the core count).
   * A given seed and thread count repeat a run exactly; other counts match it within float rounding.
   */
  threads?: number;
}

/** What a training proposal looks at: the opened dataset's shape. */
export interface DataShape {
  size: number;
  channels: 1 | 3;
  /** Pixels binarised on import (a threshold or 'dynamic'). */
  binarized: boolean;
  /** Training images. */
  train: number;
  classes: number;
}

/** Settings that fit a dataset, each with a one-line reason (train.propose, and the CLI's defaults). */
export interface TrainProposal {
  settings: Pick<TrainSettings, 'model' | 'arch' | 'latent' | 'likelihood' | 'epochs' | 'batchSize' | 'lr'> & { minutes?: number; style?: number };
  reasons: { arch: string; latent: string; likelihood: string; duration: string; batch: string };
}

export interface TrainProgress {
  runDir: string;
  step: number;
  epoch: number;
  epochs: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  loss: number;
  recon: number;
  kl: number;
  klPerDim: number[];
  samplesPerSec: number;
  etaSec: number;
  /** Threads computing the steps, and why fewer than asked for, if so. */
  threads?: number;
  threadsNote?: string;
}

export interface EpochReport {
  runDir: string;
  epoch: number;
  trainLoss: number;
  /** −ELBO on the test split, positive nats per image */
  testLoss: number;
  testAccuracy?: number;
  /** fair-vae: how predictable s is from z^X, beside the plain VAE trained with it */
  privacy?: PrivacyFigures;
}

/**
 * fair-vae: how predictable the private attribute s is from z^X on held-out images: the ROC AUC (0.5 = no
 * better than chance, 1 = read off exactly) of a logistic regression fitted on the training split's latent means
 * and scored on the test split; with more than two values of s, the macro mean of one-vs-rest AUCs. Beside it the
 * same for a plain VAE trained with the same settings and batches (the run's reference/ folder).
 */
export interface PrivacyFigures {
  /** The private attribute: 'label' or a factor column. */
  attribute: string;
  /** Names of the values of s (a numeric factor split at its median: the two sides). */
  values: string[];
  /** Probe AUC of s from the fair model's z^X (test split). */
  auc: number | null;
  /** The same for the plain VAE reference (its whole code); absent when no reference was trained. */
  referenceAuc?: number | null;
  /** The reference's test −ELBO, nats per image. */
  referenceTestLoss?: number | null;
  /** Code dimensions the probe read (z^X), and the images it was fitted and scored on. */
  dims: number;
  train: number;
  test: number;
  /** After this epoch. */
  epoch: number;
}

export interface Reconstructions {
  runDir: string;
  size: number;
  channels: number;
  count: number;
  train: { input: Uint8Array; output: Uint8Array };
  test: { input: Uint8Array; output: Uint8Array };
}

export interface RunSummary {
  runDir: string;
  /** done: all epochs; stopped: by the user (resumable); diverged: the NaN guard stopped it (resumable with a lower learning rate) */
  status: 'done' | 'stopped' | 'diverged';
  /** completed epochs */
  epochs: number;
  step: number;
  trainLoss: number | null;
  /** −ELBO on the test split after the last completed epoch, positive nats per image */
  testLoss: number | null;
  testAccuracy?: number;
  /** training time, excluding pauses */
  seconds: number;
  samplesPerSec: number;
  message?: string;
  /** fair-vae: the probe's figures after the last completed epoch */
  privacy?: PrivacyFigures;
}


/** 'stopped' runs can be resumed; 'failed' carries a message (the NaN guard's advice, for one). */
export type JobState = 'running' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed' | 'cancelled';
