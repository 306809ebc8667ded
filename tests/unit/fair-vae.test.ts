// The fair VAE (issue 14, lectures: "Extension: Fair variational auto-encoder"): its penalties on tiny inputs
// worked out by hand, the conditioning of encoder and decoder on s, the probe's AUC against known answers, a
// short run whose loss falls without leaking tensors, the run folder through the training job (with its plain
// VAE reference, the semi-supervised variant and eval's figures), and the CLI's --private errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import { glyphDataset } from './helpers/glyph-dataset.ts';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { adversaryConfusion, groupMmd } from '../../models/losses.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { fitLogistic, privateProbeAuc } from '../../electron/engine/disentanglement/private-probe.ts';
import { mulberry32 } from '../../electron/engine/random.ts';
import { startTraining, type TrainSettings } from '../../electron/engine/training/job.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { evaluateRun } from '../../electron/engine/training/evaluate.ts';
import { privateValues } from '../../electron/engine/training/settings.ts';
import { RunSession } from '../../electron/engine/explorer/session.ts';
import { compareRuns } from '../../electron/engine/disentanglement/compare.ts';
import { formatComparison } from '../../electron/cli/commands/compare.ts';

let batch: tf.Tensor4D;
const LOG2 = Math.log(2);
const root = mkdtempSync(join(tmpdir(), 'le-fair-'));

