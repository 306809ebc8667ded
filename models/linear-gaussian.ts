// Probabilistic PCA and factor analysis: the lectures' starting point ("From Factor Analysis to Variational
// Auto Encoders"). x = W z + μ + ε, z ~ N(0, I_q), ε ~ N(0, Ψ); PPCA has Ψ = σ²I and a closed form
// (Tipping & Bishop 1999), factor analysis a diagonal Ψ fitted by EM (Rubin & Thayer 1982).
// Plain float64 math on the sample covariance; the engine computes the covariance and its eigenpairs
// (electron/engine/projections/pca.ts) and passes them in, so models/ stays free of the app.
// The fitted model also becomes a linear encoder/decoder pair in the run folder's TF.js format, so the
// explorer's views (traversal, manifold, embedding) work on it unchanged.
import * as tf from '@tensorflow/tfjs';

const LOG_2PI = Math.log(2 * Math.PI);

export type LinearGaussianKind = 'ppca' | 'fa';

export interface LinearGaussian {
  kind: LinearGaussianKind;
  /** D, pixels per image */
  dim: number;
  /** q, latent dimensions */
  latent: number;
  /** μ [D] */
  mean: Float64Array;
  /** W [D x q], row-major */
  loadings: Float64Array;
  /** Ψ [D] (PPCA: D copies of σ²) */
  noiseVariance: Float64Array;
}

/** A symmetric eigensolver: eigenvalues descending, eigenvectors as rows (pca.ts's symmetricEigen). */
export type SymmetricEigen = (matrix: Float64Array, size: number) => { values: Float64Array; vectors: Float64Array };

/**
 * PPCA's maximum-likelihood solution from the top eigenpairs of the sample covariance (Tipping & Bishop,
 * eqs. 7-8): σ² = (tr S − Σ_{j≤q} λ_j)/(D − q), W = U_q (Λ_q − σ²I)^{1/2}. vectors: at least q rows of D.
 * σ² is kept at or above minVariance (pixels that never change would make the density infinite).
 */
export function ppcaFromEigen(mean: Float64Array, values: ArrayLike<number>, vectors: Float64Array, totalVariance: number, latent: number, minVariance = 1e-4): LinearGaussian {
  const dim = mean.length;
  if (!(latent >= 1 && latent < dim)) throw new Error(`PPCA: latent must be from 1 to ${dim - 1} (got ${latent})`);
  let kept = 0;
  for (let j = 0; j < latent; j++) kept += values[j];
  const sigma2 = Math.max((totalVariance - kept) / (dim - latent), minVariance);
  const loadings = new Float64Array(dim * latent);
  for (let j = 0; j < latent; j++) {
    const scale = Math.sqrt(Math.max(values[j] - sigma2, 0));
    for (let d = 0; d < dim; d++) loadings[d * latent + j] = vectors[j * dim + d] * scale;
  }
  return { kind: 'ppca', dim, latent, mean: Float64Array.from(mean), loadings, noiseVariance: new Float64Array(dim).fill(sigma2) };
}

/** The average log-likelihood of PPCA at its maximum (Tipping & Bishop eq. 4 with eq. 7-8 inserted), nats per image. */
export function ppcaMaxLogLikelihood(values: ArrayLike<number>, totalVariance: number, dim: number, latent: number): number {
  let kept = 0;
  let logDet = 0;
  for (let j = 0; j < latent; j++) {
    kept += values[j];
    logDet += Math.log(values[j]);
  }
  const sigma2 = (totalVariance - kept) / (dim - latent);
  return -0.5 * (dim * LOG_2PI + logDet + (dim - latent) * Math.log(sigma2) + dim);
}

// ---- small dense linear algebra (q x q) ----

