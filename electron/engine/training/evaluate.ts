// Evaluating a trained run on its test split: −ELBO, the IWAE bound, KL per dimension, active units,
// total correlation of the latent means and, for the semi-supervised model, class accuracy.
import type { Dataset } from '../datasets/types.ts';
import { mulberry32 } from '../random.ts';
import { pixelsToTensor } from '../../../models/pixels.ts';
import type { LoadedRun, RunFile } from './run-file.ts';
import { openDataset } from '../datasets/open.ts';
import type { ImportHooks } from '../datasets/types.ts';
import type { StyleDimensionReport } from '../../contract/style.ts';
import { styleDimensionReport } from '../explorer/style-report.ts';
import type { FactorMetrics } from '../../contract/factors.ts';
import { runFactorMetrics } from '../disentanglement/run-metrics.ts';
import { linearGaussianFromDecoder } from '../../../models/linear-gaussian.ts';
import { linearScores } from './linear-fit.ts';
import { auxValues, privateValues } from './settings.ts';
import { measurePrivacy } from './privacy.ts';
import { loadNetworks } from './run-file.ts';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { PrivacyFigures } from '../../contract/training.ts';
import { bitsPerDim } from '../../contract/units.ts';

/** Reopens the data a run was trained on, with the same preprocessing (and so the same train/test split). */
export async function openRunDataset(run: RunFile, hooks: ImportHooks = {}): Promise<Dataset> {
  return openDataset(run.dataset.ref, run.dataset.options, hooks);
}

export interface EvalReport {
  runDir: string;
  /** which images were evaluated */
  split: 'test' | 'train';
  images: number;
  /** −ELBO, positive nats per image (one posterior sample per image) */
  negElbo: number;
  /** −E_q[log p(x|z)], nats per image */
  recon: number;
  /** KL(q(z|x) || p(z)), nats per image (ssvae with the class-mixture prior: includes klClass) */
  kl: number;
  /** ssvae with the class-mixture prior: KL(q(y|x) || p(y)), nats per image */
  klClass?: number;
  /** importance-weighted bound on −log p(x) with K samples, positive nats per image (≤ −ELBO) */
  negIwae?: number;
  iwaeSamples?: number;
  klPerDim: number[];
  /** dimensions whose mean KL exceeds 0.01 nats */
  activeUnits: number;
  activeThreshold: number;
  /** total correlation of the latent means under a Gaussian fit: ½(Σ log σ²_j − log det Σ), nats (NaN with too few images) */
  meansTotalCorrelation: number;
  /** semi-supervised model: class head accuracy on the labelled evaluated images */
  accuracy?: number;
  labelled?: number;
  /**
   * Semi-supervised model: every style dimension sorted by KL — its KL, class leakage (share of the ±2 sd
   * sweeps from each class's mean encoding whose class the model's classifier sees change) and the pixel
   * measures' correlations with the best match as its suggested name (see explorer/style-report.ts).
   */
  styleDimensions?: StyleDimensionReport[];
  /** MIG, SAP, DCI and the dimension × factor table, when the dataset has known factors (factors.csv). */
  factors?: FactorMetrics;
  /** PPCA and FA: the exact −log p(x), nats per image (equal to −ELBO: their posterior is exact) */
  negLogLikelihood?: number;
  /** fair-vae: how predictable s is from z^X (probe AUC on the test split), beside the plain VAE reference */
  privacy?: PrivacyFigures;
  /**
   * The model's own figures, each with its unit: −ELBO and −IWAE for the VAE family (the iVAE's under p(z|u)),
   * the exact −log p(x) for PPCA and FA, the reconstruction loss for the denoising autoencoder.
   */
  figures: EvalFigure[];
  /** What does not apply to this model, and why (e.g. no KL for the denoising autoencoder). */
  notes: string[];
  seconds: number;
}

export interface EvalFigure {
  name: string;
  value: number;
  /** AUC: area under the ROC curve, 0.5 = chance, 1 = perfect separation */
  unit: 'nats/image' | 'bits/dim' | 'AUC';
}

export interface EvalHooks {
  iwae?: number;
  signal?: AbortSignal;
  onProgress?(p: { done: number; total: number; phase: 'elbo' | 'iwae' }): void;
}

export const ACTIVE_UNIT_THRESHOLD = 0.01;
const CHUNK = 250;
const SEED = 4242;

