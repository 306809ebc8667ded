// The VAE objectives on a model whose posterior is known (encoder output layers set to zero weights and
// chosen biases): KL per dimension in order, β scaling the KL, the β-TCVAE weights on the right terms; the
// IWAE bound and objective against the same bound worked out in plain JavaScript, and the bound's chunks of
// samples (exactly K samples, memory of one chunk).
// Small and fast, so the mutation run (npm run test:mutation) can use it for models/vae.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { defaultModelConfig } from '../../models/config.ts';
import type { ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { reparameterize, tcDecomposition } from '../../models/losses.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { evaluateSplit } from '../../electron/engine/training/job.ts';
import { mulberry32 } from '../../models/random.ts';

let batch: tf.Tensor4D;

beforeAll(async () => {
  await useWasm();
  const ds = loadSampleMnist();
  batch = pixelsToTensor(ds.images.pixels, Array.from({ length: 64 }, (_, i) => i), 28, 1, 0.5);
});

describe('a model whose posterior is known', () => {
  // The encoder's output layers are set to zero weights and chosen biases, so every image has the posterior
  // N(μ_d, σ²_d) per dimension below; KL(q||N(0,1)) per dimension is then ½(μ² + σ² − 1 − log σ²), by hand:
  const MU = [0, 1, 2];
  const VAR = [0.25, 1, 4];
  const KL = [0.5 * (0.25 - 1 - Math.log(0.25)), 0.5, 0.5 * (4 + 4 - 1 - Math.log(4))]; // 0.318147, 0.5, 2.806853
  const KL_SUM = KL.reduce((a, v) => a + v, 0);

  function knownModel(overrides: Partial<ModelConfig>): VaeModel {
    const model = VaeModel.create(defaultModelConfig({ latent: 3, hidden: [16, 8], ...overrides }));
    for (const [layer, bias] of [['z_mean', MU], ['z_log_var', VAR.map(Math.log)]] as const) {
      const l = model.encoder.getLayer(layer);
      const [kernel] = l.getWeights();
      l.setWeights([tf.zerosLike(kernel), tf.tensor1d(bias)]);
    }
    return model;
  }

  it('reports KL per dimension in dimension order, in training, evaluation and the test split report', async () => {
    const model = knownModel({ objective: 'vae' });
    const terms = tf.tidy(() => {
      const t = model.lossTerms(batch, undefined, 3);
      return { klPerDim: Array.from(t.klPerDim.dataSync()), kl: t.kl.dataSync()[0] };
    });
    KL.forEach((v, d) => expect(terms.klPerDim[d]).toBeCloseTo(v, 4));
    expect(terms.kl).toBeCloseTo(KL_SUM, 4);
    // trainStep reports the terms of the step it took (before the update)
    const step = await model.trainStep(batch, undefined, 3);
    KL.forEach((v, d) => expect(step.klPerDim[d]).toBeCloseTo(v, 4));
    expect(step.kl).toBeCloseTo(KL_SUM, 4);
    model.dispose();

    const fresh = knownModel({ objective: 'vae' });
    const evaluated = await fresh.evaluate(batch, 5);
    KL.forEach((v, d) => expect(evaluated.klPerDimSum[d] / 64).toBeCloseTo(v, 4));
    const ds = loadSampleMnist();
    const report = await evaluateSplit(fresh, ds, Array.from({ length: 40 }, (_, i) => i), 5);
    KL.forEach((v, d) => expect(report.klPerDim[d]).toBeCloseTo(v, 4));
    fresh.dispose();
  });

  it.each([
    ['VAE', { objective: 'vae' as const }, 1],
    // The app keeps β = 4 in its settings while the model is a plain VAE: the VAE's objective must ignore it.
    ['VAE with a β left in its settings', { objective: 'vae' as const, beta: 4 }, 1],
    ['β-VAE, β = 4', { objective: 'beta-vae' as const, beta: 4 }, 4],
    ['β-VAE, β = 0.5', { objective: 'beta-vae' as const, beta: 0.5 }, 0.5],
  ])('%s: the loss is the reconstruction term plus β times the KL', async (_name, overrides, beta) => {
    const model = knownModel(overrides);
    const t = tf.tidy(() => {
      const r = model.lossTerms(batch, undefined, 11);
      return { loss: r.loss.dataSync()[0], recon: r.recon.dataSync()[0] };
    });
    expect(t.loss - t.recon).toBeCloseTo(beta * KL_SUM, 3);
    // the reconstruction term is the data's −log p(x|z): an untrained decoder is far from free
    expect(t.recon).toBeGreaterThan(100);
    const step = await model.trainStep(batch, undefined, 11);
    expect(step.loss - step.recon).toBeCloseTo(beta * KL_SUM, 3);
    expect(step.recon).toBeCloseTo(t.recon, 3);
    model.dispose();
  });
});

describe('β-TCVAE objective', () => {
  it('weighs MI, TC and dimension-wise KL each with its own weight, on the same samples', async () => {
    const weights = { mi: 2, tc: 7, dimKl: 0.5 };
    const model = VaeModel.create(defaultModelConfig({ objective: 'beta-tcvae', latent: 3, hidden: [16, 8], tcWeights: weights, datasetSize: 1000 }));
    const got = tf.tidy(() => {
      const t = model.lossTerms(batch, undefined, 21);
      // the same sample z the objective drew (same seed), decomposed here
      const own = tcDecomposition(reparameterize(t.mean, t.logVar, 1, 21), t.mean, t.logVar);
      return {
        loss: t.loss.dataSync()[0],
        recon: t.recon.dataSync()[0],
        mi: t.extra.mi.dataSync()[0],
        tc: t.extra.tc.dataSync()[0],
        dimKl: t.extra.dimKl.dataSync()[0],
        own: { mi: own.mi.dataSync()[0], tc: own.tc.dataSync()[0], dimKl: own.dimKl.dataSync()[0] },
      };
    });
    expect(got.mi).toBeCloseTo(got.own.mi, 4);
    expect(got.tc).toBeCloseTo(got.own.tc, 4);
    expect(got.dimKl).toBeCloseTo(got.own.dimKl, 4);
    expect(got.loss - got.recon).toBeCloseTo(weights.mi * got.mi + weights.tc * got.tc + weights.dimKl * got.dimKl, 3);
    // distinct terms, so a weight on the wrong term would show
    expect(new Set([got.mi, got.tc, got.dimKl].map((v) => v.toFixed(3))).size).toBe(3);
    // trainStep reports the same terms
    const step = await model.trainStep(batch, undefined, 21);
    expect(step.mi).toBeCloseTo(got.mi, 4);
    expect(step.tc).toBeCloseTo(got.tc, 4);
    expect(step.dimKl).toBeCloseTo(got.dimKl, 4);
    expect(step.loss).toBeCloseTo(got.loss, 3);
    model.dispose();
  });
});

/**
 * log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x) per image, worked out here in plain JavaScript from the samples z
 * [K·N, L] (sample-major), the posterior, and the decoder's logits for z (Bernoulli pixels, N(0, I) prior).
 */
function iwaeByHand(x: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor, z: tf.Tensor, logits: tf.Tensor, k: number): number[] {
  const [zs, mu, lv, l, px] = [z, mean, logVar, logits, x].map((t) => Array.from(t.dataSync()));
  const [n, L] = mean.shape;
  const P = px.length / n;
  const logN = (v: number, m: number, logVarV: number) => -0.5 * (Math.log(2 * Math.PI) + logVarV + (v - m) ** 2 / Math.exp(logVarV));
  return Array.from({ length: n }, (_, i) => {
    const logW: number[] = [];
    for (let s = 0; s < k; s++) {
      const r = s * n + i;
      let w = 0;
      for (let p = 0; p < P; p++) {
        const a = l[r * P + p];
        w += px[i * P + p] * a - (Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))));
      }
      for (let d = 0; d < L; d++) w += logN(zs[r * L + d], 0, 0) - logN(zs[r * L + d], mu[i * L + d], lv[i * L + d]);
      logW.push(w);
    }
    const top = Math.max(...logW);
    return top + Math.log(logW.reduce((a, w) => a + Math.exp(w - top), 0) / k);
  });
}

