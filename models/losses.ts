// The terms of the lectures' objectives, on tensors. All log-densities are in nats.
// Callers run these inside tf.tidy.
import * as tf from '@tensorflow/tfjs';
import { tfSeed } from './random.ts';
import { nativeSigmoidSquaredError, sigmoidSquaredError } from './native/fused-likelihood.ts';

const LOG_2PI = Math.log(2 * Math.PI);

function sumAllButBatch(t: tf.Tensor): tf.Tensor1D {
  const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
  return (axes.length ? tf.sum(t, axes) : t) as tf.Tensor1D;
}

/** log p(x|z) for a Bernoulli with the given logits, summed over pixels: [N]. Works for x in [0,1] too. */
export function bernoulliLogLikelihood(x: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  // x*l - softplus(l) == x log sigmoid(l) + (1-x) log(1-sigmoid(l)), without overflow
  return sumAllButBatch(tf.sub(tf.mul(x, logits), tf.softplus(logits)));
}

/** log N(x | mean, exp(logVar)) summed over pixels: [N]. logVar broadcasts (a scalar for a global variance). */
export function gaussianLogLikelihood(x: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor1D {
  // sub+square, not squaredDifference: its gradient in TF.js 4.22 does not reduce broadcast shapes
  const sq = tf.mul(tf.square(tf.sub(x, mean)), tf.exp(tf.neg(logVar)));
  return sumAllButBatch(tf.mul(-0.5, tf.add(tf.add(sq, logVar), LOG_2PI)));
}

/**
 * gaussianLogLikelihood(x, sigmoid(logits), logVar) for one shared logVar (a scalar): −½ (S·e^(−logVar) +
 * P·(logVar + log 2π)) per image, with S = Σ (x − sigmoid(logits))² over its P values computed in one native
 * pass where the kernels run (native/fused-likelihood.ts); elsewhere, or with a logVar per value, the plain
 * chain above. The two differ only in the order of float sums.
 */
export function gaussianLogLikelihoodOfLogits(x: tf.Tensor, logits: tf.Tensor, logVar: tf.Tensor): tf.Tensor1D {
  if (logVar.size !== 1 || x.rank < 2 || !nativeSigmoidSquaredError()) return gaussianLogLikelihood(x, tf.sigmoid(logits), logVar);
  const pixels = x.size / x.shape[0];
  const lv = tf.reshape(logVar, []);
  const s = sigmoidSquaredError(x, logits);
  return tf.mul(-0.5, tf.add(tf.mul(s, tf.exp(tf.neg(lv))), tf.mul(pixels, tf.add(lv, LOG_2PI)))) as tf.Tensor1D;
}

/** Analytic KL(N(mean, exp(logVar)) || N(0, 1)) per dimension: [N, L]. */
export function klToStdNormal(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(0.5, tf.sub(tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), 1), logVar)) as tf.Tensor2D;
}

/**
 * Analytic KL(N(mean, exp(logVar)) || N(μ_k, v·I)) per component k and dimension: [N, K, L].
 * means [K, L] holds the component means μ_k (the class-conditional prior p(z^Y|y=k)); v the shared variance.
 */
export function klToGaussians(mean: tf.Tensor2D, logVar: tf.Tensor2D, means: tf.Tensor2D, variance = 1): tf.Tensor3D {
  const diff = tf.sub(mean.expandDims(1), means.expandDims(0));
  const rest = tf.sub(tf.sub(tf.div(tf.exp(logVar), variance), 1 - Math.log(variance)), logVar).expandDims(1);
  return tf.mul(0.5, tf.add(tf.div(tf.square(diff), variance), rest)) as tf.Tensor3D;
}

/** log Σ_k (1/K) N(z | μ_k, v·I): an equal-weight Gaussian mixture with shared variance v, [N]. means [K, L]. */
export function logGaussianMixture(z: tf.Tensor2D, means: tf.Tensor2D, variance = 1): tf.Tensor1D {
  const k = means.shape[0];
  const perComponent = tf.sum(logNormal(z.expandDims(1), means.expandDims(0), tf.scalar(Math.log(variance))), 2);
  return tf.sub(tf.logSumExp(perComponent, 1), Math.log(k)) as tf.Tensor1D;
}

/** Elementwise log N(z | mean, exp(logVar)). */
export function logNormal(z: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return tf.mul(-0.5, tf.add(tf.add(tf.mul(tf.square(tf.sub(z, mean)), tf.exp(tf.neg(logVar))), logVar), LOG_2PI));
}

/** Rows `offset`.. of a batch of `total` images: a shard of a data-parallel step draws the batch's noise for its rows. */
export interface BatchRows {
  offset: number;
  total: number;
}

/**
 * The standard normal noise of a step's seed: reparameterize's, and the fused step's (models/native/mlp-vae.ts),
 * which must draw the same values. Its values do not depend on the shape, only on how many.
 */
export function randomNormalFromSeed<R extends tf.Rank>(shape: tf.ShapeMap[R], seed?: number): tf.Tensor<R> {
  return tf.randomNormal(shape, 0, 1, 'float32', tfSeed(seed));
}