/** Inverse and log-determinant of a symmetric positive-definite n x n matrix by Cholesky. */
export function spdInverse(a: Float64Array, n: number): { inverse: Float64Array; logDet: number } {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('matrix is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(l[i * n + i]);
  // L^{-1} by forward substitution, then A^{-1} = L^{-T} L^{-1}
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * li[k * n + c];
      li[i * n + c] = s / l[i * n + i];
    }
  }
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      inverse[i * n + j] = inverse[j * n + i] = s;
    }
  return { inverse, logDet };
}

/** What the likelihood and the posterior need: A = Ψ^{-1}W, M = I + WᵀΨ^{-1}W, M^{-1}, log|C|. */
interface Posterior {
  a: Float64Array;
  mInv: Float64Array;
  /** log |W Wᵀ + Ψ| = log|M| + Σ log Ψ_d */
  logDet: number;
}

function posterior(model: LinearGaussian): Posterior {
  const { dim, latent: q, loadings: w, noiseVariance: psi } = model;
  const a = new Float64Array(dim * q);
  const m = new Float64Array(q * q);
  let logPsi = 0;
  for (let d = 0; d < dim; d++) {
    logPsi += Math.log(psi[d]);
    for (let j = 0; j < q; j++) a[d * q + j] = w[d * q + j] / psi[d];
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) m[i * q + j] += w[d * q + i] * a[d * q + j];
  }
  for (let i = 0; i < q; i++) {
    m[i * q + i] += 1;
    for (let j = 0; j < i; j++) m[j * q + i] = m[i * q + j];
  }
  const { inverse, logDet } = spdInverse(m, q);
  return { a, mInv: inverse, logDet: logDet + logPsi };
}

/**
 * log N(x | μ, W Wᵀ + Ψ) per row of x [n x D], nats, by the Woodbury identity (never a D x D inverse):
 * rᵀC^{-1}r = Σ r_d²/Ψ_d − (Aᵀr)ᵀ M^{-1} (Aᵀr), log|C| = log|M| + Σ log Ψ_d, with r = x − μ.
 */
export function logLikelihoods(model: LinearGaussian, x: ArrayLike<number>, n: number): Float64Array {
  const { dim, latent: q, mean, noiseVariance: psi } = model;
  const p = posterior(model);
  const out = new Float64Array(n);
  const r = new Float64Array(dim);
  const b = new Float64Array(q);
  for (let row = 0; row < n; row++) {
    let quad = 0;
    for (let d = 0; d < dim; d++) {
      r[d] = x[row * dim + d] - mean[d];
      quad += (r[d] * r[d]) / psi[d];
    }
    b.fill(0);
    for (let d = 0; d < dim; d++) for (let j = 0; j < q; j++) b[j] += p.a[d * q + j] * r[d];
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) quad -= b[i] * p.mInv[i * q + j] * b[j];
    out[row] = -0.5 * (dim * LOG_2PI + p.logDet + quad);
  }
  return out;
}

/** The average log-likelihood of data with this mean and covariance S [D x D] (nats per image). */
export function averageLogLikelihood(model: LinearGaussian, dataMean: Float64Array, cov: Float64Array): number {
  const { dim, latent: q, mean, noiseVariance: psi } = model;
  const p = posterior(model);
  // E[rᵀC^{-1}r] = tr(C^{-1}S') with S' = S + (m − μ)(m − μ)ᵀ
  const delta = new Float64Array(dim);
  for (let d = 0; d < dim; d++) delta[d] = dataMean[d] - mean[d];
  let trace = 0;
  for (let d = 0; d < dim; d++) trace += (cov[d * dim + d] + delta[d] * delta[d]) / psi[d];
  // tr(A M^{-1} Aᵀ S') = Σ_ij M^{-1}_ij (Aᵀ S' A)_ji
  const sa = new Float64Array(dim * q);
  matMulSym(cov, p.a, dim, q, sa);
  const ad = new Float64Array(q);
  for (let d = 0; d < dim; d++) for (let j = 0; j < q; j++) ad[j] += p.a[d * q + j] * delta[d];
  for (let i = 0; i < q; i++)
    for (let j = 0; j < q; j++) {
      let asa = ad[i] * ad[j];
      for (let d = 0; d < dim; d++) asa += p.a[d * q + i] * sa[d * q + j];
      trace -= p.mInv[i * q + j] * asa;
    }
  return -0.5 * (dim * LOG_2PI + p.logDet + trace);
}