/** Sets a dense layer to zero weights and the given bias: its output no longer depends on its input. */
function constantLayer(model: tf.LayersModel, name: string, bias: number[] | null = null): void {
  const layer = model.getLayer(name);
  tf.tidy(() => {
    const [kernel, b] = layer.getWeights();
    layer.setWeights([tf.zerosLike(kernel), bias ? tf.tensor1d(bias) : b]);
  });
}

describe('IWAE bound', () => {
  it('equals log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x) worked out here from the same samples', async () => {
    const k = 5;
    const n = 8;
    const x = batch.slice([0, 0, 0, 0], [n, -1, -1, -1]) as tf.Tensor4D;
    const model = VaeModel.create(defaultModelConfig({ latent: 3, hidden: [16, 8] }));
    const got = await model.negIwae(x, k, 17);
    expect(got).toHaveLength(n);
    // the samples the bound drew (one chunk: the seed as given), and the decoder's logits for them
    const { mean, logVar } = model.encode(x);
    const z = reparameterize(mean, logVar, k, 17); // [k*n, L], sample-major
    const logits = model.decoder.predict(z) as tf.Tensor;
    iwaeByHand(x, mean, logVar, z, logits, k).forEach((bound, i) => expect(got[i]).toBeCloseTo(-bound, 2));
    tf.dispose([x, mean, logVar, z, logits]);
    model.dispose();
  });

  // q(z|x) = N(0, 5²) for every image and a decoder that ignores z: each log weight is then
  // log p(x) + log 5 − 12 ε² (z = 5ε, ε ~ N(0, 1)), and the bound for K samples is log p(x) plus
  // log (1/K) Σ_k 5 exp(−12 ε_k²), whose mean over images depends on K: about −1.6 for K = 3, −1.0 for
  // K = 4, −0.6 for K = 5 (worked out below by sampling in plain JavaScript).
  function ignoringModel(): VaeModel {
    const model = VaeModel.create(defaultModelConfig({ imageSize: 4, latent: 1, hidden: [4] }));
    constantLayer(model.encoder, 'z_mean', [0]);
    constantLayer(model.encoder, 'z_log_var', [Math.log(25)]);
    constantLayer(model.decoder, 'dec_logits');
    return model;
  }

  it('takes exactly K samples when K is split into chunks of samples', async () => {
    // 4,096 images: 8,192 / 4,096 = 2 samples per chunk, so K = 3 takes two chunks (2 + 1).
    const n = 4096;
    const model = ignoringModel();
    const x = tf.zeros([n, 4, 4, 1]) as tf.Tensor4D;
    const got = await model.negIwae(x, 3, 5);
    // log p(x = 0 | z) = −Σ_p softplus(b_p) for the decoder's bias b, whatever z
    const bias = Array.from(model.decoder.getLayer('dec_logits').getWeights()[1].dataSync());
    const logPx = -bias.reduce((a, b) => a + Math.max(b, 0) + Math.log1p(Math.exp(-Math.abs(b))), 0);
    const mean = got.reduce((a, v) => a - v - logPx, 0) / n;
    // E[log (1/K) Σ_k 5 exp(−12 ε_k²)] by sampling (200,000 draws of K normals)
    const random = mulberry32(9);
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const expected = (k: number) => {
      let sum = 0;
      for (let r = 0; r < 200_000; r++) {
        let w = 0;
        for (let s = 0; s < k; s++) w += 5 * Math.exp(-12 * normal() ** 2);
        sum += Math.log(w / k);
      }
      return sum / 200_000;
    };
    const [e3, e4, e5] = [expected(3), expected(4), expected(5)];
    // the mean over 4,096 images has a standard error of about 0.06
    expect(Math.abs(mean - e3)).toBeLessThan(0.25);
    expect(Math.abs(mean - e3)).toBeLessThan(Math.abs(mean - e4));
    expect(Math.abs(mean - e3)).toBeLessThan(Math.abs(mean - e5));
    tf.dispose(x);
    model.dispose();
  });

  it('holds the memory of one chunk of samples, whatever K', async () => {
    // 1,024 images: 8 samples per chunk. 64 samples take eight chunks one after the other, so the peak of
    // tensor memory stays near that of 8 samples (all 64 at once would need eight times as much).
    const model = ignoringModel();
    const x = tf.zeros([1024, 4, 4, 1]) as tf.Tensor4D;
    const peak = async (k: number) => {
      const base = tf.memory().numBytes;
      const info = await tf.profile(async () => {
        await model.negIwae(x, k, 3);
      });
      return info.peakBytes - base;
    };
    const eight = await peak(8);
    const many = await peak(64);
    expect(many).toBeLessThan(2 * eight);
    tf.dispose(x);
    model.dispose();
  });
});

