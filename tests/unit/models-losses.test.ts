// Each loss term against values worked out by hand on tiny inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import {
  bernoulliLogLikelihood,
  gaussianLogLikelihood,
  iwaeFromLogWeights,
  klToGaussians,
  klToStdNormal,
  logGaussianMixture,
  maskedCrossEntropy,
  reparameterize,
  tcDecomposition,
} from '../../models/losses.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { gaussianTotalCorrelation } from '../../electron/engine/training/evaluate.ts';

beforeAll(async () => {
  await useWasm();
});

const values = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('loss terms', () => {
  it('KL(N(μ,σ²) || N(0,1)) per dimension = ½(μ² + σ² − 1 − log σ²)', () => {
    // μ=1, σ²=1 → ½(1+1−1−0) = 0.5;  μ=0, σ²=4 → ½(0+4−1−log 4) = 0.806853;  μ=0, σ²=1 → 0
    const kl = values(klToStdNormal(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[0, Math.log(4), 0]])));
    expect(kl[0]).toBeCloseTo(0.5, 6);
    expect(kl[1]).toBeCloseTo(0.806853, 5);
    expect(kl[2]).toBeCloseTo(0, 7);
  });

  it('KL(N(m,s²) || N(μ_k, v)) per component = ½((m−μ_k)²/v + s²/v − 1 − log s² + log v)', () => {
    // m=1, s²=1 against μ=(0, 3), v=1: ½(1) = 0.5 and ½(4) = 2;  m=0, s²=0.5 against v=0.5, μ=0: 0
    const kl = values(klToGaussians(tf.tensor2d([[1]]), tf.tensor2d([[0]]), tf.tensor2d([[0], [3]])));
    expect(kl[0]).toBeCloseTo(0.5, 6);
    expect(kl[1]).toBeCloseTo(2, 6);
    expect(values(klToGaussians(tf.tensor2d([[0]]), tf.tensor2d([[Math.log(0.5)]]), tf.tensor2d([[0]]), 0.5))[0]).toBeCloseTo(0, 6);
    // m=2, s²=1, μ=0, v=4: ½(4/4 + 1/4 − 1 − 0 + log 4) = 0.818147
    expect(values(klToGaussians(tf.tensor2d([[2]]), tf.tensor2d([[0]]), tf.tensor2d([[0]]), 4))[0]).toBeCloseTo(0.818147, 5);
  });

  it('log density of an equal-weight Gaussian mixture', () => {
    // z=0, components at ±1, v=1: log N(0|±1,1) = −½ log 2π − ½ = −1.418939 for both → mixture the same
    expect(values(logGaussianMixture(tf.tensor2d([[0]]), tf.tensor2d([[-1], [1]])))[0]).toBeCloseTo(-1.418939, 5);
    // z=(1,0), components (1,0) and (-1,0), v=0.25: log ½(N(1|1,.25)N(0|0,.25) + N(1|−1,.25)N(0|0,.25))
    //   = 2·(−½ log(2π·0.25)) + log ½(1 + e^{−8}) = −0.451583 − 0.693147 + 0.000335 = −1.144395
    expect(values(logGaussianMixture(tf.tensor2d([[1, 0]]), tf.tensor2d([[1, 0], [-1, 0]]), 0.25))[0]).toBeCloseTo(-1.144395, 5);
  });

  it('Bernoulli log-likelihood from logits: each pixel its own value, summed over every axis but the batch', () => {
    // One pixel per image, so each value is checked on its own:
    // x=1, l=0: log σ(0) = −0.693147; x=0, l=2: log(1−σ(2)) = −2.126928; x=1, l=−1: log σ(−1) = −1.313262;
    // x=0.25, l=1 (grey value): 0.25·1 − softplus(1) = 0.25 − 1.313262 = −1.063262
    const perPixel = values(bernoulliLogLikelihood(tf.tensor2d([[1], [0], [1], [0.25]]), tf.tensor2d([[0], [2], [-1], [1]])));
    [-0.693147, -2.126928, -1.313262, -1.063262].forEach((v, i) => expect(perPixel[i]).toBeCloseTo(v, 5));
    // Images [N,H,W,C]: image 0 sums its four pixels (the values above), image 1 is four times log σ(3) = −0.048587
    const x = tf.tensor4d([1, 0, 1, 0.25, 1, 1, 1, 1], [2, 2, 2, 1]);
    const l = tf.tensor4d([0, 2, -1, 1, 3, 3, 3, 3], [2, 2, 2, 1]);
    const images = values(bernoulliLogLikelihood(x, l));
    expect(images).toHaveLength(2);
    expect(images[0]).toBeCloseTo(-0.693147 - 2.126928 - 1.313262 - 1.063262, 4);
    expect(images[1]).toBeCloseTo(4 * -0.048587, 4);
    // extreme logits stay finite (no log(0)): x=1, l=−80 → −80; x=0, l=80 → −80
    const extreme = values(bernoulliLogLikelihood(tf.tensor2d([[1], [0]]), tf.tensor2d([[-80], [80]])));
    expect(extreme[0]).toBeCloseTo(-80, 3);
    expect(extreme[1]).toBeCloseTo(-80, 3);
  });

  it('Gaussian log-likelihood: each pixel its own value, with a global or a per-pixel variance', () => {
    // σ² = 0.01: −½((x−μ)²/σ² + log σ² + log 2π) = 1.383647 for x=μ, −0.616353 for |x−μ| = 0.2, −3.116353 for 0.3
    const ll = values(gaussianLogLikelihood(tf.tensor2d([[0.5], [0.2], [0]]), tf.tensor2d([[0.5], [0], [0.3]]), tf.scalar(Math.log(0.01))));
    [1.383647, -0.616353, -3.116353].forEach((v, i) => expect(ll[i]).toBeCloseTo(v, 4));
    // σ² = 1 and σ² = 4 for the two pixels of one image: −½(0.25 + 0 + log 2π) + −½(1/4 + log 4 + log 2π)
    const perPixelVar = values(gaussianLogLikelihood(tf.tensor2d([[0.5, 1]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[0, Math.log(4)]])));
    expect(perPixelVar[0]).toBeCloseTo(-0.5 * (0.25 + Math.log(2 * Math.PI)) - 0.5 * (0.25 + Math.log(4) + Math.log(2 * Math.PI)), 4);
    // images [N,H,W,C] sum over all their pixels
    const images = values(gaussianLogLikelihood(tf.tensor4d([0.5, 0.2, 0, 0.5], [1, 2, 2, 1]), tf.tensor4d([0.5, 0, 0.3, 0.5], [1, 2, 2, 1]), tf.scalar(Math.log(0.01))));
    expect(images[0]).toBeCloseTo(1.383647 - 0.616353 - 3.116353 + 1.383647, 3);
  });

  it('importance-weighted bound: log mean of the weights', () => {
    // weights 1 and 3 → log 2; a single weight → its log (the ELBO)
    expect(values(iwaeFromLogWeights(tf.tensor2d([[0], [Math.log(3)]])))[0]).toBeCloseTo(Math.log(2), 6);
    expect(values(iwaeFromLogWeights(tf.tensor2d([[-7.5]])))[0]).toBeCloseTo(-7.5, 6);
  });

  it('reparameterisation: z = μ + σ·ε, M samples sample-major; a shard of a batch draws the whole batch\'s ε for its rows', () => {
    const mean = tf.tensor2d([[1, -2], [0, 3], [5, 5], [-1, 0], [2, 2]]);
    const logVar = tf.tensor2d([[0, Math.log(4)], [Math.log(0.25), 0], [0, 0], [Math.log(9), 0], [0, Math.log(16)]]);
    const whole = values(reparameterize(mean, logVar, 2, 77)); // [2·5, 2]
    const eps = values(tf.randomNormal([2, 5, 2], 0, 1, 'float32', 77));
    const m = Array.from(mean.dataSync());
    const sd = values(tf.exp(tf.mul(0.5, logVar)));
    for (let s = 0; s < 2; s++) for (let i = 0; i < 5; i++) for (let d = 0; d < 2; d++) expect(whole[(s * 5 + i) * 2 + d]).toBeCloseTo(m[i * 2 + d] + sd[i * 2 + d] * eps[(s * 5 + i) * 2 + d], 5);
    // Images 2..4 as a shard of the batch of 5 (data-parallel training): the same z as the whole batch's rows 2..4.
    const shard = values(reparameterize(mean.slice([2, 0], [3, 2]), logVar.slice([2, 0], [3, 2]), 2, 77, { offset: 2, total: 5 }));
    expect(shard).toHaveLength(2 * 3 * 2);
    for (let s = 0; s < 2; s++) for (let i = 0; i < 3; i++) for (let d = 0; d < 2; d++) expect(shard[(s * 3 + i) * 2 + d]).toBeCloseTo(whole[(s * 5 + i + 2) * 2 + d], 6);
    // and a shard in the middle (images 1..2)
    const middle = values(reparameterize(mean.slice([1, 0], [2, 2]), logVar.slice([1, 0], [2, 2]), 2, 77, { offset: 1, total: 5 }));
    expect(middle).toHaveLength(2 * 2 * 2);
    for (let s = 0; s < 2; s++) for (let i = 0; i < 2; i++) for (let d = 0; d < 2; d++) expect(middle[(s * 2 + i) * 2 + d]).toBeCloseTo(whole[(s * 5 + i + 1) * 2 + d], 6);
    tf.dispose([mean, logVar]);
  });

  it('masked cross-entropy sums −log p(y) over labelled rows only', () => {
    // row 0: logits [0, log 3] → p(y=1) = 3/4; row 1 unlabelled (−1) is ignored
    const ce = values(maskedCrossEntropy(tf.tensor2d([[0, Math.log(3)], [5, -5]]), tf.tensor1d([1, -1], 'int32'), tf.tensor1d([1, 0])));
    expect(ce[0]).toBeCloseTo(-Math.log(0.75), 6);
  });

  it('β-TCVAE: one image in a data set of one has no MI and no TC; all KL is dimension-wise', () => {
    const mean = tf.tensor2d([[0.3, -1.2]]);
    const logVar = tf.tensor2d([[Math.log(0.5), Math.log(2)]]);
    const z = tf.tensor2d([[0.1, -0.4]]);
    const t = tcDecomposition(z, mean, logVar);
    const [mi, tc, dimKl] = [t.mi, t.tc, t.dimKl].map((v) => values(v)[0]);
    expect(mi).toBeCloseTo(0, 5);
    expect(tc).toBeCloseTo(0, 5);
    // log q(z|x) − log p(z) by hand for z = (0.1, −0.4)
    const logN = (x: number, m: number, v: number) => -0.5 * (Math.log(2 * Math.PI) + Math.log(v) + (x - m) ** 2 / v);
    const expected = logN(0.1, 0.3, 0.5) + logN(-0.4, -1.2, 2) - logN(0.1, 0, 1) - logN(-0.4, 0, 1);
    expect(dimKl).toBeCloseTo(expected, 4);
  });

  it('β-TCVAE: each term equals a brute-force estimate written with explicit loops over the batch', () => {
    // A tiny batch, four images in three dimensions, with distinct means and variances per dimension.
    const B = 4;
    const L = 3;
    const mu = [
      [0.3, -1.2, 0.8],
      [-0.5, 0.4, 1.5],
      [1.1, 0.0, -0.7],
      [-1.4, 2.0, 0.2],
    ];
    const lv = [
      [Math.log(0.5), Math.log(2), Math.log(0.3)],
      [Math.log(1.5), Math.log(0.2), Math.log(1)],
      [Math.log(0.8), Math.log(0.6), Math.log(2.5)],
      [Math.log(0.4), Math.log(1.2), Math.log(0.9)],
    ];
    const zs = [
      [0.1, -0.4, 0.9],
      [-0.2, 0.7, 1.1],
      [0.9, -0.3, -1.0],
      [-1.0, 1.6, 0.5],
    ];
    const logN = (x: number, m: number, logVar: number) => -0.5 * (Math.log(2 * Math.PI) + logVar + (x - m) ** 2 / Math.exp(logVar));
    const logMeanExp = (xs: number[]) => {
      const top = Math.max(...xs);
      return top + Math.log(xs.reduce((s, v) => s + Math.exp(v - top), 0) / xs.length);
    };
    let mi = 0;
    let tc = 0;
    let dimKl = 0;
    for (let i = 0; i < B; i++) {
      let logQzx = 0;
      let logPz = 0;
      for (let d = 0; d < L; d++) {
        logQzx += logN(zs[i][d], mu[i][d], lv[i][d]);
        logPz += logN(zs[i][d], 0, 0);
      }
      // q(z_i) = 1/B Σ_j q(z_i | x_j): the joint density of all dimensions under each image's posterior
      const joint: number[] = [];
      for (let j = 0; j < B; j++) {
        let s = 0;
        for (let d = 0; d < L; d++) s += logN(zs[i][d], mu[j][d], lv[j][d]);
        joint.push(s);
      }
      const logQz = logMeanExp(joint);
      // Π_d q(z_i,d), each marginal q(z_i,d) = 1/B Σ_j q(z_i,d | x_j)
      let logQzProduct = 0;
      for (let d = 0; d < L; d++) {
        const marginal: number[] = [];
        for (let j = 0; j < B; j++) marginal.push(logN(zs[i][d], mu[j][d], lv[j][d]));
        logQzProduct += logMeanExp(marginal);
      }
      mi += (logQzx - logQz) / B;
      tc += (logQz - logQzProduct) / B;
      dimKl += (logQzProduct - logPz) / B;
    }
    const t = tcDecomposition(tf.tensor2d(zs), tf.tensor2d(mu), tf.tensor2d(lv));
    const got = { mi: values(t.mi)[0], tc: values(t.tc)[0], dimKl: values(t.dimKl)[0] };
    expect(got.mi).toBeCloseTo(mi, 4);
    expect(got.tc).toBeCloseTo(tc, 4);
    expect(got.dimKl).toBeCloseTo(dimKl, 4);
    // the three terms are not trivially zero here, so a term computed over the wrong axis shows
    for (const v of [mi, tc, dimKl]) expect(Math.abs(v)).toBeGreaterThan(0.05);
  });

  it('β-TCVAE: on a large batch the three terms add up to the analytic KL, up to Monte Carlo error', () => {
    const b = 1000;
    const mean = tf.randomNormal([b, 3], 0, 1, 'float32', 11) as tf.Tensor2D;
    const logVar = tf.randomUniform([b, 3], -2, 0, 'float32', 12) as tf.Tensor2D;
    const z = reparameterize(mean, logVar, 1, 13);
    const t = tcDecomposition(z, mean, logVar);
    const sum = values(tf.addN([t.mi, t.tc, t.dimKl]))[0];
    const analytic = values(tf.mean(tf.sum(klToStdNormal(mean, logVar), 1)))[0];
    expect(Math.abs(sum - analytic)).toBeLessThan(0.1 * analytic);
    tf.dispose([mean, logVar, z]);
  });

  it('β-TCVAE: total correlation of two noisy copies of one factor matches its closed form; independent codes have none', () => {
    // z = (u + e1, u + e2), u ~ N(0,1), e ~ N(0, 0.04): correlation ρ = 1/1.04, TC = −½ log(1 − ρ²) = 1.2915
    const b = 1000;
    const u = tf.randomNormal([b, 1], 0, 1, 'float32', 21);
    const logVar = tf.fill([b, 2], Math.log(0.04)) as tf.Tensor2D;
    const correlated = tf.concat([u, u], 1) as tf.Tensor2D;
    const independent = tf.randomNormal([b, 2], 0, 1, 'float32', 22) as tf.Tensor2D;
    const tcOf = (m: tf.Tensor2D) => {
      const t = tcDecomposition(reparameterize(m, logVar, 1, 23), m, logVar);
      tf.dispose([t.mi, t.dimKl]);
      return values(t.tc)[0];
    };
    const rho = 1 / 1.04;
    expect(Math.abs(tcOf(correlated) + 0.5 * Math.log(1 - rho * rho))).toBeLessThan(0.15);
    expect(Math.abs(tcOf(independent))).toBeLessThan(0.1);
    tf.dispose([u, logVar, correlated, independent]);
  });

  it('total correlation of latent means (Gaussian fit): ½ log(1/(1−ρ²)) for two dimensions', () => {
    // correlation ρ exactly, from four points; ρ = 0.6 → TC = −½ log(1 − 0.36) = 0.223144
    const rho = 0.6;
    const pts: number[] = [];
    const a = Math.sqrt((1 + rho) / 2);
    const c = Math.sqrt((1 - rho) / 2);
    for (const [s, t] of [[1, 1], [1, -1], [-1, 1], [-1, -1]]) pts.push(a * s + c * t, a * s - c * t);
    // the four points twice: the correlation, and so the TC, is unchanged
    expect(gaussianTotalCorrelation(Float64Array.from([...pts, ...pts]), 8, 2)).toBeCloseTo(-0.5 * Math.log(1 - rho * rho), 5);
    const axes = [1, 0, -1, 0, 0, 1, 0, -1];
    expect(gaussianTotalCorrelation(Float64Array.from([...axes, ...axes]), 8, 2)).toBeCloseTo(0, 6);
    // too few points for a covariance estimate: no number rather than a wrong one
    expect(gaussianTotalCorrelation(Float64Array.from(pts), 4, 2)).toBeNaN();
  });
});

