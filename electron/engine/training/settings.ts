// Training settings as the user gives them, checked against the dataset and turned into a model config.
import type { Dataset } from '../datasets/types.ts';
import type { ClassPrior, ModelConfig } from '../../../models/config.ts';
import type { ClassPrior as WireClassPrior, ModelKind, TrainSettings } from '../../contract/training.ts';
import { classDims, defaultModelConfig, LINEAR_OBJECTIVES, MLP_HIDDEN } from '../../../models/config.ts';
import { UserError } from '../../contract/errors.ts';
import { mulberry32 } from '../random.ts';
import { MAX_THREADS } from './parallel/threads.ts';
import { LINEAR_MAX_PIXELS } from './linear-fit.ts';

export type { ModelKind, TrainSettings };

// The contract spells the class prior out (it imports nothing): this fails to compile if the two drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<ClassPrior, WireClassPrior>;

export const DEFAULT_BETA: Record<ModelKind, number> = { vae: 1, 'beta-vae': 4, 'beta-tcvae': 6, ssvae: 1, iwae: 1, dae: 1, ivae: 1, ppca: 1, fa: 1, 'fair-vae': 1 };

/** A setting that cannot work with this dataset; the message says which and why. */
export class SettingsError extends UserError {
  override name = 'SettingsError';
}

export const MODEL_KINDS: ModelKind[] = ['vae', 'beta-vae', 'beta-tcvae', 'ssvae', 'iwae', 'dae', 'ivae', 'ppca', 'fa', 'fair-vae'];

/** iwae's default K (the number of importance samples of the bound it trains). */
export const DEFAULT_IWAE_SAMPLES = 5;
/** dae's default corruption. */
export const DEFAULT_NOISE = { kind: 'mask', level: 0.3 } as const;
/** Quantile bins of a numeric factor used as the iVAE's auxiliary variable. */
export const AUX_BINS = 5;

export function isLinearModel(model: ModelKind): boolean {
  return (LINEAR_OBJECTIVES as readonly string[]).includes(model);
}

/**
 * The iVAE's auxiliary variable u per image: the class label ('label'), a categorical factor's category, or a
 * numeric factor cut into AUX_BINS quantile bins of its training values. −1 where unknown. The number of values too.
 */
export function auxValues(ds: Dataset, name: string): { values: Int32Array; count: number } {
  const n = ds.images.count;
  if (name === 'label') {
    if (ds.images.classNames.length < 2) throw new SettingsError(`${ds.ref}: --aux label needs at least 2 classes (found ${ds.images.classNames.length})`);
    return { values: Int32Array.from(ds.images.labels), count: ds.images.classNames.length };
  }
  const column = ds.images.factors?.find((f) => f.name === name);
  if (!column) {
    const names = ['label', ...(ds.images.factors ?? []).map((f) => f.name)];
    throw new SettingsError(`${ds.ref}: no factor '${name}' for the auxiliary variable (have ${names.join(', ')})`);
  }
  const values = new Int32Array(n).fill(-1);
  if (column.kind === 'categorical') {
    for (let i = 0; i < n; i++) if (Number.isFinite(column.values[i])) values[i] = column.values[i];
    return { values, count: Math.max(2, column.categories?.length ?? 0) };
  }
  const train: number[] = [];
  for (let i = 0; i < n; i++) if (ds.images.split[i] === 0 && Number.isFinite(column.values[i])) train.push(column.values[i]);
  if (train.length === 0) throw new SettingsError(`${ds.ref}: factor '${name}' has no values on the training images`);
  train.sort((a, b) => a - b);
  const cuts = Array.from({ length: AUX_BINS - 1 }, (_, k) => train[Math.floor(((k + 1) * train.length) / AUX_BINS)]);
  for (let i = 0; i < n; i++) {
    const v = column.values[i];
    if (!Number.isFinite(v)) continue;
    let bin = 0;
    while (bin < cuts.length && v >= cuts[bin]) bin++;
    values[i] = bin;
  }
  return { values, count: AUX_BINS };
}

/**
 * The fair VAE's defaults, chosen by measurement (README "Fair VAE"): the MMD penalty and its weight, the
 * adversary's weight when chosen instead, and the share of images whose s the encoder does not see.
 */
export const FAIR_DEFAULTS = { penalty: 'mmd', weight: { mmd: 100, adversary: 100 }, dropout: 0.2 } as const;