/**
 * z = mean + exp(logVar/2) * eps, for M samples per image: [M*N, L] (sample-major).
 * rows: the images are rows offset.. of a batch of `total`; eps is the whole batch's (same seed), cut to them.
 */
export function reparameterize(mean: tf.Tensor2D, logVar: tf.Tensor2D, samples: number, seed?: number, rows?: BatchRows): tf.Tensor2D {
  const [n, l] = mean.shape;
  const eps = rows
    ? tf.slice(randomNormalFromSeed<tf.Rank.R3>([samples, rows.total, l], seed), [0, rows.offset, 0], [samples, n, l])
    : randomNormalFromSeed<tf.Rank.R3>([samples, n, l], seed);
  const z = tf.add(mean.expandDims(0), tf.mul(tf.exp(tf.mul(0.5, logVar)).expandDims(0), eps));
  return z.reshape([samples * n, l]) as tf.Tensor2D;
}

export interface TcTerms {
  /** index-code mutual information KL(q(z,n) || q(z)p(n)) */
  mi: tf.Scalar;
  /** total correlation KL(q(z) || prod_j q(z_j)) */
  tc: tf.Scalar;
  /** dimension-wise KL sum_j KL(q(z_j) || p(z_j)) */
  dimKl: tf.Scalar;
}

/**
 * The β-TCVAE split of E_n[KL(q(z|n)||p(z))] (Chen et al. 2018), estimated from the minibatch:
 * q(z_i) ≈ 1/B Σ_j q(z_i|x_j) over the B images of the batch (and likewise per dimension).
 * Chen et al.'s minibatch-weighted sampling subtracts log(N·B) instead of log B (N = data set size); that
 * shifts MI by +log N, TC by (D−1)·log N and dimension-wise KL by −D·log N: constants, so the gradients
 * are the same, but the reported terms would be off by many nats. We subtract log B so each term is a
 * consistent estimate. z [B,L] holds one sample per image. The three terms sum exactly to
 * mean(log q(z|x) − log p(z)), the sampled KL.
 */
export function tcDecomposition(z: tf.Tensor2D, mean: tf.Tensor2D, logVar: tf.Tensor2D): TcTerms {
  const logB = Math.log(z.shape[0]);
  // [B, B, L]: log q(z_i,d | x_j)
  const mat = logNormal(z.expandDims(1), mean.expandDims(0), logVar.expandDims(0));
  const logQz = tf.sub(tf.logSumExp(tf.sum(mat, 2), 1), logB);
  const logQzProduct = tf.sum(tf.sub(tf.logSumExp(mat, 1), logB), 1);
  const logQzx = tf.sum(logNormal(z, mean, logVar), 1);
  const logPz = tf.sum(logNormal(z, tf.zerosLike(z), tf.zerosLike(z)), 1);
  return {
    mi: tf.mean(tf.sub(logQzx, logQz)) as tf.Scalar,
    tc: tf.mean(tf.sub(logQz, logQzProduct)) as tf.Scalar,
    dimKl: tf.mean(tf.sub(logQzProduct, logPz)) as tf.Scalar,
  };
}

/** Importance-weighted bound per image from log weights [K, N]: log (1/K) Σ_k w_k. */
export function iwaeFromLogWeights(logWeights: tf.Tensor2D): tf.Tensor1D {
  const k = logWeights.shape[0];
  return tf.sub(tf.logSumExp(logWeights, 0), Math.log(k)) as tf.Tensor1D;
}

/** Summed softmax cross-entropy -log p(y|logits) over the rows where mask is 1; 0 if none. */
export function maskedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  const k = logits.shape[1];
  const oneHot = tf.oneHot(tf.maximum(labels, 0).toInt(), k);
  const logP = tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1);
  return tf.sum(tf.mul(tf.neg(logP), mask)) as tf.Scalar;
}

/** Analytic KL(N(mean, exp(logVar)) || N(priorMean, exp(priorLogVar))) per dimension: [N, L] (the iVAE's p(z|u)). */
export function klToDiagGaussian(mean: tf.Tensor2D, logVar: tf.Tensor2D, priorMean: tf.Tensor2D, priorLogVar: tf.Tensor2D): tf.Tensor2D {
  const ratio = tf.exp(tf.sub(logVar, priorLogVar));
  const diff = tf.mul(tf.square(tf.sub(mean, priorMean)), tf.exp(tf.neg(priorLogVar)));
  return tf.mul(0.5, tf.sub(tf.add(tf.sub(priorLogVar, logVar), tf.add(ratio, diff)), 1)) as tf.Tensor2D;
}

/**
 * The denoising autoencoder's corruption of x in [0,1]: 'gaussian' adds N(0, level²) noise (clipped to [0,1]),
 * 'mask' sets each pixel to 0 with probability `level` (Vincent et al. 2008's masking noise). Seeded.
 */
export function corrupt(x: tf.Tensor4D, kind: 'gaussian' | 'mask', level: number, seed?: number): tf.Tensor4D {
  if (level === 0) return x;
  if (kind === 'gaussian') return tf.clipByValue(tf.add(x, tf.randomNormal(x.shape, 0, level, 'float32', tfSeed(seed))), 0, 1) as tf.Tensor4D;
  const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', tfSeed(seed)), level), 'float32');
  return tf.mul(x, keep) as tf.Tensor4D;
}