beforeAll(async () => {
  await useWasm();
  const ds = loadSampleMnist();
  batch = pixelsToTensor(ds.images.pixels, Array.from({ length: 64 }, (_, i) => i), 28, 1, 0.5);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fairConfig = (fair: Partial<NonNullable<ModelConfig['fair']>> = {}, overrides: Partial<ModelConfig> = {}) =>
  defaultModelConfig({ objective: 'fair-vae', latent: 3, hidden: [16, 8], fair: { values: 2, prior: [0.5, 0.5], penalty: 'mmd', weight: 10, dropout: 0, ...fair }, ...overrides });
const alternating = Int32Array.from({ length: 64 }, (_, i) => i % 2);

function setLayer(model: tf.LayersModel, name: string, bias: number[] | null) {
  const l = model.getLayer(name);
  const [kernel, b] = l.getWeights();
  l.setWeights([tf.zerosLike(kernel), bias ? tf.tensor1d(bias) : tf.zerosLike(b)]);
}

describe('fair VAE penalties on tiny inputs', () => {
  // k(a, b) = mean over c in {0.25, 1, 4} of exp(−‖a − b‖² / (c h)), h the mean squared distance between the
  // batch's codes of known s (pairs of distinct images). Groups {0, 0} | {1, 1}: of the 12 ordered pairs 8 are
  // 1 apart, so h = 2/3 and k(0, 1) = k = (e^−6 + e^−1.5 + e^−0.375) / 3; within each group the one pair has
  // k = 1, so the unbiased MMD² = 1 + 1 − 2k = 1.391401.
  it('MMD² between the groups: by hand for codes {0, 0} | {1, 1}, about 0 for groups alike, unknown s left out, any scale alike', () => {
    const k = (Math.exp(-6) + Math.exp(-1.5) + Math.exp(-0.375)) / 3;
    const mmd = (z: number[][], s: number[], values = 2) => tf.tidy(() => groupMmd(tf.tensor2d(z), Int32Array.from(s), values).dataSync()[0]);
    expect(mmd([[0], [0], [1], [1]], [0, 0, 1, 1])).toBeCloseTo(2 - 2 * k, 5);
    expect(2 - 2 * k).toBeCloseTo(1.391401, 5);
    // groups {0, 1} | {0, 1}: h = 2/3 again; within each: k; across: (1 + 1 + 2k) / 4, so 2k − (1 + k) = k − 1
    // (the unbiased estimate of a zero discrepancy, from two images a side, can fall below 0)
    expect(mmd([[0], [1], [0], [1]], [0, 0, 1, 1])).toBeCloseTo(k - 1, 5);
    // an image of unknown s does not count, wherever its code is
    expect(mmd([[0], [0], [1], [1], [9]], [0, 0, 1, 1, -1])).toBeCloseTo(2 - 2 * k, 5);
    // a group of one image has no pair of its own: nothing to compare
    expect(mmd([[0], [1], [1]], [0, 1, 1])).toBe(0);
    // more values: each against the rest (with the batch's one scale h), averaged
    const codes = [[0, 1], [1, 0.5], [2, 2], [0.5, -1], [3, 1], [2.5, 0]];
    const s3 = [0, 0, 1, 1, 2, 2];
    const oneVsRest = [0, 1, 2].map((v) => mmd(codes, s3.map((x) => (x === v ? 1 : 0))));
    expect(mmd(codes, s3, 3)).toBeCloseTo(oneVsRest.reduce((a, b) => a + b, 0) / 3, 5);
    // shrinking every code does not shrink the penalty (a fixed-width kernel could be satisfied that way)
    expect(mmd(codes.map((r) => r.map((v) => v / 100)), s3, 3)).toBeCloseTo(mmd(codes, s3, 3), 4);
    expect(mmd(codes, [0, 0, 0, 1, 1, 1])).toBeGreaterThan(0.1);
  });

  it('the adversary’s confusion KL(uniform ‖ p_adv): 0 at uniform, 0.143841 at (3/4, 1/4)', () => {
    const conf = (logits: number[][], s: number[]) => tf.tidy(() => adversaryConfusion(tf.tensor2d(logits), Int32Array.from(s)).dataSync()[0]);
    expect(conf([[0, 0]], [1])).toBeCloseTo(0, 6);
    // −(log 3/4 + log 1/4)/2 − log 2 = 0.836988 − 0.693147
    expect(conf([[Math.log(3), 0]], [0])).toBeCloseTo(-(Math.log(0.75) + Math.log(0.25)) / 2 - LOG2, 6);
    expect(conf([[Math.log(3), 0], [5, -5]], [0, -1])).toBeCloseTo(0.143841, 5);
  });

  it('the objective is −ELBO(x | s) + weight × penalty: 784 log 2 + KL + w · 0.143841 on a model set by hand', () => {
    const model = VaeModel.create(fairConfig({ penalty: 'adversary', weight: 7 }));
    // q(z|x, s) = N((0, 1, 2), (0.25, 1, 4)) for every image, logits 0 whatever z and s: −log p(x|z,s) = 784 log 2
    setLayer(model.encoder, 'z_mean', [0, 1, 2]);
    setLayer(model.encoder, 'z_log_var', [0.25, 1, 4].map(Math.log));
    setLayer(model.decoder, 'dec_logits', null);
    setLayer(model.adversary!, 'adv_logits', [Math.log(3), 0]);
    const kl = 0.5 * (0.25 - 1 - Math.log(0.25)) + 0.5 + 0.5 * (4 + 4 - 1 - Math.log(4));
    const t = tf.tidy(() => {
      const r = model.lossTerms(batch, undefined, 3, undefined, alternating);
      return { loss: r.loss.dataSync()[0], recon: r.recon.dataSync()[0], kl: r.kl.dataSync()[0], penalty: r.extra.fairPenalty.dataSync()[0] };
    });
    expect(t.recon).toBeCloseTo(784 * LOG2, 2);
    expect(t.kl).toBeCloseTo(kl, 4);
    expect(t.penalty).toBeCloseTo(0.143841, 5);
    expect(t.loss).toBeCloseTo(784 * LOG2 + kl + 7 * 0.143841, 2);
    // MMD: every code is the same point, so the groups cannot differ
    const mmdModel = VaeModel.create(fairConfig({ penalty: 'mmd' }));
    setLayer(mmdModel.encoder, 'z_mean', [0, 1, 2]);
    expect(tf.tidy(() => mmdModel.lossTerms(batch, undefined, 3, undefined, alternating).extra.fairPenalty.dataSync()[0])).toBeCloseTo(0, 5);
    model.dispose();
    mmdModel.dispose();
  });
});

describe('fair VAE conditioning on s', () => {
  it('encoder and decoder take s one-hot beside the image features and beside z', () => {
    const model = VaeModel.create(fairConfig({ values: 3, prior: [0.5, 0.3, 0.2] }));
    expect(model.encoder.getLayer('enc_dense_1').getWeights()[0].shape).toEqual([784 + 3, 16]);
    expect(model.decoder.getLayer('dec_dense_1').getWeights()[0].shape).toEqual([3 + 3, 8]);
    const x = batch.slice([0, 0, 0, 0], [2, -1, -1, -1]);
    // encode with s = 0 and s = 2 gives different posteriors, and the same as the encoder fed the one-hot itself
    const a = model.encode(x, Int32Array.from([0, 2]));
    const direct = model.encoder.predict([x, tf.tensor2d([[1, 0, 0], [0, 0, 1]])]) as tf.Tensor[];
    expect(Array.from(a.mean.dataSync())).toEqual(Array.from(direct[0].dataSync()));
    const b = model.encode(x, Int32Array.from([2, 0]));
    expect(Math.max(...Array.from(tf.sub(a.mean, b.mean).abs().dataSync()))).toBeGreaterThan(1e-4);
    // decoding: s changes the image; s unknown is the mixture Σ_s p(s) E[x | z, s]
    const z = tf.tensor2d([[0.5, -1, 2]]);
    const perS = [0, 1, 2].map((k) => model.decode(z, Int32Array.from([k])));
    expect(Math.max(...Array.from(tf.sub(perS[0], perS[2]).abs().dataSync()))).toBeGreaterThan(1e-4);
    const mixture = tf.addN(perS.map((p, k) => tf.mul(p, [0.5, 0.3, 0.2][k])));
    const unknown = model.decode(z);
    expect(Math.max(...Array.from(tf.sub(mixture, unknown).abs().dataSync()))).toBeLessThan(1e-5);
    tf.dispose([x, a.mean, a.logVar, b.mean, b.logVar, ...direct, z, ...perS, mixture, unknown]);
    model.dispose();
  });
});

describe('the probe: how predictable s is from a code', () => {
  const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  function data(n: number, dims: number, code: (s: number, random: () => number) => number[], values = 2, seed = 1) {
    const random = mulberry32(seed);
    const s = Int32Array.from({ length: n }, () => Math.floor(random() * values));
    const codes = new Float32Array(n * dims);
    s.forEach((v, i) => codes.set(code(v, random), i * dims));
    const split = Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 0));
    return { codes, s, split };
  }

  it('perfectly separable → 1; independent → 0.5; two unit Gaussians 2 apart → Φ(√2) = 0.921', () => {
    const sep = data(2000, 3, (s, r) => [s * 10 + r(), gauss(r), gauss(r)]);
    expect(privateProbeAuc(sep.codes, 3, sep.s, sep.split, 2).auc).toBe(1);
    const ind = data(4000, 4, (_s, r) => [gauss(r), gauss(r), gauss(r), gauss(r)]);
    expect(Math.abs(privateProbeAuc(ind.codes, 4, ind.s, ind.split, 2).auc! - 0.5)).toBeLessThan(0.04);
    const shifted = data(8000, 2, (s, r) => [gauss(r) + (s ? 1 : -1), gauss(r)]);
    expect(privateProbeAuc(shifted.codes, 2, shifted.s, shifted.split, 2).auc!).toBeCloseTo(0.9214, 1);
    expect(Math.abs(privateProbeAuc(shifted.codes, 2, shifted.s, shifted.split, 2).auc! - 0.9214)).toBeLessThan(0.015);
  });

  it('more values: the macro mean of one-vs-rest AUCs (1 when each value has its own corner, ~0.5 for noise)', () => {
    const corners = data(3000, 2, (s, r) => [s === 1 ? 5 : 0, s === 2 ? 5 : 0].map((v) => v + 0.1 * gauss(r)), 3);
    const p = privateProbeAuc(corners.codes, 2, corners.s, corners.split, 3);
    expect(p.perValue).toHaveLength(3);
    expect(p.auc).toBeGreaterThan(0.99);
    const noise = data(6000, 2, (_s, r) => [gauss(r), gauss(r)], 3);
    expect(Math.abs(privateProbeAuc(noise.codes, 2, noise.s, noise.split, 3).auc! - 0.5)).toBeLessThan(0.04);
  });

  it('the logistic fit recovers a known weight', () => {
    // p(y = 1 | x) = σ(2x − 1): the fitted score at x is close to 2x − 1 (ridge 1 on 20,000 points barely shrinks it)
    const random = mulberry32(5);
    const n = 20_000;
    const x = Float64Array.from({ length: n }, () => gauss(random));
    const y = Uint8Array.from(x, (v) => (random() < 1 / (1 + Math.exp(-(2 * v - 1))) ? 1 : 0));
    const score = fitLogistic(x, y, n, 1);
    expect(score([0])).toBeCloseTo(-1, 1);
    expect(score([1]) - score([0])).toBeCloseTo(2, 1);
  });
});

