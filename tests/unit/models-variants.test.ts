// IWAE training, the denoising autoencoder and the iVAE's conditional prior: each loss on a model whose
// posterior and decoder are set by hand (so the values are worked out on paper), a short run whose loss
// falls, and a training step that leaves no tensors behind.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { defaultModelConfig } from '../../models/config.ts';
import type { ModelConfig } from '../../models/config.ts';
import { DETERMINISTIC_LOG_VAR, VaeModel } from '../../models/vae.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { corrupt, klToDiagGaussian } from '../../models/losses.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';

let batch: tf.Tensor4D;
const D = 784;
const LOG2 = Math.log(2);

beforeAll(async () => {
  await useWasm();
  const ds = loadSampleMnist();
  batch = pixelsToTensor(ds.images.pixels, Array.from({ length: 64 }, (_, i) => i), 28, 1, 0.5);
});

// Encoder output layers with zero kernels and chosen biases: every image has q(z|x) = N(MU, VAR) per dimension.
const MU = [0, 1, 2];
const VAR = [0.25, 1, 4];
const KL = [0.5 * (0.25 - 1 - Math.log(0.25)), 0.5, 0.5 * (4 + 4 - 1 - Math.log(4))]; // 0.318147, 0.5, 2.806853
const KL_SUM = KL.reduce((a, v) => a + v, 0);

function setLayer(model: tf.LayersModel, name: string, bias: number[] | null) {
  const l = model.getLayer(name);
  const [kernel, b] = l.getWeights();
  l.setWeights([tf.zerosLike(kernel), bias ? tf.tensor1d(bias) : tf.zerosLike(b)]);
}

/**
 * q(z|x) = N(MU, VAR) for every image and a decoder whose logits are all 0 whatever z: p(x|z) = 2^−784 for a
 * binary image, so p(x) = 2^−784 exactly and −log p(x) = 784 log 2 = 543.4274 nats.
 */
function knownModel(overrides: Partial<ModelConfig>, posterior = true): VaeModel {
  const model = VaeModel.create(defaultModelConfig({ latent: 3, hidden: [16, 8], ...overrides }));
  if (posterior) {
    setLayer(model.encoder, 'z_mean', MU);
    setLayer(model.encoder, 'z_log_var', VAR.map(Math.log));
  }
  setLayer(model.decoder, 'dec_logits', null);
  return model;
}

const scalar = (t: tf.Tensor) => t.dataSync()[0];

async function lossFalls(model: VaeModel, labels?: Int32Array, steps = 40): Promise<{ first: number; last: number }> {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push((await model.trainStep(batch, labels, 100 + s)).loss);
  const avg = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
  return { first: avg(losses.slice(0, 5)), last: avg(losses.slice(-5)) };
}

async function leaksNothing(model: VaeModel, labels?: Int32Array) {
  await model.trainStep(batch, labels, 1); // Adam makes its moment variables at the first step
  const before = tf.memory().numTensors;
  await model.trainStep(batch, labels, 2);
  await model.evaluate(batch, 3, labels);
  expect(tf.memory().numTensors).toBe(before);
}