describe('IWAE objective (training)', () => {
  it('is minus the mean over images of the K-sample bound, worked out here from the same samples', () => {
    const k = 4;
    const n = 8;
    const x = batch.slice([0, 0, 0, 0], [n, -1, -1, -1]) as tf.Tensor4D;
    const model = VaeModel.create(defaultModelConfig({ objective: 'iwae', samples: k, latent: 3, hidden: [16, 8] }));
    const loss = tf.tidy(() => model.lossTerms(x, undefined, 29).loss.dataSync()[0]);
    const { mean, logVar } = model.encode(x);
    const z = reparameterize(mean, logVar, k, 29); // the draws of the step (same seed)
    const logits = model.decoder.predict(z) as tf.Tensor;
    const bounds = iwaeByHand(x, mean, logVar, z, logits, k);
    expect(loss).toBeCloseTo(-bounds.reduce((a, v) => a + v, 0) / n, 2);
    tf.dispose([x, mean, logVar, z, logits]);
    model.dispose();
  });
});

/** −log p(x|z) per row, worked out here: Bernoulli from logits, or Gaussian around sigmoid(logits) with log-variance lv. */
function negLogLik(x: number[], logits: number[], rows: number, imageOf: (row: number) => number, lv?: number): number[] {
  const P = 784;
  return Array.from({ length: rows }, (_, row) => {
    let sum = 0;
    const i = imageOf(row);
    for (let p = 0; p < P; p++) {
      const a = logits[row * P + p];
      const v = x[i * P + p];
      if (lv === undefined) sum += v * a - (Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))));
      else sum += -0.5 * (Math.log(2 * Math.PI) + lv + (v - 1 / (1 + Math.exp(-a))) ** 2 / Math.exp(lv));
    }
    return -sum;
  });
}

