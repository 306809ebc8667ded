// PPCA and factor analysis: a likelihood worked out by hand, the closed form against the eigendecomposition,
// EM against known loadings, and the linear encoder/decoder the views use.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import {
  averageLogLikelihood,
  canonicalRotation,
  fitFactorAnalysis,
  linearGaussianFromDecoder,
  linearGaussianNetworks,
  logLikelihoods,
  posteriorMeans,
  ppcaFromEigen,
  ppcaMaxLogLikelihood,
  type LinearGaussian,
} from '../../models/linear-gaussian.ts';
import { covariance, symmetricEigen } from '../../electron/engine/projections/pca.ts';
import { mulberry32 } from '../../models/random.ts';

beforeAll(async () => {
  await useWasm();
});

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** n rows of x = W z + μ + ε with ε ~ N(0, diag psi): the data and the true model. */
function synthetic(n: number, dim: number, q: number, psi: number[], seed: number) {
  const rand = mulberry32(seed);
  const w = Float64Array.from({ length: dim * q }, () => gaussian(rand));
  const mean = Float64Array.from({ length: dim }, () => rand());
  const x = new Float64Array(n * dim);
  const z = new Float64Array(q);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < q; j++) z[j] = gaussian(rand);
    for (let d = 0; d < dim; d++) {
      let v = mean[d] + Math.sqrt(psi[d]) * gaussian(rand);
      for (let j = 0; j < q; j++) v += w[d * q + j] * z[j];
      x[r * dim + d] = v;
    }
  }
  return { x, truth: { kind: 'fa', dim, latent: q, mean, loadings: w, noiseVariance: Float64Array.from(psi) } as LinearGaussian };
}

/** W Wᵀ + Ψ, the model's covariance [D x D]. */
function modelCovariance(m: LinearGaussian): Float64Array {
  const { dim, latent: q } = m;
  const c = new Float64Array(dim * dim);
  for (let a = 0; a < dim; a++)
    for (let b = 0; b < dim; b++) {
      let v = a === b ? m.noiseVariance[a] : 0;
      for (let j = 0; j < q; j++) v += m.loadings[a * q + j] * m.loadings[b * q + j];
      c[a * dim + b] = v;
    }
  return c;
}

/** ‖W Wᵀ − W* W*ᵀ‖ / ‖W* W*ᵀ‖: loadings compared free of their rotation (any W R with R orthogonal fits alike). */
function loadingsError(est: LinearGaussian, truth: LinearGaussian): number {
  const a = modelCovariance({ ...est, noiseVariance: new Float64Array(est.dim) });
  const b = modelCovariance({ ...truth, noiseVariance: new Float64Array(truth.dim) });
  let err = 0;
  let size = 0;
  for (let i = 0; i < a.length; i++) {
    err += (a[i] - b[i]) ** 2;
    size += b[i] ** 2;
  }
  return Math.sqrt(err / size);
}

function ppcaFit(x: Float64Array, n: number, dim: number, q: number) {
  const { mean, cov } = covariance(x, n, dim);
  let total = 0;
  for (let d = 0; d < dim; d++) total += cov[d * dim + d];
  const eig = symmetricEigen(cov, dim);
  return { mean, cov, eig, total, model: ppcaFromEigen(mean, eig.values, eig.vectors, total, q) };
}

