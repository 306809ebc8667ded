// What defines a model: architecture, likelihood, objective and their weights.
// Stored verbatim in run.json so a run can be rebuilt and understood without the app.

export type Objective = 'vae' | 'beta-vae' | 'beta-tcvae' | 'ssvae' | 'iwae' | 'dae' | 'ivae' | 'ppca' | 'fa' | 'fair-vae';
/** fair-vae: how s is made unpredictable from z^X (chosen by measurement: README "Fair VAE"). */
export type FairPenalty = 'mmd' | 'adversary';
/** Linear Gaussian models fitted in closed form / by EM (models/linear-gaussian.ts), not by gradient steps. */
export const LINEAR_OBJECTIVES: readonly Objective[] = ['ppca', 'fa'];
/** The denoising autoencoder's corruption: Gaussian noise of standard deviation `level`, or each pixel zeroed with probability `level`. */
export interface NoiseConfig {
  kind: 'gaussian' | 'mask';
  level: number;
}
export type Architecture = 'mlp' | 'conv';
export type Likelihood = 'bernoulli' | 'gaussian';
/**
 * ssvae prior on the class part z^Y. 'standard': N(0, I), labels only train the class head (the first
 * version; runs without the field use it). 'mixture': p(z^Y | y) = N(μ_y, I) with learned means and
 * p(y) uniform, so p(z^Y) is a mixture over the classes (the conditional prior p(z|u) of the iVAE lecture,
 * GMM-VAE / VaDE); unlabelled images get y as a latent with q(y|x) = the posterior responsibilities
 * (M2's bound), and the class head is exactly those responsibilities.
 */
export type ClassPrior = 'standard' | 'mixture';

export interface ModelConfig {
  objective: Objective;
  arch: Architecture;
  /** Square image side in pixels. */
  imageSize: number;
  channels: 1 | 3;
  /** Total latent dimensions (for ssvae: style + class parts). */
  latent: number;
  /** ssvae only: the first `style` dimensions are the style part z^X, the rest the class part z^Y. */
  style: number;
  /** ssvae only: number of classes predicted from z^Y. */
  numClasses: number;
  /** MLP hidden widths of the encoder, input side first; the decoder mirrors them (lectures: [256, 64]). */
  hidden: number[];
  /** Conv filters per stride-2 layer, input side first; the decoder mirrors them. */
  convFilters: number[];
  likelihood: Likelihood;
  /** Gaussian likelihood: 'learned' global log-variance, or a fixed standard deviation. */
  gaussianStd: 'learned' | number;
  /** Weight on the KL term (β-VAE); 1 for the plain VAE. */
  beta: number;
  /** β-TCVAE weights of index-code MI, total correlation and dimension-wise KL. */
  tcWeights: { mi: number; tc: number; dimKl: number };
  /** Number of training images (recorded; Chen et al.'s minibatch-weighted sampling constant log N·B would use it). */
  datasetSize: number;
  /** ssvae: weight of log p(y|z^Y) for labelled images, per image. */
  classWeight: number;
  /** ssvae: the prior on z^Y (absent in runs made before it existed: 'standard'). */
  classPrior?: ClassPrior;
  /** ssvae with the mixture prior: weight of the entropy of q(y|x) on unlabelled images, per image (absent: 0). */
  entropyWeight?: number;
  /**
   * ssvae with the mixture prior: weight, per image, of KL(q(y|x) || q(y|x')) where x' is x moved by up to
   * `consistencyShift` pixels each way (zeros come in), q(y|x) held fixed (absent: 0, no consistency term).
   */
  consistencyWeight?: number;
  /** Largest shift in pixels of the consistency term's moved image (absent: 2). */
  consistencyShift?: number;
  /**
   * ssvae with the mixture prior: what the decoder sees of the class part. 'sample': the sampled z^Y (runs made
   * before the field existed), which lets style hide in z^Y and class leak into z^X. 'prototype': only the class's
   * prior mean μ_y (M2's p(x | y, z^X) with y embedded by μ): z^Y then carries the class and nothing else, so
   * style must live in z^X. Unlabelled images take the class q(y|x) ranks first; the reported −ELBO and IWAE
   * sum over every class exactly.
   */
  classCode?: 'sample' | 'prototype';
  /**
   * ssvae 'prototype': weight of the leakage penalty, per image: images decoded from a batch's styles z^X
   * (one dimension pushed up to ±3 sd) with random classes y must be classified as y by the model's own class
   * head (frozen for this term, so only the decoder learns from it). Absent: 0.
   */
  leakageWeight?: number;
  /**
   * ssvae: extra weight on the total correlation of the style part z^X (β-TCVAE's minibatch estimate), added
   * to the ELBO: independent style dimensions, so that one slider moves one property. Absent: 0.
   */
  styleTcWeight?: number;
  /**
   * Weight initialisation. 'torch': PyTorch's default for Linear/Conv layers, U(±1/√fan_in) for kernels and
   * biases, as in the PyTorch/Pyro reference VAE (2-D MLP VAE: test −ELBO 152.1/150.6 after 30 epochs, seeds 1/2,
   * vs 155.3 with 'glorot'). 'glorot': Glorot-uniform kernels, zero biases (runs made before the field existed).
   * The class head keeps Glorot.
   */
  init?: 'glorot' | 'torch';
  /** dae only: the corruption of the input (absent: masking 0.3). */
  noise?: NoiseConfig;
  /** ivae only: the number of values of the auxiliary variable u; p(z|u) = N(μ_u, diag exp λ_u), learned per value. */
  auxValues?: number;
  /**
   * fair-vae only: the private attribute s. Encoder q(z|x, s) and decoder p(x|z, s) see s one-hot (an unknown s
   * is all zeros to the encoder; the decoder then averages over s with the training frequencies `prior`), and
   * `penalty` × a statistic of s's dependence on z^X (the style part with classes, else all of z) is added.
   */
  fair?: {
    /** Values of s. */
    values: number;
    /** p(s) on the training images, one per value (sums to 1). */
    prior: number[];
    penalty: FairPenalty;
    /** Weight of the penalty, per batch (the MMD², or the adversary's confusion in nats per image). */
    weight: number;
    /** Share of training images whose s is hidden from the encoder, so that it can also encode images of unknown s. */
    dropout: number;
  };
  /** Reparameterisation samples M per image; for iwae the K of the importance-weighted bound trained. */
  samples: number;
  learningRate: number;
  /** Seed of the weight initialisers. */
  seed: number;
}