describe('IWAE bound on a model', () => {
  it.each([
    ['VAE', { latent: 4 }],
    ['semi-supervised, class-mixture prior', { objective: 'ssvae' as const, latent: 6, style: 2, numClasses: 10 }],
  ])('%s: is at least the ELBO and tightens as K grows', async (_name, overrides) => {
    const ds = loadSampleMnist();
    const x = pixelsToTensor(ds.images.pixels, Array.from({ length: 64 }, (_, i) => i), 28, 1, 0.5);
    const model = VaeModel.create(defaultModelConfig({ hidden: [64, 32], ...overrides }));
    for (let i = 0; i < 30; i++) await model.trainStep(x, undefined, i);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    // averaged over many samples, to compare the bounds without sampling noise
    const avg = async (f: (seed: number) => Promise<Float32Array>) => {
      const means = new Float32Array(20);
      for (let s = 0; s < 20; s++) means[s] = mean(await f(100 + s));
      return mean(means);
    };
    const elbo = await avg(async (s) => (await model.evaluate(x, s)).negElbo);
    const k10 = await avg((s) => model.negIwae(x, 10, s));
    const k100 = mean(await model.negIwae(x, 100, 7));
    // K = 1 is the ELBO: equal up to sampling noise, judged against the noise actually measured
    // (the mixture prior's sampled KL is noisier than the analytic Gaussian one).
    const gaps: number[] = [];
    for (let s = 0; s < 20; s++) gaps.push(mean(await model.negIwae(x, 1, 100 + s)) - mean((await model.evaluate(x, 100 + s)).negElbo));
    const gap = gaps.reduce((a, v) => a + v, 0) / gaps.length;
    const standardError = Math.sqrt(gaps.reduce((a, v) => a + (v - gap) ** 2, 0) / (gaps.length - 1) / gaps.length);
    expect(Math.abs(gap)).toBeLessThan(4 * standardError + 0.5);
    expect(k10).toBeLessThan(elbo); // −IWAE ≤ −ELBO
    expect(k100).toBeLessThan(k10); // tighter with more samples
    x.dispose();
    model.dispose();
  });
});