describe('linear Gaussian models', () => {
  it('log-likelihood and posterior of a 2-pixel, 1-factor model match the hand computation', () => {
    // W = [1, 2]ᵀ, Ψ = diag(0.5, 1), μ = 0: C = [[1.5, 2], [2, 5]], |C| = 3.5, C⁻¹ = [[5, −2], [−2, 1.5]]/3.5.
    // x = (1, 1): xᵀC⁻¹x = (5 − 4 + 1.5)/3.5 = 0.7142857; log p = −½(2 log 2π + log 3.5 + 0.7142857) = −2.8214014.
    // M = 1 + WᵀΨ⁻¹W = 1 + 2 + 4 = 7, E[z|x] = M⁻¹WᵀΨ⁻¹x = (2 + 2)/7 = 0.5714286, Var[z|x] = 1/7.
    const m: LinearGaussian = { kind: 'fa', dim: 2, latent: 1, mean: new Float64Array(2), loadings: Float64Array.of(1, 2), noiseVariance: Float64Array.of(0.5, 1) };
    expect(logLikelihoods(m, [1, 1], 1)[0]).toBeCloseTo(-2.8214014, 6);
    const post = posteriorMeans(m, [1, 1], 1);
    expect(post.means[0]).toBeCloseTo(4 / 7, 7);
    expect(post.variances[0]).toBeCloseTo(1 / 7, 7);
    // The average over data with mean 0 and covariance xxᵀ is the same single-image figure.
    expect(averageLogLikelihood(m, new Float64Array(2), Float64Array.of(1, 1, 1, 1))).toBeCloseTo(-2.8214014, 6);
  });

  it('PPCA in closed form reaches the maximum likelihood of Tipping & Bishop, and C has the data eigenvalues on the kept axes', () => {
    const dim = 10;
    const q = 3;
    const n = 3000;
    const { x, truth } = synthetic(n, dim, q, Array(dim).fill(0.2), 1);
    const fit = ppcaFit(x, n, dim, q);
    // the data were made by a PPCA model (isotropic noise 0.2): its loadings come back
    expect(loadingsError(fit.model, truth)).toBeLessThan(0.06);
    const best = ppcaMaxLogLikelihood(fit.eig.values, fit.total, dim, q);
    const perImage = logLikelihoods(fit.model, x, n);
    const mean = perImage.reduce((a, v) => a + v, 0) / n;
    expect(mean).toBeCloseTo(best, 6);
    expect(averageLogLikelihood(fit.model, fit.mean, fit.cov)).toBeCloseTo(best, 6);
    // C u_j = λ_j u_j for the q kept eigenvectors, σ² u_j for the others
    const c = modelCovariance(fit.model);
    const sigma2 = fit.model.noiseVariance[0];
    expect(sigma2).toBeGreaterThan(0.15);
    expect(sigma2).toBeLessThan(0.25);
    for (const j of [0, 2, 5]) {
      const expected = j < q ? fit.eig.values[j] : sigma2;
      for (let a = 0; a < dim; a++) {
        let cu = 0;
        for (let b = 0; b < dim; b++) cu += c[a * dim + b] * fit.eig.vectors[j * dim + b];
        expect(cu).toBeCloseTo(expected * fit.eig.vectors[j * dim + a], 8);
      }
    }
    // It is a maximum: moving W or σ² lowers the likelihood.
    const moved = { ...fit.model, loadings: fit.model.loadings.map((v, i) => v * (i % 2 ? 1.05 : 0.97)) };
    expect(averageLogLikelihood(moved, fit.mean, fit.cov)).toBeLessThan(best - 1e-4);
    const noisier = { ...fit.model, noiseVariance: fit.model.noiseVariance.map((v) => v * 1.1) };
    expect(averageLogLikelihood(noisier, fit.mean, fit.cov)).toBeLessThan(best - 1e-4);
  });

  it('factor analysis by EM recovers known loadings and per-pixel noise; the likelihood never falls and beats PPCA', () => {
    const dim = 12;
    const q = 2;
    const n = 20000;
    const psi = Array.from({ length: dim }, (_, d) => 0.05 + (0.6 * d) / (dim - 1));
    const { x, truth } = synthetic(n, dim, q, psi, 2);
    const fit = ppcaFit(x, n, dim, q);
    const fa = fitFactorAnalysis(fit.mean, fit.cov, q, { init: fit.model, iterations: 500, tolerance: 1e-9 });
    const ll = fa.logLikelihoods;
    for (let i = 1; i < ll.length; i++) expect(ll[i]).toBeGreaterThanOrEqual(ll[i - 1] - 1e-9);
    expect(ll[ll.length - 1]).toBeGreaterThan(averageLogLikelihood(fit.model, fit.mean, fit.cov) + 0.05);
    // Ψ within sampling error; W Wᵀ (rotation-free) close to the truth
    fa.model.noiseVariance.forEach((v, d) => expect(Math.abs(v - psi[d])).toBeLessThan(0.06 + 0.1 * psi[d]));
    expect(loadingsError(fa.model, truth)).toBeLessThan(0.05);
  });

  it('the canonical rotation keeps the likelihood and makes the posterior diagonal', () => {
    const dim = 8;
    const q = 3;
    const n = 4000;
    const psi = Array.from({ length: dim }, (_, d) => 0.1 + 0.05 * d);
    const { x } = synthetic(n, dim, q, psi, 3);
    const fit = ppcaFit(x, n, dim, q);
    const fa = fitFactorAnalysis(fit.mean, fit.cov, q, { init: fit.model, iterations: 50 }).model;
    const rotated = canonicalRotation(fa, symmetricEigen);
    expect(averageLogLikelihood(rotated, fit.mean, fit.cov)).toBeCloseTo(averageLogLikelihood(fa, fit.mean, fit.cov), 8);
    // WᵀΨ⁻¹W diagonal and descending
    const g = (i: number, j: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (rotated.loadings[d * q + i] * rotated.loadings[d * q + j]) / rotated.noiseVariance[d];
      return s;
    };
    expect(Math.abs(g(0, 1)) + Math.abs(g(0, 2)) + Math.abs(g(1, 2))).toBeLessThan(1e-6 * g(0, 0));
    expect(g(0, 0)).toBeGreaterThan(g(1, 1));
    expect(g(1, 1)).toBeGreaterThan(g(2, 2));
  });

  it('as networks: the encoder gives the posterior, the decoder W z + μ, and the decoder gives the model back; no tensor leaks', async () => {
    const side = 3;
    const dim = side * side;
    const q = 2;
    const n = 2000;
    const { x } = synthetic(n, dim, q, Array.from({ length: dim }, (_, d) => 0.1 + 0.02 * d), 4);
    const fit = ppcaFit(x, n, dim, q);
    const model = canonicalRotation(fitFactorAnalysis(fit.mean, fit.cov, q, { init: fit.model, iterations: 30 }).model, symmetricEigen);
    const before = tf.memory().numTensors;
    const { encoder, decoder } = linearGaussianNetworks(model, side, 1);
    const rows = x.slice(0, 5 * dim);
    const [mean, logVar] = tf.tidy(() => encoder.predict(tf.tensor4d(Float32Array.from(rows), [5, side, side, 1])) as tf.Tensor[]);
    const post = posteriorMeans(model, rows, 5);
    Array.from(mean.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(post.means[i], 3));
    Array.from(logVar.dataSync()).forEach((v, i) => expect(Math.exp(v)).toBeCloseTo(post.variances[i % q], 5));
    const decodedT = tf.tidy(() => decoder.predict(tf.tensor2d([[1, -2]])) as tf.Tensor);
    const decoded = decodedT.dataSync();
    decodedT.dispose();
    for (let d = 0; d < dim; d++) expect(decoded[d]).toBeCloseTo(model.mean[d] + model.loadings[d * q] - 2 * model.loadings[d * q + 1], 4);
    const back = await linearGaussianFromDecoder('fa', decoder, model.noiseVariance);
    expect(averageLogLikelihood(back, fit.mean, fit.cov)).toBeCloseTo(averageLogLikelihood(model, fit.mean, fit.cov), 3);
    tf.dispose([mean, logVar]);
    encoder.dispose();
    decoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