/** out [D x q] = S [D x D] · B [D x q]. */
function matMulSym(s: Float64Array, b: Float64Array, dim: number, q: number, out: Float64Array): void {
  out.fill(0);
  for (let d = 0; d < dim; d++) {
    const row = d * dim;
    const o = d * q;
    for (let e = 0; e < dim; e++) {
      const v = s[row + e];
      if (v === 0) continue;
      const bo = e * q;
      for (let j = 0; j < q; j++) out[o + j] += v * b[bo + j];
    }
  }
}

export interface FaOptions {
  /** EM iterations at most (default 200) */
  iterations?: number;
  /** stop when the average log-likelihood gains less than this, nats per image (default 1e-4) */
  tolerance?: number;
  /** floor of each Ψ_d (default 1e-4, the Gaussian VAE's floor on the pixel variance) */
  minVariance?: number;
  /** starting point (default: PPCA's W with Ψ_d = S_dd − Σ_j W_dj²) */
  init?: LinearGaussian;
  /** after each iteration: its number from 1 and the average log-likelihood before the step; return false to stop */
  onIteration?: (iteration: number, logLikelihood: number) => boolean | void;
}

/**
 * Factor analysis by EM on the sample covariance S (Rubin & Thayer 1982; Bishop PRML §12.2.4):
 *   β = M^{-1} Wᵀ Ψ^{-1},  E[zzᵀ] = M^{-1} + β S βᵀ,  W' = S βᵀ E[zzᵀ]^{-1},  Ψ'_d = S_dd − (W' β S)_dd.
 * Each step cannot lower the likelihood; returns the model and the average log-likelihood per iteration
 * (before each step, then the final one).
 */
export function fitFactorAnalysis(mean: Float64Array, cov: Float64Array, latent: number, options: FaOptions = {}): { model: LinearGaussian; logLikelihoods: number[] } {
  const dim = mean.length;
  const q = latent;
  const minVar = options.minVariance ?? 1e-4;
  const iterations = options.iterations ?? 200;
  const tolerance = options.tolerance ?? 1e-4;
  if (!options.init) throw new Error('factor analysis: needs a starting point (the PPCA fit)');
  const w = Float64Array.from(options.init.loadings);
  const psi = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    let ww = 0;
    for (let j = 0; j < q; j++) ww += w[d * q + j] ** 2;
    psi[d] = Math.max(cov[d * dim + d] - ww, minVar);
  }
  const model: LinearGaussian = { kind: 'fa', dim, latent: q, mean: Float64Array.from(mean), loadings: w, noiseVariance: psi };
  const history: number[] = [];
  const sb = new Float64Array(dim * q);
  const beta = new Float64Array(dim * q); // βᵀ [D x q]
  for (let it = 1; it <= iterations; it++) {
    const p = posterior(model);
    // βᵀ = A M^{-1}
    beta.fill(0);
    for (let d = 0; d < dim; d++) for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) beta[d * q + j] += p.a[d * q + i] * p.mInv[i * q + j];
    matMulSym(cov, beta, dim, q, sb); // S βᵀ
    // log-likelihood of the current model from what the step computes anyway
    let trace = 0;
    for (let d = 0; d < dim; d++) trace += cov[d * dim + d] / psi[d];
    // tr(A M^{-1} Aᵀ S) = tr(Aᵀ S βᵀ) = Σ_d Σ_j A_dj (Sβᵀ)_dj
    for (let d = 0; d < dim; d++) for (let j = 0; j < q; j++) trace -= p.a[d * q + j] * sb[d * q + j];
    const ll = -0.5 * (dim * LOG_2PI + p.logDet + trace);
    history.push(ll);
    if (options.onIteration?.(it, ll) === false) break;
    if (history.length > 1 && ll - history[history.length - 2] < tolerance) break;
    // E[zzᵀ] = M^{-1} + β S βᵀ
    const ezz = Float64Array.from(p.mInv);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) for (let d = 0; d < dim; d++) ezz[i * q + j] += beta[d * q + i] * sb[d * q + j];
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) ezz[i * q + j] = ezz[j * q + i] = (ezz[i * q + j] + ezz[j * q + i]) / 2;
    const ezzInv = spdInverse(ezz, q).inverse;
    for (let d = 0; d < dim; d++) {
      let fitted = 0;
      for (let j = 0; j < q; j++) {
        let v = 0;
        for (let i = 0; i < q; i++) v += sb[d * q + i] * ezzInv[i * q + j];
        w[d * q + j] = v;
        fitted += v * sb[d * q + j];
      }
      psi[d] = Math.max(cov[d * dim + d] - fitted, minVar);
    }
  }
  history.push(averageLogLikelihood(model, mean, cov));
  return { model, logLikelihoods: history };
}

