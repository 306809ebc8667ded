// The VAE family: shapes, a loss that falls, no leaked tensors, save/load round trip.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import { defaultModelConfig } from '../../models/config.ts';
import type { ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { loadModelFromDir, saveModelToDir } from '../../models/io.ts';
import { randomOffsets, seededRandom, stopGradient, translateImages } from '../../models/augment.ts';
import { reparameterize } from '../../models/losses.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';

let batch: tf.Tensor4D;
let labels: Int32Array;

beforeAll(async () => {
  await useWasm();
  const ds = loadSampleMnist();
  const idx = Array.from({ length: 64 }, (_, i) => i);
  batch = pixelsToTensor(ds.images.pixels, idx, 28, 1, 0.5);
  labels = Int32Array.from(idx, (i) => (i % 4 === 0 ? ds.images.labels[i] : -1));
});

const variants: Array<[string, Partial<ModelConfig>]> = [
  ['vae', { objective: 'vae', latent: 2 }],
  ['beta-vae', { objective: 'beta-vae', latent: 10, beta: 4 }],
  ['beta-tcvae', { objective: 'beta-tcvae', latent: 10, tcWeights: { mi: 1, tc: 6, dimKl: 1 }, datasetSize: 9000 }],
  ['ssvae', { objective: 'ssvae', latent: 14, style: 4, numClasses: 10 }],
  ['ssvae standard prior', { objective: 'ssvae', latent: 14, style: 4, numClasses: 10, classPrior: 'standard' }],
  ['ssvae prototype', { objective: 'ssvae', latent: 14, style: 4, numClasses: 10, classCode: 'prototype', leakageWeight: 5 }],
  ['vae M=3', { objective: 'vae', latent: 4, samples: 3 }],
];

describe('MLP VAE', () => {
  it('has the lectures architecture: 784-256-64 encoder, latent-64-256-784 decoder', () => {
    const model = VaeModel.create(defaultModelConfig({ latent: 2 }));
    const encDense = model.encoder.layers.filter((l) => l.getClassName() === 'Dense').map((l) => (l.getConfig() as { units: number }).units);
    const decDense = model.decoder.layers.filter((l) => l.getClassName() === 'Dense').map((l) => (l.getConfig() as { units: number }).units);
    expect(encDense).toEqual([256, 64, 2, 2]);
    expect(decDense).toEqual([64, 256, 784]);
    model.dispose();
  });

  it("initialises like PyTorch's Linear by default (U(±1/√fan_in) kernels and biases); Glorot with zero biases on request", () => {
    const torch = VaeModel.create(defaultModelConfig({ latent: 2 }));
    expect(torch.config.init).toBe('torch');
    const [kernel, bias] = torch.encoder.getLayer('enc_dense_1').getWeights();
    const maxAbs = (t: tf.Tensor) => Array.from(t.dataSync() as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const bound = 1 / Math.sqrt(784);
    expect(maxAbs(kernel)).toBeLessThanOrEqual(bound);
    expect(maxAbs(kernel)).toBeGreaterThan(0.95 * bound);
    expect(maxAbs(bias)).toBeLessThanOrEqual(bound);
    expect(maxAbs(bias)).toBeGreaterThan(0.5 * bound);
    const glorot = VaeModel.create(defaultModelConfig({ latent: 2, init: 'glorot' }));
    const [gk, gb] = glorot.encoder.getLayer('enc_dense_1').getWeights();
    expect(maxAbs(gk)).toBeGreaterThan(bound * 1.5); // √(6/(784+256)) = 0.076
    expect(Array.from(gb.dataSync()).every((v) => v === 0)).toBe(true);
    torch.dispose();
    glorot.dispose();
  });

  it('encodes to means and log-variances, decodes to probabilities, reconstructs images', () => {
    const model = VaeModel.create(defaultModelConfig({ latent: 5, hidden: [32, 16] }));
    const { mean, logVar } = model.encode(batch);
    expect(mean.shape).toEqual([64, 5]);
    expect(logVar.shape).toEqual([64, 5]);
    const probs = model.decode(mean);
    expect(probs.shape).toEqual([64, 28, 28, 1]);
    const values = probs.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    const rec = model.reconstruct(batch);
    expect(rec.shape).toEqual([64, 28, 28, 1]);
    tf.dispose([mean, logVar, probs, rec]);
    model.dispose();
  });

  it('lowers the loss on a small batch', async () => {
    const model = VaeModel.create(defaultModelConfig({ latent: 2 }));
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) losses.push((await model.trainStep(batch, undefined, i)).loss);
    const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
    // an untrained decoder scores about 784·log 2 ≈ 543 nats; 40 Adam steps must cut that by far
    expect(first).toBeGreaterThan(450);
    expect(last).toBeLessThan(first - 150);
    model.dispose();
  });

  it('repeats exactly with the same seed', async () => {
    const run = async () => {
      const model = VaeModel.create(defaultModelConfig({ latent: 2, seed: 7 }));
      const out: number[] = [];
      for (const i of [0, 1, 2]) out.push((await model.trainStep(batch, undefined, 100 + i)).loss);
      model.dispose();
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  for (const [name, overrides] of variants) {
    it(`${name}: leaks no tensors between step 1 and step 50 and returns plain numbers`, async () => {
      const model = VaeModel.create(defaultModelConfig({ hidden: [64, 32], ...overrides }));
      const first = await model.trainStep(batch, labels, 1);
      const after1 = tf.memory().numTensors;
      let last = first;
      for (let i = 2; i <= 50; i++) last = await model.trainStep(batch, labels, i);
      expect(tf.memory().numTensors).toBe(after1);
      expect(typeof last.loss).toBe('number');
      expect(Number.isFinite(last.loss)).toBe(true);
      expect(last.klPerDim).toHaveLength(model.config.latent);
      // (the KL values themselves are checked against a model with known posteriors below)
      expect(last.klPerDim.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      if (name === 'beta-tcvae') expect(Number.isFinite(last.tc!)).toBe(true);
      if (name.startsWith('ssvae')) expect(last.classLoss!).toBeLessThan(first.classLoss!);
      if (name === 'ssvae') expect(last.klClass!).toBeGreaterThan(0);
      if (name === 'ssvae standard prior') expect(last.klClass).toBeUndefined();
      if (name === 'ssvae') expect(last.consistency!).toBeGreaterThanOrEqual(0);
      if (name === 'ssvae standard prior') expect(last.consistency).toBeUndefined();
      if (name === 'ssvae prototype') expect(last.leakage!).toBeGreaterThan(0);
      if (name === 'ssvae') expect(last.leakage).toBeUndefined();
      model.dispose();
    });
  }

  it('conv architecture with a Gaussian likelihood (RGB 32 px): shapes, learning, no leaks', async () => {
    // coloured squares on a dark ground: enough structure to learn from
    const n = 16;
    const data = new Float32Array(n * 32 * 32 * 3);
    for (let i = 0; i < n; i++) {
      const x0 = (i * 5) % 20;
      const y0 = (i * 3) % 20;
      for (let y = y0; y < y0 + 10; y++) for (let x = x0; x < x0 + 10; x++) data[((i * 32 + y) * 32 + x) * 3 + (i % 3)] = 0.9;
    }
    const rgb = tf.tensor4d(data, [n, 32, 32, 3]);
    const model = VaeModel.create(defaultModelConfig({ arch: 'conv', imageSize: 32, channels: 3, latent: 4, likelihood: 'gaussian' }));
    expect(model.encoder.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(4);
    expect(model.decoder.layers.filter((l) => l.getClassName() === 'Conv2DTranspose')).toHaveLength(4);
    const first = await model.trainStep(rgb, undefined, 1);
    const after1 = tf.memory().numTensors;
    let last = first;
    for (let i = 2; i <= 50; i++) last = await model.trainStep(rgb, undefined, i);
    expect(tf.memory().numTensors).toBe(after1);
    expect(last.loss).toBeLessThan(first.loss - 300); // Gaussian log-densities: large gains as the variance is learned
    expect((await model.pixelLogVarValue())!).not.toBeCloseTo(Math.log(0.01), 3); // the pixel variance is learned (starts at std 0.1)
    const rec = model.reconstruct(rgb);
    expect(rec.shape).toEqual([n, 32, 32, 3]);
    tf.dispose([rec, rgb]);
    model.dispose();
  });

  it('conv architecture on 28 px grey images uses two stride-2 layers', () => {
    const model = VaeModel.create(defaultModelConfig({ arch: 'conv', latent: 2 }));
    expect(model.encoder.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(2);
    const probs = model.decode(tf.zeros([2, 2]) as tf.Tensor2D);
    expect(probs.shape).toEqual([2, 28, 28, 1]);
    probs.dispose();
    model.dispose();
  });

  it('semi-supervised with the class-mixture prior: the saved class head alone gives the posterior responsibilities', async () => {
    const config = defaultModelConfig({ objective: 'ssvae', latent: 6, style: 2, numClasses: 10, hidden: [64, 32] });
    expect(config.classPrior).toBe('mixture');
    const model = VaeModel.create(config);
    for (let i = 0; i < 20; i++) await model.trainStep(batch, labels, i);
    // the bias is tied to the means, not trained: one fewer variable than the standard prior
    const standard = VaeModel.create({ ...config, classPrior: 'standard' });
    expect(model.trainableVariables().length).toBe(standard.trainableVariables().length - 1);
    standard.dispose();
    const means = model.classPriorMeans()!;
    expect(means.shape).toEqual([10, 4]);
    // p(y | z^Y) ∝ N(z^Y; μ_y, I) for a code at μ_3 is largest for class 3
    const atMean = model.classifier!.predict(means.slice([3, 0], [1, -1])) as tf.Tensor;
    expect(atMean.argMax(1).dataSync()[0]).toBe(3);
    const dir = mkdtempSync(join(tmpdir(), 'le-models-'));
    try {
      await saveModelToDir(model.classifier!, dir);
      const head = await loadModelFromDir(dir);
      const { mean } = model.encode(batch);
      const viaHead = tf.softmax(head.predict(mean.slice([0, 2], [-1, 4])) as tf.Tensor);
      const viaModel = model.classify(batch);
      const a = viaHead.dataSync();
      const b = viaModel.dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
      // evaluate(): −ELBO includes KL(q(y|x) || p(y)) ∈ [0, log 10]
      const r = await model.evaluate(batch, 3);
      expect(r.klClassSum / 64).toBeGreaterThanOrEqual(0);
      expect(r.klClassSum / 64).toBeLessThanOrEqual(Math.log(10) + 1e-4);
      expect(Array.from(r.predictions!)).toEqual(Array.from(viaModel.argMax(1).dataSync()));
      tf.dispose([mean, viaHead, viaModel, atMean, means]);
      head.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    model.dispose();
  });

  it('consistency term: KL(q(y|x) || q(y|shifted x)) added with its weight; zero for a zero shift', async () => {
    const base = { objective: 'ssvae' as const, latent: 6, style: 2, numClasses: 10, hidden: [64, 32], seed: 5 };
    const terms = async (overrides: Partial<ModelConfig>) => {
      const model = VaeModel.create(defaultModelConfig({ ...base, ...overrides }));
      for (let i = 0; i < 5; i++) await model.trainStep(batch, labels, 100 + i);
      const out = tf.tidy(() => {
        const t = model.lossTerms(batch, labels, 7);
        return { loss: t.loss.dataSync()[0], consistency: t.extra.consistency?.dataSync()[0] };
      });
      model.dispose();
      return out;
    };
    expect(defaultModelConfig(base).consistencyWeight).toBe(100);
    const off = await terms({ consistencyWeight: 0 });
    expect(off.consistency).toBeUndefined();
    // a zero shift encodes the same image twice: KL 0, and the loss is that of the model without the term
    const still = await terms({ consistencyWeight: 50, consistencyShift: 0 });
    expect(still.consistency!).toBeCloseTo(0, 6);
    expect(still.loss).toBeCloseTo(off.loss, 3);
    const moved = await terms({ consistencyWeight: 50, consistencyShift: 2 });
    expect(moved.consistency!).toBeGreaterThan(1e-4);
    // training with the term changes the weights, so compare the loss of one model with and without it
    const model = VaeModel.create(defaultModelConfig({ ...base, consistencyWeight: 50 }));
    const noTerm = VaeModel.create(defaultModelConfig({ ...base, consistencyWeight: 0 }));
    const [withW, without, cons] = tf.tidy(() => {
      const a = model.lossTerms(batch, labels, 9);
      const b = noTerm.lossTerms(batch, labels, 9);
      return [a.loss.dataSync()[0], b.loss.dataSync()[0], a.extra.consistency!.dataSync()[0]];
    });
    expect(cons).toBeGreaterThan(0);
    expect(withW - without).toBeCloseTo(50 * cons, 2);
    model.dispose();
    noTerm.dispose();
    expect(() => defaultModelConfig({ ...base, consistencyShift: 1.5 })).toThrow(/consistency shift/);
    expect(() => defaultModelConfig({ ...base, consistencyWeight: -1 })).toThrow(/consistency weight/);
  });

  it("prototype class code: the decoder sees z^X beside μ_y; −ELBO sums log p(x | z^X, y) over every class by q(y|x); IWAE is tighter", async () => {
    const config = defaultModelConfig({ objective: 'ssvae', latent: 7, style: 3, numClasses: 10, hidden: [64, 32], classCode: 'prototype', leakageWeight: 2, seed: 3 });
    const model = VaeModel.create(config);
    for (let i = 0; i < 30; i++) await model.trainStep(batch, labels, i);
    const x = batch.slice([0, 0, 0, 0], [16, -1, -1, -1]) as tf.Tensor4D;
    const r = await model.evaluate(x, 11);
    // by hand: the same posterior sample, then each class's decoded probabilities scored pixel by pixel
    const { mean, logVar } = model.encode(x);
    const z = reparameterize(mean, logVar, 1, 11);
    const zArr = z.arraySync() as number[][];
    const q = model.classify(x).arraySync() as number[][];
    const mu = model.classPriorMeans()!.arraySync() as number[][];
    const pixels = x.reshape([16, -1]).arraySync() as number[][];
    const klAll = r.negElbo; // −ELBO per image
    const { klDims, klClass } = tf.tidy(() => {
      const t = model.lossTerms(x, new Int32Array(16).fill(-1), 11);
      return { klDims: Array.from(t.klPerDim.dataSync()), klClass: t.extra.klClass!.dataSync()[0] };
    });
    // the bound counts KL of z^X and of y; z^Y never reaches the decoder and is not part of p(x)
    const klMean = klDims.slice(0, 3).reduce((a, b) => a + b, 0) + klClass;
    expect(Array.from(r.klPerDimSum.slice(3)).every((v) => v === 0)).toBe(true);
    expect(klDims.slice(3).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.01);
    let reconByHand = 0;
    for (let i = 0; i < 16; i++) {
      let expected = 0;
      for (let k = 0; k < 10; k++) {
        const code = [...zArr[i].slice(0, 3), ...mu[k]];
        const probs = tf.tidy(() => model.decode(tf.tensor2d([code])).dataSync());
        let ll = 0;
        for (let p = 0; p < probs.length; p++) {
          const pr = Math.min(1 - 1e-7, Math.max(1e-7, probs[p]));
          ll += pixels[i][p] * Math.log(pr) + (1 - pixels[i][p]) * Math.log(1 - pr);
        }
        expected += q[i][k] * ll;
      }
      reconByHand -= expected / 16;
    }
    const negElboMean = Array.from(klAll).reduce((a, b) => a + b, 0) / 16;
    expect(negElboMean).toBeCloseTo(reconByHand + klMean, 0);
    // reconstruct() decodes z^X means beside μ of the class the head picks
    const rec = model.reconstruct(x.slice([0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
    const k0 = q[0].indexOf(Math.max(...q[0]));
    const meanArr = mean.arraySync() as number[][];
    const byCode = model.decode(tf.tensor2d([[...meanArr[0].slice(0, 3), ...mu[k0]]]));
    const [ra, rb] = [rec.dataSync(), byCode.dataSync()];
    for (let p = 0; p < ra.length; p += 37) expect(ra[p]).toBeCloseTo(rb[p], 5);
    // the importance-weighted bound with 100 samples is below the ELBO
    const iwae = await model.negIwae(x, 100, 5);
    const iwaeMean = Array.from(iwae).reduce((a, b) => a + b, 0) / 16;
    expect(iwaeMean).toBeLessThan(negElboMean);
    const iwae1 = Array.from(await model.negIwae(x, 1, 5)).reduce((a, b) => a + b, 0) / 16;
    expect(iwaeMean).toBeLessThan(iwae1);
    tf.dispose([x, mean, logVar, z, rec, byCode]);
    model.dispose();
  });

  it('leakage penalty: moves the decoder only, and is the cross-entropy of the class head on decoded (style, class) codes', async () => {
    const base = { objective: 'ssvae' as const, latent: 7, style: 3, numClasses: 10, hidden: [64, 32], classCode: 'prototype' as const, seed: 4 };
    const weightsAfterStep = async (leakageWeight: number) => {
      const model = VaeModel.create(defaultModelConfig({ ...base, leakageWeight }));
      const step = await model.trainStep(batch, labels, 21);
      const enc = model.encoder.getWeights().map((w) => Float32Array.from(w.dataSync()));
      const dec = model.decoder.getWeights().map((w) => Float32Array.from(w.dataSync()));
      model.dispose();
      return { enc, dec, step };
    };
    const off = await weightsAfterStep(0);
    const on = await weightsAfterStep(50);
    expect(off.step.leakage).toBeUndefined();
    // ten classes, an untrained decoder: the head is about as unsure as chance, -log(1/10) ≈ 2.3
    expect(on.step.leakage!).toBeGreaterThan(1);
    expect(on.step.leakage!).toBeLessThan(4);
    const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - b[i][j])))));
    expect(maxDiff(on.enc, off.enc)).toBe(0);
    expect(maxDiff(on.dec, off.dec)).toBeGreaterThan(1e-5);
  });

  it('translateImages moves each image by its own offsets, zeros coming in; offsets stay within ±max', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 3, 3, 1]);
    const moved = translateImages(x, [
      [1, -1], // down one, left one
      [0, 2], // right two
    ]);
    expect(Array.from(moved.dataSync())).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0, 0, 0, 1, 0, 0, 4, 0, 0, 7]);
    const same = translateImages(x, [
      [0, 0],
      [-3, 0],
    ]);
    expect(Array.from(same.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => translateImages(x, [[0, 0]])).toThrow(/1 offsets for 2 images/);
    const offsets = randomOffsets(500, 2, seededRandom(3)).flat();
    expect(Math.min(...offsets)).toBe(-2);
    expect(Math.max(...offsets)).toBe(2);
    expect(randomOffsets(5, 2, seededRandom(3))).toEqual(randomOffsets(5, 2, seededRandom(3)));
    // stopGradient: the value passes, the gradient does not
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(v), v), v)))(tf.tensor1d([2, 3]));
    expect(Array.from(g.dataSync())).toEqual([3, 4]); // d/dv (c·v + v) with c = v held fixed
    tf.dispose([x, moved, same, g]);
  });

  it('saves encoder and decoder in the standard TF.js format and loads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'le-models-'));
    try {
      const model = VaeModel.create(defaultModelConfig({ latent: 3, hidden: [32, 16] }));
      await saveModelToDir(model.decoder, dir);
      const loaded = await loadModelFromDir(dir);
      const z = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
      const a = model.decoder.predict(z) as tf.Tensor;
      const b = loaded.predict(z) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([z, a, b]);
      loaded.dispose();
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