describe('IWAE training (--model iwae --samples K)', () => {
  it('with q = p the bound is exact for any K: 784 log 2 = 543.4274 nats', () => {
    const model = knownModel({ objective: 'iwae', samples: 7 }, false);
    // the encoder still has its random kernels; zero them with mean 0 and log-variance 0: q = N(0, I) = p
    setLayer(model.encoder, 'z_mean', [0, 0, 0]);
    setLayer(model.encoder, 'z_log_var', [0, 0, 0]);
    const loss = tf.tidy(() => scalar(model.lossTerms(batch, undefined, 5).loss));
    expect(loss).toBeCloseTo(D * LOG2, 2);
    model.dispose();
  });

  it('lies between −log p(x) and the −ELBO, tighter as K grows (q = N(MU, VAR), p(x) = 2^−784)', () => {
    // −ELBO = 543.4274 + KL(q||p) = 547.0524; −log p(x) = 543.4274; the K-sample bound is in between on average.
    const few = batch.slice([0, 0, 0, 0], [16, -1, -1, -1]);
    const mean = (k: number) => {
      const model = knownModel({ objective: 'iwae', samples: k });
      let sum = 0;
      for (let seed = 0; seed < 10; seed++) sum += tf.tidy(() => scalar(model.lossTerms(few, undefined, seed).loss));
      model.dispose();
      return sum / 10;
    };
    const k1 = mean(1);
    const k30 = mean(30);
    few.dispose();
    expect(k1).toBeCloseTo(D * LOG2 + KL_SUM, 0); // one sample: the ELBO, up to sampling noise
    expect(k30).toBeLessThan(k1 - 1);
    expect(k30).toBeGreaterThan(D * LOG2 - 0.01);
  });

  it('trains: the loss falls over 40 steps, and a step leaks no tensors', async () => {
    const model = VaeModel.create(defaultModelConfig({ objective: 'iwae', samples: 5, latent: 4, hidden: [64, 16] }));
    const { first, last } = await lossFalls(model);
    expect(last).toBeLessThan(first - 50);
    await leaksNothing(model);
    model.dispose();
  });
});

describe('denoising autoencoder (--model dae)', () => {
  it('corrupts as asked: masking zeroes that share of the pixels, Gaussian noise of that sd, level 0 none', () => {
    const ones = tf.ones([8, 28, 28, 1]) as tf.Tensor4D;
    const masked = tf.tidy(() => scalar(tf.mean(corrupt(ones, 'mask', 0.3, 7))));
    expect(masked).toBeGreaterThan(0.68);
    expect(masked).toBeLessThan(0.72);
    const half = tf.fill([8, 28, 28, 1], 0.5) as tf.Tensor4D;
    const sd = tf.tidy(() => scalar(tf.sqrt(tf.moments(corrupt(half, 'gaussian', 0.1, 7)).variance)));
    expect(sd).toBeGreaterThan(0.095);
    expect(sd).toBeLessThan(0.105);
    expect(corrupt(half, 'gaussian', 0, 7)).toBe(half);
    tf.dispose([ones, half]);
  });

  it('its loss is the reconstruction alone: 784 log 2 = 543.4274 nats when the decoder says ½ everywhere, with no KL', async () => {
    const model = knownModel({ objective: 'dae', noise: { kind: 'mask', level: 0.5 } });
    const t = tf.tidy(() => {
      const terms = model.lossTerms(batch, undefined, 5);
      return [scalar(terms.loss), scalar(terms.recon), scalar(terms.kl), ...terms.klPerDim.dataSync()];
    });
    expect(t[0]).toBeCloseTo(D * LOG2, 2);
    expect(t[1]).toBeCloseTo(D * LOG2, 2);
    expect(t.slice(2)).toEqual([0, 0, 0, 0]);
    const evaluated = await model.evaluate(batch, 1);
    expect(evaluated.negElbo[0]).toBeCloseTo(D * LOG2, 2);
    expect(Array.from(evaluated.klPerDimSum)).toEqual([0, 0, 0]);
    await expect(model.negIwae(batch, 5)).rejects.toThrow(/no posterior/);
    model.dispose();
  });

  it('trains (loss falls, no leak); codes are points, standardised to mean 0 and sd 1 without changing the reconstructions', async () => {
    const model = VaeModel.create(defaultModelConfig({ objective: 'dae', noise: { kind: 'gaussian', level: 0.3 }, latent: 4, hidden: [64, 16] }));
    const { first, last } = await lossFalls(model);
    expect(last).toBeLessThan(first - 50);
    await leaksNothing(model);
    const before = tf.tidy(() => model.reconstruct(batch).dataSync());
    model.standardizeCodes(batch);
    const after = tf.tidy(() => model.reconstruct(batch).dataSync());
    let worst = 0;
    for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(before[i] - after[i]));
    expect(worst).toBeLessThan(1e-3);
    const { mean, logVar } = model.encode(batch);
    const m = tf.moments(mean, 0);
    Array.from(m.mean.dataSync()).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-3));
    Array.from(m.variance.dataSync()).forEach((v) => expect(v).toBeCloseTo(1, 3));
    Array.from(logVar.dataSync()).forEach((v) => expect(v).toBeCloseTo(DETERMINISTIC_LOG_VAR, 4));
    tf.dispose([mean, logVar, m.mean, m.variance]);
    model.dispose();
  });
});