/**
 * The fair VAE's private attribute s per image: the class label ('label'), a categorical factor's category, a
 * numeric factor with two values (e.g. a 0/1 column) as those two, or any other numeric factor split at the
 * median of its training values into two groups (below, and at or above). −1 where unknown. Two groups rather
 * than iVAE-style quantile bins: the probe is a linear read-out, which cannot pick a middle bin out of the rest,
 * so bins would understate how much a code reveals. The training frequencies p(s) too.
 */
export function privateValues(ds: Pick<Dataset, 'ref' | 'images'>, name: string): { values: Int32Array; count: number; prior: number[]; names: string[] } {
  const n = ds.images.count;
  const columns = ['label', ...(ds.images.factors ?? []).map((f) => f.name)];
  const withPrior = (values: Int32Array, count: number, names: string[]) => {
    const counts = new Array<number>(count).fill(0);
    let total = 0;
    for (let i = 0; i < n; i++)
      if (ds.images.split[i] === 0 && values[i] >= 0) {
        counts[values[i]]++;
        total++;
      }
    if (total === 0) throw new SettingsError(`${ds.ref}: the private attribute '${name}' has no values on the training images`);
    if (counts.filter((c) => c > 0).length < 2) throw new SettingsError(`${ds.ref}: the private attribute '${name}' takes one value on every training image: nothing to hide`);
    return { values, count, prior: counts.map((c) => c / total), names };
  };
  if (name === 'label') {
    if (ds.images.classNames.length < 2) throw new SettingsError(`${ds.ref}: --private label needs at least 2 classes (found ${ds.images.classNames.length})`);
    return withPrior(Int32Array.from(ds.images.labels), ds.images.classNames.length, [...ds.images.classNames]);
  }
  const column = ds.images.factors?.find((f) => f.name === name);
  if (!column) throw new SettingsError(`${ds.ref}: no column '${name}' for the private attribute (the dataset's columns: ${columns.join(', ')})`);
  const values = new Int32Array(n).fill(-1);
  if (column.kind === 'categorical') {
    for (let i = 0; i < n; i++) if (Number.isFinite(column.values[i])) values[i] = column.values[i];
    const categories = column.categories ?? [];
    return withPrior(values, Math.max(2, categories.length), categories.length >= 2 ? [...categories] : ['0', '1']);
  }
  const train: number[] = [];
  for (let i = 0; i < n; i++) if (ds.images.split[i] === 0 && Number.isFinite(column.values[i])) train.push(column.values[i]);
  if (train.length === 0) throw new SettingsError(`${ds.ref}: factor '${name}' has no values on the training images`);
  const distinct = [...new Set(train)].sort((a, b) => a - b);
  if (distinct.length === 2) {
    for (let i = 0; i < n; i++) if (Number.isFinite(column.values[i])) values[i] = column.values[i] >= distinct[1] ? 1 : 0;
    return withPrior(values, 2, distinct.map(String));
  }
  train.sort((a, b) => a - b);
  const median = train[Math.floor(train.length / 2)];
  for (let i = 0; i < n; i++) if (Number.isFinite(column.values[i])) values[i] = column.values[i] >= median ? 1 : 0;
  const shown = Number(median.toPrecision(4));
  return withPrior(values, 2, [`${name} < ${shown}`, `${name} ≥ ${shown}`]);
}

/** Upper bounds of the numeric settings, shared by the contract (checkSettings) and the CLI's flags. */
export const LIMITS = {
  latent: 512,
  epochs: 100_000,
  batchSize: 4096,
  seed: 2 ** 32 - 1,
  beta: 1000,
  samples: 64,
  hiddenLayers: 8,
  hiddenWidth: 8192,
  classWeight: 1e6,
  consistencyWeight: 1e4,
  leakageWeight: 1e6,
  styleTcWeight: 1e4,
  labels: 100_000_000,
  fairWeight: 1e6,
} as const;

