// PPCA and factor analysis on a dataset's pixels: the covariance of the training images (streamed in chunks,
// never a float copy of the whole set), PPCA's closed form from its eigenpairs, FA's EM from there, and the
// exact test log-likelihood. The math is models/linear-gaussian.ts's; this module feeds it the images.
import type { Dataset } from '../datasets/types.ts';
import { inferenceBinarize, pixelsToFloats } from '../../../models/pixels.ts';
import {
  averageLogLikelihood,
  canonicalRotation,
  fitFactorAnalysis,
  logLikelihoods,
  posteriorMeans,
  ppcaFromEigen,
  type LinearGaussian,
  type LinearGaussianKind,
} from '../../../models/linear-gaussian.ts';
import { covariance, symmetricEigen } from '../projections/pca.ts';

/** Largest values per image a linear model is fitted on: its D x D covariance and eigendecomposition grow as D² and D³. */
export const LINEAR_MAX_PIXELS = 3072;
/** EM iterations of factor analysis at most; it stops earlier when the likelihood gains under 1e-3 nats per image. */
export const FA_ITERATIONS = 200;
const CHUNK = 2000;

export interface LinearFitHooks {
  /** After each EM iteration (FA): iteration from 1, of at most FA_ITERATIONS, and the training log-likelihood per image. */
  onIteration?(iteration: number, of: number, logLikelihood: number): void;
  /** Polled between iterations: true ends EM early with the model so far. */
  shouldStop?(): boolean;
}

export interface LinearFit {
  model: LinearGaussian;
  /** EM iterations run (0 for PPCA) */
  iterations: number;
  /** mean log p(x) over the training images, nats per image */
  trainLogLikelihood: number;
  /** the same on the test images (null without a test split) */
  testLogLikelihood: number | null;
  /** KL(p(z|x) || N(0, I)) per dimension, mean over the test images (the exact posterior is diagonal after the canonical rotation) */
  klPerDim: number[];
  /** the same over (up to 5,000 of) the training images */
  trainKlPerDim: number[];
  /** whether EM stopped because the job was stopped */
  stopped: boolean;
}

/** The training images' mean and covariance (divided by N), accumulated chunk by chunk. */
export function trainingMoments(ds: Dataset, indices: number[]): { mean: Float64Array; cov: Float64Array } {
  const { size, channels, pixels } = ds.images;
  const dim = size * size * channels;
  const binarize = inferenceBinarize(ds.options.binarize);
  const second = new Float64Array(dim * dim);
  const mean = new Float64Array(dim);
  const n = indices.length;
  for (let start = 0; start < n; start += CHUNK) {
    const idx = indices.slice(start, start + CHUNK);
    const part = covariance(pixelsToFloats(pixels, idx, size, channels, binarize), idx.length, dim);
    const w = idx.length / n;
    for (let a = 0; a < dim; a++) {
      mean[a] += w * part.mean[a];
      for (let b = 0; b < dim; b++) second[a * dim + b] += w * (part.cov[a * dim + b] + part.mean[a] * part.mean[b]);
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) second[a * dim + b] -= mean[a] * mean[b];
  return { mean, cov: second };
}

/** Mean log p(x) (nats per image) and mean KL per dimension of the exact posterior, over `indices`. */
export function linearScores(model: LinearGaussian, ds: Dataset, indices: number[]): { logLikelihood: number; klPerDim: number[] } {
  const { size, channels, pixels } = ds.images;
  const binarize = inferenceBinarize(ds.options.binarize);
  const q = model.latent;
  let sum = 0;
  const kl = new Float64Array(q);
  for (let start = 0; start < indices.length; start += CHUNK) {
    const idx = indices.slice(start, start + CHUNK);
    const x = pixelsToFloats(pixels, idx, size, channels, binarize);
    for (const v of logLikelihoods(model, x, idx.length)) sum += v;
    const post = posteriorMeans(model, x, idx.length);
    for (let i = 0; i < idx.length; i++)
      for (let j = 0; j < q; j++) {
        const m = post.means[i * q + j];
        const v = post.variances[j];
        kl[j] += 0.5 * (v + m * m - 1 - Math.log(v));
      }
  }
  const n = Math.max(1, indices.length);
  return { logLikelihood: sum / n, klPerDim: Array.from(kl, (v) => v / n) };
}

/** Fits PPCA (closed form) or FA (EM from the PPCA fit) with `latent` factors on the training images. */
export function fitLinear(kind: LinearGaussianKind, ds: Dataset, train: number[], test: number[], latent: number, hooks: LinearFitHooks = {}): LinearFit {
  const { mean, cov } = trainingMoments(ds, train);
  const dim = mean.length;
  let total = 0;
  for (let d = 0; d < dim; d++) total += cov[d * dim + d];
  const eig = symmetricEigen(cov, dim);
  let model = ppcaFromEigen(mean, eig.values, eig.vectors, total, latent);
  let iterations = 0;
  let stopped = false;
  if (kind === 'fa') {
    const fa = fitFactorAnalysis(mean, cov, latent, {
      init: model,
      iterations: FA_ITERATIONS,
      tolerance: 1e-3,
      onIteration: (it, ll) => {
        iterations = it;
        hooks.onIteration?.(it, FA_ITERATIONS, ll);
        if (hooks.shouldStop?.()) {
          stopped = true;
          return false;
        }
      },
    });
    model = fa.model;
  }
  model = canonicalRotation(model, symmetricEigen);
  const trainScores = linearScores(model, ds, train.length > 5000 ? train.slice(0, 5000) : train);
  const testScores = test.length ? linearScores(model, ds, test) : null;
  return {
    model,
    iterations,
    // exact over every training image, from the moments
    trainLogLikelihood: averageLogLikelihood(model, mean, cov),
    trainKlPerDim: trainScores.klPerDim,
    testLogLikelihood: testScores?.logLikelihood ?? null,
    klPerDim: (testScores ?? trainScores).klPerDim,
    stopped,
  };
}