export async function evaluateRun(loaded: LoadedRun, ds: Dataset, hooks: EvalHooks = {}): Promise<EvalReport> {
  const started = performance.now();
  const { model, run } = loaded;
  const { size, channels, pixels, labels } = ds.images;
  if (size !== run.dataset.size || channels !== run.dataset.channels)
    throw new Error(`${ds.ref}: images are ${size}x${size}x${channels} but the run was trained on ${run.dataset.size}x${run.dataset.size}x${run.dataset.channels}`);
  let indices: number[] = [];
  for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 1) indices.push(i);
  let split: EvalReport['split'] = 'test';
  if (indices.length === 0) {
    split = 'train';
    for (let i = 0; i < ds.images.count && indices.length < 1000; i++) indices.push(i);
  }
  const latent = model.config.latent;
  const rand = mulberry32(SEED);
  const binarize = ds.options.binarize;
  let negElbo = 0;
  let recon = 0;
  let negIwae = 0;
  let correct = 0;
  let labelled = 0;
  let klClassSum = 0;
  const klSum = new Float64Array(latent);
  const means = new Float32Array(indices.length * latent);
  const logVars = new Float32Array(indices.length * latent);
  const objective = model.config.objective;
  const notes: string[] = [];
  // the denoising autoencoder has no posterior to weigh samples with
  const k = objective === 'dae' ? 0 : hooks.iwae ?? 0;
  if (objective === 'dae') notes.push('no ELBO, IWAE bound or KL: the denoising autoencoder has deterministic codes and no posterior; its figure is the reconstruction loss of clean images');
  const priv = objective === 'fair-vae' ? privateValues(ds, run.settings.private ?? 'label') : null;
  const aux = objective === 'ivae' ? auxValues(ds, run.settings.aux ?? 'label').values : priv?.values;
  const auxOf = (idx: number[]) => (aux ? Int32Array.from(idx, (i) => aux[i]) : undefined);
  const total = indices.length * (k > 0 ? 2 : 1);
  for (let start = 0, c = 0; start < indices.length; start += CHUNK, c++) {
    hooks.signal?.throwIfAborted();
    const idx = indices.slice(start, start + CHUNK);
    const x = pixelsToTensor(pixels, idx, size, channels, binarize, rand);
    const r = await model.evaluate(x, SEED + c, auxOf(idx));
    r.negElbo.forEach((v) => (negElbo += v));
    r.klPerDimSum.forEach((v, d) => (klSum[d] += v));
    klClassSum += r.klClassSum;
    const codes = await model.encodeValues(x);
    means.set(codes.means, start * latent);
    logVars.set(codes.logVars, start * latent);
    if (r.predictions)
      idx.forEach((i, j) => {
        if (labels[i] >= 0) {
          labelled++;
          if (r.predictions![j] === labels[i]) correct++;
        }
      });
    if (k > 0) {
      const b = await model.negIwae(x, k, SEED + 7 * c, auxOf(idx));
      b.forEach((v) => (negIwae += v));
    }
    x.dispose();
    hooks.onProgress?.({ done: Math.min(total, (start + idx.length) * (k > 0 ? 2 : 1)), total, phase: k > 0 ? 'iwae' : 'elbo' });
    await new Promise((resolve) => setImmediate(resolve));
  }
  const factors = await runFactorMetrics(loaded, latent, ds.images, hooks.signal);
  const n = indices.length;
  const klPerDim = Array.from(klSum, (v) => v / n);
  const klClass = klClassSum / n;
  let kl = klPerDim.reduce((a, v) => a + v, 0) + klClass;
  negElbo /= n;
  recon = negElbo - kl;
  const dims = size * size * channels;
  const figures: EvalFigure[] = [];
  let negLogLikelihood: number | undefined;
  if (objective === 'ppca' || objective === 'fa') {
    // p(z|x) is Gaussian and the encoder holds it, so ELBO = log p(x): computed exactly in closed form instead
    const lg = await linearGaussianFromDecoder(objective, model.decoder, run.linearGaussian?.noiseVariance ?? [Math.exp(run.pixelLogVar ?? 0)]);
    const exact = linearScores(lg, ds, indices);
    negElbo = negLogLikelihood = -exact.logLikelihood;
    klPerDim.splice(0, klPerDim.length, ...exact.klPerDim);
    kl = klPerDim.reduce((a, v) => a + v, 0);
    recon = negElbo - kl;
    figures.push({ name: '−log p(x), exact', value: negElbo, unit: 'nats/image' }, { name: '−log p(x), exact', value: bitsPerDim(negElbo, dims), unit: 'bits/dim' });
    notes.push("the posterior is exact (Gaussian), so −ELBO = −IWAE = −log p(x): a density over grey levels in [0, 1], comparable with a Gaussian-likelihood VAE's −ELBO and −IWAE on the same pixels");
  } else if (objective === 'dae') {
    figures.push({ name: 'reconstruction loss −log p(x | g(f(x)))', value: negElbo, unit: 'nats/image' });
  } else {
    figures.push({ name: objective === 'ivae' ? '−ELBO under p(z|u)' : objective === 'fair-vae' ? '−ELBO of p(x | s)' : '−ELBO', value: negElbo, unit: 'nats/image' });
    if (k > 0) figures.push({ name: `−IWAE (K=${k})`, value: negIwae / n, unit: 'nats/image' });
    if (model.config.likelihood === 'gaussian') figures.push({ name: '−ELBO', value: bitsPerDim(negElbo, dims), unit: 'bits/dim' });
    if (objective === 'iwae') notes.push(`trained on the importance-weighted bound with K=${model.config.samples}; −ELBO and −IWAE are measured as for any VAE`);
    if (objective === 'ivae') notes.push(`the prior is p(z|u) with u = ${run.settings.aux ?? 'label'} of each image`);
  }
  let privacy: PrivacyFigures | undefined;
  if (priv) {
    privacy = await fairPrivacy(loaded, ds, priv);
    if (privacy.auc !== null) figures.push({ name: `probe AUC of ${privacy.attribute} from z^X (test split)`, value: privacy.auc, unit: 'AUC' });
    if (privacy.referenceAuc != null) figures.push({ name: `probe AUC of ${privacy.attribute}, plain VAE reference (test split)`, value: privacy.referenceAuc, unit: 'AUC' });
    if (privacy.referenceTestLoss != null) figures.push({ name: '−ELBO, plain VAE reference', value: privacy.referenceTestLoss, unit: 'nats/image' });
    notes.push(
      `the encoder and decoder see s = ${privacy.attribute} (${privacy.values.join(' / ')}); −ELBO is of p(x | s); the probe is a logistic regression on z^X's means (${privacy.dims} dimensions) of ${privacy.train} training images, scored on ${privacy.test} test images: 0.5 = s cannot be read, 1 = read exactly`,
    );
    if (privacy.referenceAuc === undefined) notes.push('no plain VAE reference: the run was trained without one (reference/ is missing)');
  }
  const style = model.config.objective === 'ssvae' ? model.config.style : 0;
  const labelsListed = Int32Array.from(indices, (i) => labels[i]);
  const styleDimensions =
    style > 0 && labelsListed.some((l) => l >= 0) ? await styleDimensionReport(loaded, { means, logVars, labels: labelsListed, count: n }, { signal: hooks.signal }) : undefined;
  return {
    runDir: loaded.dir,
    split,
    images: n,
    negElbo,
    recon,
    kl,
    klClass: model.config.objective === 'ssvae' && model.config.classPrior === 'mixture' ? klClass : undefined,
    negIwae: k > 0 && negLogLikelihood === undefined ? negIwae / n : undefined,
    negLogLikelihood,
    ...(privacy ? { privacy } : {}),
    iwaeSamples: k > 0 ? k : undefined,
    klPerDim,
    activeUnits: klPerDim.filter((v) => v > ACTIVE_UNIT_THRESHOLD).length,
    activeThreshold: ACTIVE_UNIT_THRESHOLD,
    meansTotalCorrelation: gaussianTotalCorrelation(means, n, latent),
    accuracy: model.classifier && labelled ? correct / labelled : undefined,
    labelled: model.classifier ? labelled : undefined,
    styleDimensions,
    ...(factors ? { factors } : {}),
    figures,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}