/**
 * Bandwidth factors of the fair VAE's MMD kernel: k(a, b) = mean_c exp(−‖a − b‖² / (c·h)), h the mean squared
 * distance between the batch's codes (of known s), held fixed in the gradient. A kernel of fixed width was
 * cheaper to satisfy by shrinking every code towards 0 (the probe, on standardised codes, still read s).
 */
export const MMD_BANDWIDTHS = [0.25, 1, 4];

/**
 * t itself, with no gradient through it (TF.js has no stop_gradient). Kept on the device rather than read
 * back as a number: on WebGPU in Node a result cannot be read synchronously inside the loss.
 */
const heldConstant = tf.customGrad(((t: tf.Tensor) => ({ value: tf.clone(t), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as Parameters<typeof tf.customGrad>[0]) as (
  t: tf.Tensor,
) => tf.Tensor;

/**
 * The fair VAE's MMD penalty (Louizos et al. 2016, "The Variational Fair Autoencoder"): for each value k of s,
 * the squared maximum mean discrepancy between the codes z [N, d] of the images with s = k and those of the
 * others, under Gaussian kernels scaled to the batch's codes; the mean over the values with at least two images
 * on each side. The unbiased estimate (pairs of distinct images within a group): its expectation is 0 when the
 * groups' codes have one distribution, however spread. (The biased one, with k(a, a) = 1 in, is 0 only when
 * every code is the same point: it drove the codes to collapse, −ELBO 197 vs 115 after 5 epochs.) It can be
 * slightly below 0. s < 0 (unknown) is left out. s is data, not differentiated: the groups are masks, so no
 * gather is needed (gather's gradient has no wasm kernel).
 */
export function groupMmd(z: tf.Tensor2D, s: Int32Array, values: number): tf.Scalar {
  const n = s.length;
  const sq = tf.sum(tf.square(z), 1);
  const dist = tf.relu(tf.sub(tf.add(sq.expandDims(1), sq.expandDims(0)), tf.mul(2, tf.matMul(z, z, false, true))));
  // the scale h: mean squared distance over pairs of distinct images of known s (a constant for the gradient)
  const pairs = new Float32Array(n * n);
  let count = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && s[i] >= 0 && s[j] >= 0) (pairs[i * n + j] = 1), count++;
  if (count === 0) return tf.scalar(0);
  const h = heldConstant(tf.maximum(tf.div(tf.sum(tf.mul(dist, tf.tensor2d(pairs, [n, n]))), count), 1e-8));
  const kernel = tf.addN(MMD_BANDWIDTHS.map((c) => tf.exp(tf.div(tf.neg(dist), tf.mul(c, h))))).div(MMD_BANDWIDTHS.length) as tf.Tensor2D;
  const terms: tf.Scalar[] = [];
  for (let k = 0; k < values; k++) {
    const a = Float32Array.from(s, (v) => (v === k ? 1 : 0));
    const b = Float32Array.from(s, (v) => (v >= 0 && v !== k ? 1 : 0));
    const na = a.reduce((x, y) => x + y, 0);
    const nb = b.reduce((x, y) => x + y, 0);
    if (na < 2 || nb < 2) continue;
    const ta = tf.tensor2d(a, [n, 1]);
    const tb = tf.tensor2d(b, [n, 1]);
    const quad = (u: tf.Tensor2D, v: tf.Tensor2D) => tf.sum(tf.mul(tf.matMul(kernel, v), u));
    // within a group, pairs of distinct images only (k(a, a) = 1 is taken out): the unbiased estimate
    const within = (t: tf.Tensor2D, m: number) => tf.div(tf.sub(quad(t, t), m), m * (m - 1));
    terms.push(tf.sub(tf.add(within(ta, na), within(tb, nb)), tf.div(tf.mul(2, quad(ta, tb)), na * nb)) as tf.Scalar);
    // with two values the second term is the first again
    if (values === 2) break;
  }
  return terms.length ? (tf.div(tf.addN(terms), terms.length) as tf.Scalar) : tf.scalar(0);
}

/**
 * The adversary penalty the encoder minimises: KL(uniform ‖ p_adv(s | z)) averaged over the images of known s,
 * −(1/K) Σ_k log p_k − log K per image: 0 when the adversary can say nothing about s, growing as it becomes sure.
 * (Pushing its predictions towards uniform, rather than maximising its cross-entropy, keeps the minimax bounded.)
 */
export function adversaryConfusion(logits: tf.Tensor2D, s: Int32Array): tf.Scalar {
  const k = logits.shape[1];
  const known = Float32Array.from(s, (v) => (v >= 0 ? 1 : 0));
  const n = known.reduce((a, v) => a + v, 0);
  if (n === 0) return tf.scalar(0);
  const perImage = tf.sub(tf.neg(tf.mean(tf.logSoftmax(logits), 1)), Math.log(k));
  return tf.div(tf.sum(tf.mul(perImage, tf.tensor1d(known))), n) as tf.Scalar;
}