export function checkSettings(s: TrainSettings, ds: Dataset): void {
  const fail = (m: string) => {
    throw new SettingsError(m);
  };
  const whole = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (!MODEL_KINDS.includes(s.model)) fail(`unknown model '${s.model}' (use ${MODEL_KINDS.join(', ')})`);
  if (s.arch !== 'mlp' && s.arch !== 'conv') fail(`unknown architecture '${s.arch}' (use mlp or conv)`);
  // Every number has an upper bound too: an unbounded one (samples: 1e7) grew the engine to 10 GB.
  const bounded = (v: unknown, min: number, max: number) => whole(v, min) && (v as number) <= max;
  const real = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
  if (!bounded(s.latent, 1, LIMITS.latent)) fail(`latent must be a whole number from 1 to ${LIMITS.latent} (got ${s.latent})`);
  if (!bounded(s.epochs, 1, LIMITS.epochs)) fail(`epochs must be a whole number from 1 to ${LIMITS.epochs} (got ${s.epochs})`);
  if (!bounded(s.batchSize, 1, LIMITS.batchSize)) fail(`batch size must be a whole number from 1 to ${LIMITS.batchSize} (got ${s.batchSize})`);
  if (s.minutes !== undefined && !real(s.minutes, 1 / 60, 7 * 24 * 60)) fail(`minutes must be a number from 1/60 to ${7 * 24 * 60} (got ${s.minutes})`);
  if (s.likelihood !== undefined && s.likelihood !== 'bernoulli' && s.likelihood !== 'gaussian') fail(`likelihood must be bernoulli or gaussian (got ${s.likelihood})`);
  if (!(typeof s.lr === 'number' && s.lr > 0 && s.lr < 1)) fail(`learning rate must be between 0 and 1 (got ${s.lr})`);
  if (!bounded(s.seed, 0, LIMITS.seed)) fail(`seed must be a whole number from 0 to ${LIMITS.seed} (got ${s.seed})`);
  if (s.beta !== undefined && !real(s.beta, 0, LIMITS.beta)) fail(`beta must be a number from 0 to ${LIMITS.beta} (got ${s.beta})`);
  if (s.samples !== undefined && !bounded(s.samples, 1, LIMITS.samples)) fail(`samples must be a whole number from 1 to ${LIMITS.samples} (got ${s.samples})`);
  if (s.hidden !== undefined && (!Array.isArray(s.hidden) || s.hidden.length < 1 || s.hidden.length > LIMITS.hiddenLayers || !s.hidden.every((h) => bounded(h, 1, LIMITS.hiddenWidth))))
    fail(`hidden must be 1 to ${LIMITS.hiddenLayers} layer widths, each a whole number from 1 to ${LIMITS.hiddenWidth} (got ${JSON.stringify(s.hidden)?.slice(0, 60)})`);
  if (s.classWeight !== undefined && !real(s.classWeight, 0, LIMITS.classWeight)) fail(`class weight must be a number from 0 to ${LIMITS.classWeight} (got ${s.classWeight})`);
  if (s.classPrior !== undefined && s.classPrior !== 'standard' && s.classPrior !== 'mixture') fail(`class prior must be standard or mixture (got ${s.classPrior})`);
  if (s.consistencyWeight !== undefined && !real(s.consistencyWeight, 0, LIMITS.consistencyWeight)) fail(`consistency weight must be a number from 0 to ${LIMITS.consistencyWeight} (got ${s.consistencyWeight})`);
  if (s.leakageWeight !== undefined && !real(s.leakageWeight, 0, LIMITS.leakageWeight)) fail(`leakage weight must be a number from 0 to ${LIMITS.leakageWeight} (got ${s.leakageWeight})`);
  if (s.styleTcWeight !== undefined && !real(s.styleTcWeight, 0, LIMITS.styleTcWeight)) fail(`style TC weight must be a number from 0 to ${LIMITS.styleTcWeight} (got ${s.styleTcWeight})`);
  if (s.classCode !== undefined && s.classCode !== 'sample' && s.classCode !== 'prototype') fail(`class code must be sample or prototype (got ${s.classCode})`);
  if (s.labels !== undefined && !bounded(s.labels, 0, LIMITS.labels)) fail(`labels must be a whole number from 0 to ${LIMITS.labels} (got ${s.labels})`);
  if (s.threads !== undefined && (!whole(s.threads, 1) || s.threads > MAX_THREADS)) fail(`threads must be a whole number from 1 to ${MAX_THREADS} (got ${s.threads})`);
  const trainCount = ds.images.split.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
  if (trainCount < 1) fail(`${ds.ref}: no training images (all ${ds.images.count} are in the test split)`);
  if (s.arch === 'conv' && ds.images.size % 4 !== 0) fail(`the conv architecture needs an image size divisible by 4 (the dataset is ${ds.images.size} px)`);
  if (s.noise !== undefined && s.noise !== 'gaussian' && s.noise !== 'mask') fail(`noise must be gaussian or mask (got ${s.noise})`);
  if (s.noiseLevel !== undefined && !real(s.noiseLevel, 0, (s.noise ?? DEFAULT_NOISE.kind) === 'mask' ? 0.99 : 10))
    fail(`noise level must be ${(s.noise ?? DEFAULT_NOISE.kind) === 'mask' ? 'from 0 to 0.99 (the share of pixels masked)' : 'from 0 to 10 (a standard deviation)'} (got ${s.noiseLevel})`);
  if ((s.noise !== undefined || s.noiseLevel !== undefined) && s.model !== 'dae') fail('noise applies to the denoising autoencoder (model dae)');
  if (s.aux !== undefined && s.model !== 'ivae') fail('aux applies to the iVAE (model ivae)');
  if ((s.private !== undefined || s.fairPenalty !== undefined || s.fairWeight !== undefined || s.fairReference !== undefined) && s.model !== 'fair-vae')
    fail('private, fairPenalty, fairWeight and fairReference apply to the fair VAE (model fair-vae)');
  if (s.model === 'fair-vae') {
    if (s.private === undefined) fail(`the fair VAE needs a private attribute: 'label' or a factor column (private)`);
    if (s.fairPenalty !== undefined && s.fairPenalty !== 'mmd' && s.fairPenalty !== 'adversary') fail(`fair penalty must be mmd or adversary (got ${s.fairPenalty})`);
    if (s.fairWeight !== undefined && !real(s.fairWeight, 0, LIMITS.fairWeight)) fail(`fair weight must be a number from 0 to ${LIMITS.fairWeight} (got ${s.fairWeight})`);
    privateValues(ds, s.private!);
    if (fairClassPart(s)) {
      if (s.private === 'label') fail("the fair VAE's class part z^Y predicts the label, which is the private attribute here: choose a factor as the private attribute, or no class part");
      const style = s.style ?? defaultStyle(s.latent);
      if (s.latent < 2) fail('the fair VAE with a class part needs latent >= 2 (z^X + z^Y)');
      if (!whole(style, 1) || style >= s.latent) fail(`style must be a whole number from 1 to latent - 1 (got style ${style}, latent ${s.latent})`);
      if (ds.images.classNames.length < 2) fail(`${ds.ref}: the fair VAE's class part needs at least 2 classes (found ${ds.images.classNames.length})`);
      if (countTrainLabels(ds) === 0) fail(`${ds.ref}: the fair VAE's class part needs some labelled training images (found none)`);
    }
  }
  if (s.model === 'ivae') {
    if (s.aux === undefined) fail(`the iVAE needs an auxiliary variable: 'label' or a factor column (aux)`);
    auxValues(ds, s.aux!);
  }
  if (isLinearModel(s.model)) {
    if (s.likelihood === 'bernoulli') fail(`${s.model} is a linear Gaussian model: its likelihood is gaussian, not bernoulli`);
    const pixels = ds.images.size * ds.images.size * ds.images.channels;
    if (s.latent >= pixels) fail(`latent must be below the ${pixels} values per image for ${s.model} (got ${s.latent})`);
    if (pixels > LINEAR_MAX_PIXELS)
      fail(`${s.model} needs the ${pixels} x ${pixels} pixel covariance, too large here (at most ${LINEAR_MAX_PIXELS} values per image); re-import at a smaller size`);
  }
  if (s.model === 'ssvae') {
    const style = s.style ?? defaultStyle(s.latent);
    if (s.latent < 2) fail('the semi-supervised model needs latent >= 2 (style + class parts)');
    if (!whole(style, 0) || style >= s.latent) fail(`style must be a whole number below latent (got style ${style}, latent ${s.latent})`);
    if (ds.images.classNames.length < 2) fail(`${ds.ref}: the semi-supervised model needs at least 2 classes (found ${ds.images.classNames.length})`);
    const labelled = countTrainLabels(ds);
    if (labelled === 0) fail(`${ds.ref}: the semi-supervised model needs some labelled training images (found none)`);
    if (s.labels !== undefined && s.labels < ds.images.classNames.length)
      fail(`labels must be at least one per class (${ds.images.classNames.length}) for the semi-supervised model (got ${s.labels})`);
  }
}