/** fair-vae: the probe on the run's model and on its plain VAE reference (reference/, when trained with one). */
export async function fairPrivacy(loaded: LoadedRun, ds: Dataset, priv: { values: Int32Array; count: number; names: string[] }): Promise<PrivacyFigures> {
  const { run, model } = loaded;
  const probe = await measurePrivacy(model, ds, priv.values, priv.count);
  const figures: PrivacyFigures = { attribute: run.settings.private ?? 'label', values: priv.names, auc: probe.auc, dims: probe.dims, train: probe.train, test: probe.test, epoch: Math.floor(run.modelEpoch) };
  const refDir = join(loaded.dir, 'reference');
  if (run.reference && existsSync(join(refDir, 'encoder'))) {
    const reference = await loadNetworks(refDir, run.reference.model, run.reference.pixelLogVar);
    try {
      figures.referenceAuc = (await measurePrivacy(reference, ds, priv.values, priv.count)).auc;
    } finally {
      reference.dispose();
    }
    figures.referenceTestLoss = run.privacy?.referenceTestLoss ?? null;
  }
  return figures;
}

/**
 * Total correlation of samples under a Gaussian fit: KL(N(μ,Σ) || Π_j N(μ_j,Σ_jj)) = ½(Σ_j log Σ_jj − log det Σ).
 * Zero for uncorrelated dimensions. Rows are samples [n, d].
 */
export function gaussianTotalCorrelation(x: Float64Array | Float32Array, n: number, d: number): number {
  if (d < 2) return 0;
  if (n <= 2 * d) return NaN; // a covariance from this few points is (nearly) singular: no meaningful estimate
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a] - mean[a];
      for (let b = a; b < d; b++) cov[a * d + b] += (da * (x[i * d + b] - mean[b])) / (n - 1);
    }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];
  // a tiny ridge keeps collapsed (constant) dimensions from making the determinant zero
  for (let a = 0; a < d; a++) cov[a * d + a] += 1e-9;
  let sumLogVar = 0;
  for (let a = 0; a < d; a++) sumLogVar += Math.log(cov[a * d + a]);
  // log det by Cholesky
  const l = new Float64Array(d * d);
  let logDet = 0;
  for (let j = 0; j < d; j++) {
    let s = cov[j * d + j];
    for (let k = 0; k < j; k++) s -= l[j * d + k] ** 2;
    if (s <= 0) return Infinity;
    l[j * d + j] = Math.sqrt(s);
    logDet += 2 * Math.log(l[j * d + j]);
    for (let i = j + 1; i < d; i++) {
      let t = cov[i * d + j];
      for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = t / l[j * d + j];
    }
  }
  return Math.max(0, 0.5 * (sumLogVar - logDet));
}