export const MLP_HIDDEN = [256, 64];
export const CONV_FILTERS = [32, 32, 64, 64];

export function defaultModelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const config: ModelConfig = {
    objective: 'vae',
    arch: 'mlp',
    imageSize: 28,
    channels: 1,
    latent: 2,
    style: 0,
    numClasses: 0,
    hidden: [...MLP_HIDDEN],
    convFilters: [...CONV_FILTERS],
    likelihood: overrides.channels === 3 ? 'gaussian' : 'bernoulli',
    gaussianStd: 'learned',
    beta: 1,
    tcWeights: { mi: 1, tc: 1, dimKl: 1 },
    datasetSize: 1,
    classWeight: 400,
    classPrior: 'mixture',
    entropyWeight: 5,
    consistencyWeight: 100,
    consistencyShift: 2,
    leakageWeight: 3,
    init: 'torch',
    samples: 1,
    learningRate: 1e-3,
    seed: 1,
    ...overrides,
  };
  validateModelConfig(config);
  return config;
}

/** Whether the decoder outputs pixel means directly (PPCA, FA) instead of logits. */
export function linearDecoder(config: ModelConfig): boolean {
  return LINEAR_OBJECTIVES.includes(config.objective);
}

/** Whether the model's codes are deterministic (the denoising autoencoder): no posterior, no KL. */
export function deterministicCodes(config: ModelConfig): boolean {
  return config.objective === 'dae';
}

export function classDims(config: ModelConfig): number {
  return hasClassPart(config) ? config.latent - config.style : 0;
}

/** Whether the code has a class part z^Y with a class head: the semi-supervised model, and the fair VAE with labels. */
export function hasClassPart(config: ModelConfig): boolean {
  return config.objective === 'ssvae' || (config.objective === 'fair-vae' && config.style > 0 && config.numClasses >= 2);
}

/** The fair VAE's z^X: the style part when the code has a class part, else the whole code. */
export function fairDims(config: ModelConfig): number {
  return config.objective === 'fair-vae' && hasClassPart(config) ? config.style : config.latent;
}

/** The z^Y prior of an ssvae config; runs saved before the field existed used N(0, I). */
export function classPriorOf(config: ModelConfig): ClassPrior | null {
  return config.objective === 'ssvae' ? config.classPrior ?? 'standard' : null;
}