/** fair-vae: the semi-supervised variant (a class part z^Y beside z^X) is asked for with style or labels. */
export function fairClassPart(s: TrainSettings): boolean {
  return s.model === 'fair-vae' && (s.style !== undefined || s.labels !== undefined);
}

export function defaultStyle(latent: number): number {
  return Math.floor(latent / 2);
}

export function countTrainLabels(ds: Dataset): number {
  let n = 0;
  for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 0 && ds.images.labels[i] >= 0) n++;
  return n;
}

export function modelConfigFor(s: TrainSettings, ds: Dataset): ModelConfig {
  const trainCount = ds.images.split.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
  const beta = s.beta ?? DEFAULT_BETA[s.model];
  return defaultModelConfig({
    objective: s.model,
    arch: s.arch,
    imageSize: ds.images.size,
    channels: ds.images.channels,
    latent: s.latent,
    style: s.model === 'ssvae' || fairClassPart(s) ? s.style ?? defaultStyle(s.latent) : 0,
    numClasses: s.model === 'ssvae' || fairClassPart(s) ? ds.images.classNames.length : 0,
    hidden: s.hidden ?? [...MLP_HIDDEN],
    likelihood: isLinearModel(s.model) ? 'gaussian' : s.likelihood ?? (ds.images.channels === 3 ? 'gaussian' : 'bernoulli'),
    beta: s.model === 'beta-vae' ? beta : 1,
    tcWeights: { mi: 1, tc: s.model === 'beta-tcvae' ? beta : 1, dimKl: 1 },
    datasetSize: trainCount,
    classWeight: s.classWeight ?? 400,
    classPrior: s.classPrior ?? 'mixture',
    ...(s.consistencyWeight !== undefined ? { consistencyWeight: s.consistencyWeight } : {}),
    ...(s.model === 'ssvae' && (s.classPrior ?? 'mixture') === 'mixture' ? { classCode: s.classCode ?? 'prototype' } : {}),
    ...(s.leakageWeight !== undefined ? { leakageWeight: s.leakageWeight } : {}),
    ...(s.styleTcWeight !== undefined ? { styleTcWeight: s.styleTcWeight } : {}),
    samples: s.samples ?? (s.model === 'iwae' ? DEFAULT_IWAE_SAMPLES : 1),
    ...(s.model === 'dae' ? { noise: { kind: s.noise ?? DEFAULT_NOISE.kind, level: s.noiseLevel ?? DEFAULT_NOISE.level } } : {}),
    ...(s.model === 'ivae' ? { auxValues: auxValues(ds, s.aux ?? 'label').count } : {}),
    ...(s.model === 'fair-vae' ? { fair: fairConfig(s, ds) } : {}),
    learningRate: s.lr,
    seed: s.seed,
  });
}