/**
 * The model with W rotated so that WᵀΨ^{-1}W is diagonal, largest first (the usual identification of factor
 * analysis; for PPCA it orders the principal axes). The likelihood is unchanged (W R Rᵀ Wᵀ = W Wᵀ), and the
 * posterior covariance M^{-1} becomes diagonal, so the run's encoder (mean and per-dimension variance)
 * describes q(z|x) = p(z|x) exactly. Signs: each column's largest |loading| positive.
 */
export function canonicalRotation(model: LinearGaussian, eigen: SymmetricEigen): LinearGaussian {
  const { dim, latent: q, loadings: w, noiseVariance: psi } = model;
  const g = new Float64Array(q * q);
  for (let d = 0; d < dim; d++) for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) g[i * q + j] += (w[d * q + i] * w[d * q + j]) / psi[d];
  const { vectors } = eigen(g, q);
  const out = new Float64Array(dim * q);
  for (let j = 0; j < q; j++) {
    let biggest = 0;
    for (let d = 0; d < dim; d++) {
      let v = 0;
      for (let i = 0; i < q; i++) v += w[d * q + i] * vectors[j * q + i];
      out[d * q + j] = v;
      if (Math.abs(v) > Math.abs(biggest)) biggest = v;
    }
    if (biggest < 0) for (let d = 0; d < dim; d++) out[d * q + j] = -out[d * q + j];
  }
  return { ...model, loadings: out };
}

/** E[z|x] = M^{-1}Aᵀ(x − μ) per row [n x q], and the posterior variances diag(M^{-1}) [q]. */
export function posteriorMeans(model: LinearGaussian, x: ArrayLike<number>, n: number): { means: Float64Array; variances: Float64Array } {
  const { dim, latent: q, mean } = model;
  const p = posterior(model);
  const means = new Float64Array(n * q);
  const b = new Float64Array(q);
  for (let row = 0; row < n; row++) {
    b.fill(0);
    for (let d = 0; d < dim; d++) {
      const r = x[row * dim + d] - mean[d];
      for (let j = 0; j < q; j++) b[j] += p.a[d * q + j] * r;
    }
    for (let i = 0; i < q; i++) {
      let v = 0;
      for (let j = 0; j < q; j++) v += p.mInv[i * q + j] * b[j];
      means[row * q + i] = v;
    }
  }
  return { means, variances: Float64Array.from({ length: q }, (_, j) => p.mInv[j * q + j]) };
}