export function validateModelConfig(c: ModelConfig): void {
  const fail = (msg: string) => {
    throw new Error(`model config: ${msg}`);
  };
  if (!Number.isInteger(c.latent) || c.latent < 1) fail(`latent must be a whole number >= 1 (got ${c.latent})`);
  if (!Number.isInteger(c.imageSize) || c.imageSize < 4) fail(`image size must be >= 4 (got ${c.imageSize})`);
  if (c.channels !== 1 && c.channels !== 3) fail(`channels must be 1 or 3 (got ${c.channels})`);
  if (!Number.isInteger(c.samples) || c.samples < 1) fail(`samples must be >= 1 (got ${c.samples})`);
  if (!(c.learningRate > 0)) fail(`learning rate must be > 0 (got ${c.learningRate})`);
  if (!(c.beta >= 0)) fail(`beta must be >= 0 (got ${c.beta})`);
  if (c.objective === 'ssvae') {
    if (!Number.isInteger(c.style) || c.style < 0 || c.style >= c.latent)
      fail(`style dimensions must be between 0 and latent - 1 (got style ${c.style}, latent ${c.latent})`);
    if (c.numClasses < 2) fail('the semi-supervised model needs at least 2 classes');
    if (c.entropyWeight !== undefined && !(c.entropyWeight >= 0)) fail(`entropy weight must be >= 0 (got ${c.entropyWeight})`);
    if (c.consistencyWeight !== undefined && !(c.consistencyWeight >= 0)) fail(`consistency weight must be >= 0 (got ${c.consistencyWeight})`);
    if (c.consistencyShift !== undefined && !(Number.isInteger(c.consistencyShift) && c.consistencyShift >= 0 && c.consistencyShift < c.imageSize))
      fail(`consistency shift must be a whole number of pixels below the image size (got ${c.consistencyShift})`);
    if (c.classCode !== undefined && c.classCode !== 'sample' && c.classCode !== 'prototype')
      fail(`class code must be 'sample' or 'prototype' (got ${JSON.stringify(c.classCode)})`);
    if (c.classCode === 'prototype' && (c.classPrior ?? 'standard') !== 'mixture') fail("the 'prototype' class code needs the mixture class prior");
    if (c.styleTcWeight !== undefined && !(c.styleTcWeight >= 0)) fail(`style TC weight must be >= 0 (got ${c.styleTcWeight})`);
    if (c.leakageWeight !== undefined && !(c.leakageWeight >= 0)) fail(`leakage weight must be >= 0 (got ${c.leakageWeight})`);
    if (c.classPrior !== undefined && c.classPrior !== 'standard' && c.classPrior !== 'mixture')
      fail(`class prior must be 'standard' or 'mixture' (got ${JSON.stringify(c.classPrior)})`);
  }
  if (c.objective === 'dae') {
    const noise = c.noise ?? { kind: 'mask', level: 0.3 };
    if (noise.kind !== 'gaussian' && noise.kind !== 'mask') fail(`noise must be gaussian or mask (got ${JSON.stringify(noise.kind)})`);
    if (!(noise.level >= 0 && (noise.kind === 'gaussian' ? noise.level <= 10 : noise.level < 1)))
      fail(`noise level must be ${noise.kind === 'mask' ? 'from 0 to below 1 (a share of pixels)' : 'from 0 to 10 (a standard deviation)'} (got ${noise.level})`);
  }
  if (c.objective === 'ivae' && !(Number.isInteger(c.auxValues) && (c.auxValues as number) >= 2))
    fail(`the iVAE needs an auxiliary variable with at least 2 values (got ${c.auxValues})`);
  if (c.objective === 'fair-vae') {
    const f = c.fair;
    if (!f || !(Number.isInteger(f.values) && f.values >= 2)) fail(`the fair VAE needs a private attribute with at least 2 values (got ${f?.values})`);
    if (!Array.isArray(f!.prior) || f!.prior.length !== f!.values || f!.prior.some((p) => !(p >= 0))) fail('the fair VAE needs p(s): one frequency per value of s');
    if (f!.penalty !== 'mmd' && f!.penalty !== 'adversary') fail(`fair penalty must be mmd or adversary (got ${JSON.stringify(f!.penalty)})`);
    if (!(f!.weight >= 0)) fail(`fair weight must be >= 0 (got ${f!.weight})`);
    if (!(f!.dropout >= 0 && f!.dropout < 1)) fail(`fair dropout must be from 0 to below 1 (got ${f!.dropout})`);
    if (!Number.isInteger(c.style) || c.style < 0 || c.style >= c.latent) fail(`style dimensions must be between 0 and latent - 1 (got style ${c.style}, latent ${c.latent})`);
  }
  if (LINEAR_OBJECTIVES.includes(c.objective) && c.likelihood !== 'gaussian') fail(`${c.objective} is a Gaussian model: its likelihood must be gaussian`);
  if (c.init !== undefined && c.init !== 'glorot' && c.init !== 'torch') fail(`init must be 'glorot' or 'torch' (got ${JSON.stringify(c.init)})`);
  if (c.arch === 'conv' && c.imageSize % 4 !== 0) fail(`the conv architecture needs an image size divisible by 4 (got ${c.imageSize})`);
  if (c.arch === 'mlp' && c.hidden.some((h) => !Number.isInteger(h) || h < 1)) fail('hidden widths must be whole numbers >= 1');
}