function fairConfig(s: TrainSettings, ds: Dataset): NonNullable<ModelConfig['fair']> {
  const priv = privateValues(ds, s.private ?? 'label');
  const penalty = s.fairPenalty ?? FAIR_DEFAULTS.penalty;
  return { values: priv.count, prior: priv.prior, penalty, weight: s.fairWeight ?? FAIR_DEFAULTS.weight[penalty], dropout: FAIR_DEFAULTS.dropout };
}

/**
 * Training labels with only `keep` of them left (balanced per class, seeded); others become -1.
 * Test labels stay: they measure the class head's accuracy.
 */
export function keepBalancedLabels(ds: Dataset, keep: number | undefined, seed: number): Int32Array {
  const labels = Int32Array.from(ds.images.labels);
  if (keep === undefined) return labels;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    if (ds.images.split[i] !== 0 || labels[i] < 0) continue;
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const rand = mulberry32(seed ^ 0x5eed);
  const quota = new Map(classes.map((c, k) => [c, Math.floor(keep / classes.length) + (k < keep % classes.length ? 1 : 0)]));
  for (const c of classes) {
    const list = byClass.get(c)!;
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    for (let k = quota.get(c)!; k < list.length; k++) labels[list[k]] = -1;
  }
  return labels;
}

/** Default names of the latent dimensions, shown in the views until the user renames them. */
export function defaultDimensionNames(config: ModelConfig): string[] {
  if (classDims(config) === 0) return Array.from({ length: config.latent }, (_, i) => `z${i + 1}`);
  return Array.from({ length: config.latent }, (_, i) => (i < config.style ? `style ${i + 1}` : `class ${i - config.style + 1}`));
}