/**
 * The model as the run folder's encoder and decoder (TF.js layers, loadable anywhere):
 *   encoder: image → [E[z|x] = M^{-1}Aᵀ(x − μ), log diag M^{-1}] (a dense layer, and one with a zero kernel),
 *   decoder: z → W z + μ, the pixel means themselves (not logits: VaeModel.decode clips them to [0, 1]).
 * The posterior is exact when WᵀΨ^{-1}W is diagonal (canonicalRotation); otherwise its diagonal.
 */
export function linearGaussianNetworks(model: LinearGaussian, imageSize: number, channels: number): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
  const { dim, latent: q, mean, loadings: w } = model;
  if (imageSize * imageSize * channels !== dim) throw new Error(`linear model has ${dim} pixels, images have ${imageSize}x${imageSize}x${channels}`);
  const p = posterior(model);
  // βᵀ [D x q] = A M^{-1}: the encoder's kernel; its bias −β μ
  const kernel = new Float32Array(dim * q);
  const bias = new Float32Array(q);
  for (let d = 0; d < dim; d++)
    for (let j = 0; j < q; j++) {
      let v = 0;
      for (let i = 0; i < q; i++) v += p.a[d * q + i] * p.mInv[i * q + j];
      kernel[d * q + j] = v;
      bias[j] -= v * mean[d];
    }
  const logVarBias = Float32Array.from({ length: q }, (_, j) => Math.log(p.mInv[j * q + j]));
  const image = tf.input({ shape: [imageSize, imageSize, channels], name: 'image' });
  const flat = tf.layers.flatten({ name: 'enc_flatten' }).apply(image) as tf.SymbolicTensor;
  const meanLayer = tf.layers.dense({ units: q, name: 'z_mean' });
  const logVarLayer = tf.layers.dense({ units: q, name: 'z_log_var' });
  const encoder = tf.model({ inputs: image, outputs: [meanLayer.apply(flat) as tf.SymbolicTensor, logVarLayer.apply(flat) as tf.SymbolicTensor], name: 'encoder' });
  const z = tf.input({ shape: [q], name: 'z' });
  const outLayer = tf.layers.dense({ units: dim, name: 'dec_logits' });
  const shaped = tf.layers.reshape({ targetShape: [imageSize, imageSize, channels], name: 'dec_image' }).apply(outLayer.apply(z) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const decoder = tf.model({ inputs: z, outputs: shaped, name: 'decoder' });
  const wt = new Float32Array(q * dim);
  for (let d = 0; d < dim; d++) for (let j = 0; j < q; j++) wt[j * dim + d] = w[d * q + j];
  const set = (layer: tf.layers.Layer, values: tf.Tensor[]) => {
    layer.setWeights(values);
    tf.dispose(values);
  };
  set(meanLayer, [tf.tensor2d(kernel, [dim, q]), tf.tensor1d(bias)]);
  set(logVarLayer, [tf.zeros([dim, q]), tf.tensor1d(logVarBias)]);
  set(outLayer, [tf.tensor2d(wt, [q, dim]), tf.tensor1d(Float32Array.from(mean))]);
  return { encoder, decoder };
}

/** W and μ back from a decoder made by linearGaussianNetworks, with Ψ from run.json. */
export async function linearGaussianFromDecoder(kind: LinearGaussianKind, decoder: tf.LayersModel, noiseVariance: ArrayLike<number>): Promise<LinearGaussian> {
  const [kernel, bias] = decoder.getLayer('dec_logits').getWeights();
  const [q, dim] = kernel.shape;
  const wt = await kernel.data();
  const loadings = new Float64Array(dim * q);
  for (let j = 0; j < q; j++) for (let d = 0; d < dim; d++) loadings[d * q + j] = wt[j * dim + d];
  const psi = noiseVariance.length === 1 ? new Float64Array(dim).fill(noiseVariance[0]) : Float64Array.from(noiseVariance);
  if (psi.length !== dim) throw new Error(`noise variances: ${psi.length} values for ${dim} pixels`);
  return { kind, dim, latent: q, mean: Float64Array.from(await bias.data()), loadings, noiseVariance: psi };
}