describe('fair VAE training', () => {
  it('trains with either penalty: the loss falls and a step leaves no tensors', async () => {
    for (const penalty of ['mmd', 'adversary'] as const) {
      const model = VaeModel.create(fairConfig({ penalty, weight: penalty === 'mmd' ? 100 : 5, dropout: 0.2 }, { latent: 4, hidden: [64, 16] }));
      const losses: number[] = [];
      for (let s = 0; s < 40; s++) losses.push((await model.trainStep(batch, undefined, 100 + s, alternating)).loss);
      const avg = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
      expect(avg(losses.slice(-5))).toBeLessThan(avg(losses.slice(0, 5)) - 50);
      const before = tf.memory().numTensors;
      const r = await model.trainStep(batch, undefined, 1, alternating);
      expect(tf.memory().numTensors).toBe(before);
      expect(Number.isFinite(r.fairPenalty)).toBe(true);
      if (penalty === 'adversary') expect(r.adversaryLoss).toBeGreaterThan(0);
      model.dispose();
    }
  });

  it('s from a factor: a 0/1 column as it is, another numeric column split at its training median, unknown names list the columns', () => {
    const ds = glyphDataset(400, 2);
    const bin = privateValues(ds, 'thickness_hi');
    expect(bin.count).toBe(2);
    ds.images.factors!.find((f) => f.name === 'thickness_hi')!.values.forEach((v, i) => expect(bin.values[i]).toBe(v));
    const median = privateValues(ds, 'thickness');
    expect(median.count).toBe(2);
    expect(median.prior[1]).toBeCloseTo(0.5, 1);
    expect(median.names[0]).toMatch(/^thickness < /);
    expect(privateValues(ds, 'label').count).toBe(5);
    expect(() => privateValues(ds, 'weight')).toThrow(/no column 'weight' for the private attribute \(the dataset's columns: label, shape, slant, thickness, width, height, slant_hi, thickness_hi, width_hi\)/);
  });

  it('through the job: the run folder with its plain VAE reference, probe AUCs in the summary, eval figures with units; the semi-supervised variant', async () => {
    const ds = glyphDataset(1500, 3);
    const base: TrainSettings = { model: 'fair-vae', arch: 'mlp', latent: 4, epochs: 1, batchSize: 100, lr: 1e-3, seed: 2, hidden: [64, 16], threads: 1, private: 'thickness' };
    const runDir = join(root, 'fair');
    const summary = await startTraining(ds, base, runDir).done;
    expect(summary.status).toBe('done');
    const p = summary.privacy!;
    expect(p.attribute).toBe('thickness');
    expect(p.dims).toBe(4);
    expect(p.test).toBe(ds.summary.test);
    for (const v of [p.auc!, p.referenceAuc!]) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
    expect(p.referenceTestLoss).toBeGreaterThan(0);
    expect(existsSync(join(runDir, 'reference', 'encoder', 'model.json'))).toBe(true);
    expect(existsSync(join(runDir, 'reference', 'checkpoint', 'state.json'))).toBe(true);
    const loaded = await loadRun(runDir);
    // the views' paths: encode and decode without s (unknown s, the mixture over s)
    const per = 28 * 28;
    const codes = await loaded.encode(ds.images.pixels.subarray(0, 3 * per), 3);
    expect(await loaded.decode(codes.means, 3)).toHaveLength(3 * per);
    const report = await evaluateRun(loaded, ds);
    expect(report.privacy!.auc).toBeCloseTo(p.auc!, 6);
    expect(report.privacy!.referenceAuc).toBeCloseTo(p.referenceAuc!, 6);
    expect(report.negElbo).toBeCloseTo(summary.testLoss!, 0);
    expect(report.figures.filter((f) => f.unit === 'AUC').map((f) => f.name)).toEqual([
      'probe AUC of thickness from z^X (test split)',
      'probe AUC of thickness, plain VAE reference (test split)',
    ]);
    expect(report.notes.join(' ')).toMatch(/the encoder and decoder see s = thickness/);
    loaded.dispose();

    // Compare: the probe's AUCs as columns (the CLI's table too)
    const comparison = await compareRuns([runDir], { open: async () => ds });
    expect(comparison.rows[0].privateAuc).toBeCloseTo(p.auc!, 6);
    expect(comparison.rows[0].privateReferenceAuc).toBeCloseTo(p.referenceAuc!, 6);
    expect(formatComparison(comparison)).toMatch(/s-AUC[\s\S]*probe AUC of thickness from z\^X/);

    // the run opens in the explorer: its test images encoded (with their own s), the figures in its info
    const session = await RunSession.open(runDir, () => {}, async () => ds);
    try {
      const info = await session.info();
      expect(info.ready).toBe(true);
      expect(info.count).toBe(ds.summary.test);
      expect(info.privacy!.auc).toBeCloseTo(p.auc!, 6);
      const rec = await session.reconstructions(4);
      expect(rec.test.output).toHaveLength(4 * per);
    } finally {
      session.close();
    }

    // semi-supervised: z^X = the first 2 dimensions (the probe reads them), z^Y with a class head
    const ss = await startTraining(ds, { ...base, style: 2, epochs: 6, lr: 3e-3, fairReference: false }, join(root, 'fair-ss')).done;
    expect(ss.privacy!.dims).toBe(2);
    expect(ss.privacy!.referenceAuc).toBeUndefined();
    // 5 shapes: chance is 20 % (a head that says one class for all: 19.8 % here)
    expect(ss.testAccuracy).toBeGreaterThan(0.4);
    expect(existsSync(join(root, 'fair-ss', 'classifier', 'model.json'))).toBe(true);
  }, 240_000);
});

describe('latent-explorer train --model fair-vae', () => {
  const CLI = resolve('bin/latent-explorer.mjs');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', LATENT_EXPLORER_DATA: join(root, 'data') } });

  it('an unknown --private column is one line naming it and the dataset’s columns; --private elsewhere and a missing --private are refused', () => {
    const folder = join(root, 'glyphs');
    expect(cli('synth', '--out', folder, '--count', '60').status).toBe(0);
    const bad = cli('train', folder, '--model', 'fair-vae', '--private', 'weight', '--out', join(root, 'bad'), '--epochs', '1');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/no column 'weight' for the private attribute \(the dataset's columns: label, shape, slant, thickness, width, height, slant_hi, thickness_hi, width_hi\)/);
    const missing = cli('train', folder, '--model', 'fair-vae', '--out', join(root, 'bad2'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--model fair-vae needs --private NAME/);
    const elsewhere = cli('train', folder, '--model', 'vae', '--private', 'thickness', '--out', join(root, 'bad3'));
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toMatch(/--private applies to the fair VAE/);
  }, 120_000);
});