describe('iVAE conditional prior p(z|u) (--model ivae --aux NAME)', () => {
  it('KL(N(μ, σ²) || N(m, s²)) per dimension matches the hand computation', () => {
    // ½(log s² − log σ² + (σ² + (μ − m)²)/s² − 1): (μ 1, σ² 1 | m 0, s² 4) = ½(1.386294 + 0.5 − 1) = 0.443147;
    // (μ 2, σ² 4 | m 1, s² 1) = ½(−1.386294 + 5 − 1) = 1.306853; equal Gaussians give 0.
    const kl = tf.tidy(() =>
      klToDiagGaussian(tf.tensor2d([[1, 2, 0.3]]), tf.tensor2d([[0, Math.log(4), -1]]), tf.tensor2d([[0, 1, 0.3]]), tf.tensor2d([[Math.log(4), 0, -1]])).dataSync(),
    );
    expect(kl[0]).toBeCloseTo(0.443147, 5);
    expect(kl[1]).toBeCloseTo(1.306853, 5);
    expect(kl[2]).toBeCloseTo(0, 6);
  });

  it('the KL is taken to each image’s own prior N(μ_u, exp λ_u); unknown u falls back to N(0, I)', async () => {
    const model = knownModel({ objective: 'ivae', auxValues: 2 });
    // u = 0: N(0, I) (the zero start); u = 1: means (0, 0, 1), variances (1, 4, 1)
    model.prior!.getLayer('prior_mean').setWeights([tf.tensor2d([[0, 0, 0], [0, 0, 1]])]);
    model.prior!.getLayer('prior_log_var').setWeights([tf.tensor2d([[0, 0, 0], [0, Math.log(4), 0]])]);
    const klU1 = [KL[0], 0.5 * (Math.log(4) + 0.5 - 1), 0.5 * (-Math.log(4) + 5 - 1)]; // 0.318147, 0.443147, 1.306853
    const labels = Int32Array.from({ length: 64 }, (_, i) => (i % 2 ? 1 : i % 4 === 0 ? 0 : -1));
    const perDim = tf.tidy(() => Array.from(model.lossTerms(batch, labels, 3).klPerDim.dataSync()));
    perDim.forEach((v, d) => expect(v).toBeCloseTo((KL[d] + klU1[d]) / 2, 4));
    const evaluated = await model.evaluate(batch, 3, labels);
    Array.from(evaluated.klPerDimSum).forEach((v, d) => expect(v / 64).toBeCloseTo((KL[d] + klU1[d]) / 2, 4));
    model.dispose();
  });

  it('trains (loss falls, the priors of different u move apart, no leak)', async () => {
    const model = VaeModel.create(defaultModelConfig({ objective: 'ivae', auxValues: 3, latent: 4, hidden: [64, 16] }));
    const labels = Int32Array.from({ length: 64 }, (_, i) => i % 3);
    const { first, last } = await lossFalls(model, labels);
    expect(last).toBeLessThan(first - 50);
    const table = model.prior!.getLayer('prior_mean').getWeights()[0].dataSync();
    expect(Math.max(...Array.from(table, Math.abs))).toBeGreaterThan(0.005);
    await leaksNothing(model, labels);
    model.dispose();
  });
});