describe('the reconstruction term', () => {
  const n = 8;
  it.each([
    ['Bernoulli, one sample', { likelihood: 'bernoulli' as const, samples: 1 }, undefined],
    ['Bernoulli, two samples per image', { likelihood: 'bernoulli' as const, samples: 2 }, undefined],
    ['Gaussian with a fixed variance', { likelihood: 'gaussian' as const, gaussianStd: 0.2, samples: 1 }, 2 * Math.log(0.2)],
  ])('%s: the mean of −log p(x|z) over images and samples, worked out here', (_name, overrides, lv) => {
    const x = batch.slice([0, 0, 0, 0], [n, -1, -1, -1]) as tf.Tensor4D;
    const model = VaeModel.create(defaultModelConfig({ latent: 3, hidden: [16, 8], ...overrides }));
    const m = overrides.samples;
    const recon = tf.tidy(() => model.lossTerms(x, undefined, 31).recon.dataSync()[0]);
    const { mean, logVar } = model.encode(x);
    const z = reparameterize(mean, logVar, m, 31); // the same draws (same seed), sample-major
    const logits = model.decoder.predict(z) as tf.Tensor;
    const perRow = negLogLik(Array.from(x.dataSync()), Array.from(logits.dataSync()), m * n, (row) => row % n, lv);
    expect(recon).toBeCloseTo(perRow.reduce((a, v) => a + v, 0) / (m * n), 2);
    tf.dispose([x, mean, logVar, z, logits]);
    model.dispose();
  });
});

describe('β-TCVAE with two samples per image', () => {
  it('averages the decomposition over the samples, each on its own draw', () => {
    const model = VaeModel.create(defaultModelConfig({ objective: 'beta-tcvae', latent: 3, hidden: [16, 8], samples: 2, tcWeights: { mi: 1, tc: 5, dimKl: 1 }, datasetSize: 1000 }));
    const got = tf.tidy(() => {
      const t = model.lossTerms(batch, undefined, 41);
      const z = reparameterize(t.mean, t.logVar, 2, 41);
      const parts = [0, 1].map((s) => tcDecomposition(z.slice([s * 64, 0], [64, -1]), t.mean, t.logVar));
      const avg = (k: 'mi' | 'tc' | 'dimKl') => (parts[0][k].dataSync()[0] + parts[1][k].dataSync()[0]) / 2;
      return { mi: t.extra.mi.dataSync()[0], tc: t.extra.tc.dataSync()[0], dimKl: t.extra.dimKl.dataSync()[0], own: { mi: avg('mi'), tc: avg('tc'), dimKl: avg('dimKl') }, first: parts[0].tc.dataSync()[0] };
    });
    expect(got.mi).toBeCloseTo(got.own.mi, 4);
    expect(got.tc).toBeCloseTo(got.own.tc, 4);
    expect(got.dimKl).toBeCloseTo(got.own.dimKl, 4);
    expect(Math.abs(got.first - got.own.tc)).toBeGreaterThan(1e-4); // the two draws differ, so using one would show
    model.dispose();
  });
});
